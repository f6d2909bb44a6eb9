import io
import json

import numpy as np
import pytest
import torch
from torch.func import functional_call

from sergraph_train.data import DataError, load_frames, read_manifest, windows
from sergraph_train.export import posteriors, read_model_folder
from sergraph_train.graph import Neighbours, distances, graph_loss, read_graph
from sergraph_train.model import Architecture, Student
from sergraph_train.train import Options, Reporter, train


def direct_loss(h, neighbours, rows, weights, kind):
    """The regulariser written out edge by edge: Σ w·d / number of edges with w > 0."""
    total, count = 0.0, 0
    for edge, row in enumerate(rows):
        a, b = h[row], neighbours[edge]
        if kind == "cosine":
            d = 1 - (a * b).sum() / (torch.sqrt((a * a).sum()) * torch.sqrt((b * b).sum()))
        else:
            d = sum((a[i] - b[i]) ** 2 for i in range(len(a)))
        total = total + weights[edge] * d
        count += weights[edge] > 0
    return total / count


@pytest.mark.parametrize("kind", ["cosine", "l2"])
def test_the_batched_loss_and_its_gradient_match_the_direct_formula(kind):
    generator = torch.Generator().manual_seed(5)
    h = torch.rand(4, 256, dtype=torch.float64, generator=generator).requires_grad_()
    neighbours = torch.rand(7, 256, dtype=torch.float64, generator=generator).requires_grad_()
    rows = np.array([0, 0, 0, 1, 3, 3, 3])          # sample 2 has no neighbour
    weights = np.array([0.99, 0.995, 0.0, 1.0, 0.992, 0.5, 0.993])   # one zero weight: not counted
    batched = graph_loss(h, neighbours, rows, weights, kind)
    direct = direct_loss(h, neighbours, rows, weights, kind)
    assert abs(batched.item() - direct.item()) < 1e-12 * max(1.0, abs(direct.item()))
    batched_grads = torch.autograd.grad(batched, (h, neighbours))
    direct_grads = torch.autograd.grad(direct, (h, neighbours))
    for mine, reference in zip(batched_grads, direct_grads):
        assert torch.allclose(mine, reference, rtol=1e-10, atol=1e-12)
    assert torch.all(batched_grads[0][2] == 0)       # no edge, no gradient
    assert torch.all(batched_grads[1][2] == 0)       # zero weight, no gradient


def test_distances_are_cosine_and_squared_euclidean():
    a = torch.tensor([[3.0, 4.0], [1.0, 0.0], [0.0, 0.0]])
    b = torch.tensor([[6.0, 8.0], [0.0, 2.0], [1.0, 1.0]])
    assert torch.allclose(distances(a, b, "cosine"), torch.tensor([0.0, 1.0, 1.0]), atol=1e-6)   # a zero row: cos 0
    assert torch.allclose(distances(a, b, "l2"), torch.tensor([25.0, 5.0, 2.0]))
    with pytest.raises(ValueError, match="unknown distance 'manhattan'"):
        distances(a, b, "manhattan")


def test_no_edges_give_zero_and_keep_the_graph_differentiable():
    h = torch.rand(3, 256, requires_grad=True)
    loss = graph_loss(h, torch.zeros(0, 256), np.zeros(0, np.int64), np.zeros(0), "cosine")
    loss.backward()
    assert loss.item() == 0 and torch.all(h.grad == 0)


class EmbedAndClassify(torch.nn.Module):
    """The student's forward as training runs it, returning the embeddings too."""

    def __init__(self, student):
        super().__init__()
        self.student = student

    def forward(self, windows):
        embeddings = self.student.embed(windows)
        return embeddings, self.student.classifier(self.student.dropout(embeddings))


@pytest.mark.parametrize("kind", ["cosine", "l2"])
def test_the_training_loss_passes_a_finite_difference_check_on_a_tiny_model(kind):
    torch.manual_seed(2)
    architecture = Architecture(preset="tiny", channels=[2, 3], embedding_dim=16)   # narrow: few parameters to perturb
    model = EmbedAndClassify(Student(architecture, classes=3, dropout=0.0)).double().train()
    named = list(model.named_parameters())
    flat = torch.cat([p.detach().flatten() for _, p in named]).requires_grad_()
    windows = torch.randn(5, 8, 8, dtype=torch.float64)   # 2 labelled windows, then 3 neighbour windows
    targets = torch.tensor([0, 2])
    rows, weights = np.array([0, 0, 1]), np.array([0.9, 0.95, 0.99])

    def loss(vector):
        parameters, offset = {}, 0
        for name, parameter in named:
            parameters[name] = vector[offset:offset + parameter.numel()].view(parameter.shape)
            offset += parameter.numel()
        embeddings, logits = functional_call(model, parameters, (windows,))
        ce = torch.nn.functional.cross_entropy(logits[:2], targets)
        return ce + 0.7 * graph_loss(embeddings[:2], embeddings[2:], rows, weights, kind)

    assert torch.autograd.gradcheck(loss, (flat,), eps=1e-6, atol=1e-6, rtol=1e-4)


def write_graph(folder, *lines):
    path = folder / "graph.tsv"
    path.write_text("".join(line + "\n" for line in lines))
    return path


def test_neighbours_are_the_heaviest_train_edges_labelled_or_not(tmp_path):
    ids = {"a.wav", "b.wav", "c.wav", "d.wav", "u.wav", "dev.wav"}
    graph = write_graph(tmp_path, "a.wav\tb.wav\t0.991", "a.wav\tc.wav\t0.995", "a.wav\tu.wav\t0.993", "a.wav\tdev.wav\t0.999",
                        "a.wav\td.wav\t0.991", "a.wav\ta.wav\t1.0", "b.wav\tc.wav\t0.5", "b.wav\tc.wav\t0.7", "", "u.wav\ta.wav\t0.99")
    edges = read_graph(graph, ids, "m.csv")
    assert edges["a.wav"] == {"b.wav": 0.991, "c.wav": 0.995, "u.wav": 0.993, "dev.wav": 0.999, "d.wav": 0.991}
    assert edges["b.wav"] == {"c.wav": 0.7}             # the heavier of a repeated edge; self-loops dropped
    pool = {"a.wav": 0, "b.wav": 1, "c.wav": 2, "d.wav": 3, "u.wav": 4}   # labelled train clips, then unlabelled
    neighbours = Neighbours.of(edges, ["a.wav", "b.wav", "c.wav"], pool, max_neighbors=3)
    assert neighbours.indices[0].tolist() == [2, 4, 1]   # dev.wav left out; b before d (tie, file order)
    assert np.allclose(neighbours.weights[0], [0.995, 0.993, 0.991])
    assert neighbours.indices[1].tolist() == [2] and neighbours.indices[2].tolist() == []
    assert neighbours.left_out == 1 and neighbours.edges() == 4 and neighbours.with_neighbours() == 2
    targets, rows, weights = neighbours.batch(np.array([1, 2, 0]))
    assert targets.tolist() == [2, 2, 4, 1] and rows.tolist() == [0, 2, 2, 2]
    assert np.allclose(weights, [0.7, 0.995, 0.993, 0.991])


@pytest.mark.parametrize("line, message", [
    ("a.wav\tgone.wav\t0.99", "graph.tsv:2: 'gone.wav' is not a clip of m.csv"),
    ("nowhere.wav\ta.wav\t0.99", "graph.tsv:2: 'nowhere.wav' is not a clip of m.csv"),
    ("a.wav b.wav 0.99", "graph.tsv:2: expected 'source<TAB>target<TAB>weight', found 1 field(s)"),
    ("a.wav\tb.wav\tnan", "graph.tsv:2: the weight 'nan' is not a finite number ≥ 0"),
    ("a.wav\tb.wav\t-0.2", "graph.tsv:2: the weight '-0.2' is not a finite number ≥ 0"),
    ("a.wav\tb.wav", "graph.tsv:2: expected 'source<TAB>target<TAB>weight', found 2 field(s)"),
])
def test_a_bad_graph_line_is_refused_with_the_file_and_line(tmp_path, line, message):
    graph = write_graph(tmp_path, "a.wav\tb.wav\t0.99", line)
    with pytest.raises(DataError) as caught:
        read_graph(graph, {"a.wav", "b.wav"}, "m.csv")
    assert str(caught.value) == f"{graph.parent}/{message}"


def test_a_missing_graph_file_is_named(tmp_path):
    with pytest.raises(DataError, match="gone.tsv: cannot read the graph"):
        read_graph(tmp_path / "gone.tsv", set(), "m.csv")


def test_only_train_clips_may_be_unlabelled(tmp_path):
    for name in ("a.wav", "b.wav"):
        (tmp_path / name).write_bytes(b"")
    manifest = tmp_path / "m.csv"
    manifest.write_text("path,label,speaker,split\na.wav,,s1,train\nb.wav,happy,s2,dev\n")
    clips = read_manifest(manifest, unlabelled=True)
    assert not clips[0].labelled and clips[1].labelled
    with pytest.raises(DataError, match="m.csv:2: malformed line"):
        read_manifest(manifest)
    manifest.write_text("path,label,speaker,split\na.wav,happy,s1,train\nb.wav,,s2,dev\n")
    with pytest.raises(DataError, match="m.csv:3: a dev clip needs a label"):
        read_manifest(manifest, unlabelled=True)


def unlabel(manifest, keep_per_class):
    """Empties the label of all but `keep_per_class` train clips of each class; returns the unlabelled paths."""
    lines = manifest.read_text().splitlines()
    kept, hidden = {}, []
    for index, line in enumerate(lines[1:], start=1):
        path, label, speaker, split = line.split(",")
        if split == "train":
            kept[label] = kept.get(label, 0) + 1
            if kept[label] > keep_per_class:
                lines[index] = f"{path},,{speaker},{split}"
                hidden.append(path)
    manifest.write_text("\n".join(lines) + "\n")
    return hidden


def embeddings_of(folder, features, clips, frames):
    model, description = read_model_folder(folder)
    rows = []
    for clip in clips:
        _, embedding = posteriors(model, windows(load_frames(features, clip, 64), frames, frames), description)
        rows.append(embedding.mean(axis=0))
    return np.array(rows)


def test_a_graph_pulls_neighbours_together_through_unlabelled_clips(synthetic_corpus, tmp_path):
    manifest, features = synthetic_corpus
    hidden = unlabel(manifest, keep_per_class=2)      # 3 speakers × 3 clips per class in train: 2 labelled, 7 not
    clips = read_manifest(manifest, unlabelled=True)
    train_clips = [clip for clip in clips if clip.split == "train"]
    rng = np.random.default_rng(0)
    lines = []
    for clip in train_clips:                          # random pairs, to be sure the pull comes from the graph
        for other in rng.choice(len(train_clips), 3, replace=False):
            if train_clips[other].path != clip.path:
                lines.append(f"{clip.path}\t{train_clips[other].path}\t{rng.uniform(0.99, 1):.4f}")
    graph = write_graph(tmp_path, *lines)
    pairs = [line.split("\t")[:2] for line in lines]
    by_path = {clip.path: clip for clip in clips}

    def mean_distance(folder):
        vectors = dict(zip([p for pair in pairs for p in pair],
                           embeddings_of(folder, features, [by_path[p] for pair in pairs for p in pair], 16)))
        return np.mean([np.sum((vectors[a] - vectors[b]) ** 2) / (np.sum(vectors[a] ** 2) + np.sum(vectors[b] ** 2))
                        for a, b in pairs])

    settings = dict(data=str(manifest), features=str(features), window_frames=16, hop_frames=4, epochs=4, patience=10,
                    batch_size=8, seed=3, threads=1, graph=str(graph), distance="l2", max_neighbors=3)
    stream = io.StringIO()
    free = train(Options(output=str(tmp_path / "free"), multiplier=0.0, **settings), Reporter(stream=io.StringIO(), progress=False))
    pulled = train(Options(output=str(tmp_path / "pulled"), multiplier=5.0, **settings), Reporter(json_lines=True, stream=stream, progress=False))
    assert mean_distance(tmp_path / "pulled") < 0.7 * mean_distance(tmp_path / "free")   # 0.53 × when written
    assert free["test"]["clips"] == pulled["test"]["clips"] == 15
    record = json.loads((tmp_path / "pulled/model.json").read_text())["training"]
    assert record["clips"] == {"train": 10, "dev": 15, "test": 15, "unlabelled": len(hidden)}
    graph_record = record["graph"]
    assert graph_record["multiplier"] == 5.0 and graph_record["distance"] == "l2" and graph_record["max_neighbors"] == 3
    labelled = {clip.path for clip in train_clips if clip.labelled}
    assert graph_record["edges"] == sum(1 for a, _ in pairs if a in labelled)
    assert graph_record["edges_left_out"] == 0
    events = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert all(event["graph_loss"] >= 0 for event in events if event["event"] == "epoch")
    assert any(f"{len(hidden)} more unlabelled" in event.get("text", "") for event in events if event["event"] == "note")

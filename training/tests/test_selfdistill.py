import json
import pathlib

import numpy as np
import pytest
import torch

from sergraph_train.data import DEFAULT_LABELS, DataError
from sergraph_train.exits import ExitHead, read_exit_heads
from sergraph_train.selfdistill import Options, check_exits, distillation_loss, train

from conftest import write_audio_corpus

ROOT = pathlib.Path(__file__).resolve().parents[2]
TINY = ROOT / "Tests" / "Fixtures" / "wav2vec2" / "base-tiny"


def log_softmax(x):
    x = x - x.max(axis=1, keepdims=True)
    return x - np.log(np.exp(x).sum(axis=1, keepdims=True))


@pytest.mark.parametrize("temperature", [1.0, 2.5])
def test_loss_matches_a_direct_computation(temperature):
    rng = np.random.default_rng(3)
    batch, classes, hidden = 5, 4, 6
    raw = {layer: (rng.normal(size=(batch, classes)) * 2, rng.normal(size=(batch, hidden))) for layer in (2, 5, 9)}
    targets = rng.integers(0, classes, size=batch)
    outputs = {layer: (torch.tensor(logits, requires_grad=True), torch.tensor(pooled, requires_grad=True))
               for layer, (logits, pooled) in raw.items()}
    loss = distillation_loss(outputs, torch.tensor(targets), deepest=9, temperature=temperature)

    def cross_entropy(logits):
        return -log_softmax(logits)[np.arange(batch), targets].mean()
    deep_logits, deep_pooled = raw[9]
    teacher = log_softmax(deep_logits / temperature)
    expected_terms = []
    for layer in (2, 5):
        logits, pooled = raw[layer]
        student = log_softmax(logits / temperature)
        kl = (np.exp(teacher) * (teacher - student)).sum(axis=1).mean() * temperature ** 2
        mse = ((pooled - deep_pooled) ** 2).mean()
        expected_terms.append(cross_entropy(logits) + kl + mse)
    expected = cross_entropy(deep_logits) + np.mean(expected_terms)
    assert abs(loss.item() - expected) < 1e-9

    # The deepest exit is taught by its cross-entropy only: its gradient is that of CE alone.
    loss.backward()
    probabilities = np.exp(log_softmax(deep_logits))
    onehot = np.eye(classes)[targets]
    assert np.allclose(outputs[9][0].grad.numpy(), (probabilities - onehot) / batch, atol=1e-9)
    assert outputs[9][1].grad is None  # the deepest pooled feature only teaches


def test_only_the_deepest_exit_is_its_cross_entropy():
    logits = torch.tensor([[2.0, -1.0, 0.5]])
    loss = distillation_loss({4: (logits, torch.zeros(1, 3))}, torch.tensor([1]), deepest=4)
    assert abs(float(loss) - float(torch.nn.functional.cross_entropy(logits, torch.tensor([1])))) < 1e-7


def test_exits_are_checked_against_the_depth():
    assert check_exits((3, 8, 10), 12, "enc") == [3, 8, 10, 12]
    assert check_exits((12, 3), 12, "enc") == [3, 12]
    with pytest.raises(DataError, match=r"--exits 0,14: the encoder in enc has 12 transformer layers .* layers 1 to 12"):
        check_exits((0, 3, 14), 12, "enc")


def test_padding_after_a_clip_does_not_change_its_head_output():
    torch.manual_seed(0)
    head = ExitHead(8, 5, 3).eval()
    frames = torch.randn(1, 7, 8)
    padded = torch.cat([frames, torch.randn(1, 4, 8)], dim=1)
    alone, alone_pooled = head(frames)
    with_padding, padded_pooled = head(padded, torch.tensor([7]))
    assert torch.allclose(alone, with_padding, atol=1e-6)
    assert torch.allclose(alone_pooled, padded_pooled, atol=1e-6)


def test_a_tiny_training_writes_the_exit_folder(tmp_path):
    manifest = write_audio_corpus(tmp_path / "corpus", speakers=(("a", "train"), ("b", "train"), ("c", "dev")), clips_per_class=3)
    output = tmp_path / "model"
    lines = []
    record = train(Options(encoder=str(TINY), data=str(manifest), audio=str(manifest.parent), output=str(output),
                           exits=(1, 2), freeze_below=1, gru_hidden=16, crop=0.3, epochs=2, patience=2,
                           batch_size=4, seed=1, threads=1), report=lines.append)
    assert any(line.startswith("epoch 2/2") for line in lines)
    description = json.loads((output / "exits.json").read_text())
    assert description["exits"] == [1, 2, 3]
    assert description["labels"] == list(DEFAULT_LABELS)
    assert description["head"]["gru_hidden"] == 16 and description["head"]["input_size"] == 48
    assert description["training"]["best_epoch"] == record["best_epoch"] in (1, 2)
    assert (output / "config.json").is_file() and (output / "model.safetensors").is_file()
    heads = read_exit_heads(output)
    assert heads.layers == [1, 2, 3]
    # The frozen first layer kept its weights; the layers above it were trained.
    import safetensors.torch
    before = safetensors.torch.load_file(str(TINY / "model.safetensors"))
    after = safetensors.torch.load_file(str(output / "model.safetensors"))
    first = "encoder.layers.0.attention.q_proj.weight"
    third = "encoder.layers.2.attention.q_proj.weight"
    assert torch.equal(before[first], after[first])
    assert not torch.equal(before[third], after[third])


def test_exits_beyond_the_encoder_are_refused(tmp_path):
    manifest = write_audio_corpus(tmp_path / "corpus")
    with pytest.raises(DataError, match="--exits 8: the encoder in .* has 3 transformer layers"):
        train(Options(encoder=str(TINY), data=str(manifest), audio=str(manifest.parent), output=str(tmp_path / "m"),
                      exits=(1, 8), epochs=1), report=lambda line: None)

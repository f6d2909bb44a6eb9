"""Trains a student on a manifest's cached log-mel windows and writes its model folder.

Adam (learning rate on a cosine over the epochs) on class-weighted cross-entropy (inverse frequency of each class's train clips); each
epoch takes `crops` windows at random starts from every train clip, augmented (augment.py);
early stopping on dev UA of clip-level decisions (the mean of
a clip's window posteriors, as `sergraph eval` decides), the best epoch's weights kept.
One seed fixes everything: initial weights, order, augmentation, dropout.
With a graph (graph.py) the loss gains the neighbour term; train clips without a label take part
through it only. Without one, unlabelled clips only count towards the normalisation statistics.
"""
import contextlib
import datetime
import io
import json
import math
import pathlib
import sys
import time
from dataclasses import asdict, dataclass, field

import numpy as np
import torch

from . import metrics
from .augment import Augmentation, augment_raw, mask, mixup
from .distributed import Ranks
from .data import (DEFAULT_LABELS, DataError, load_frames, normalization_statistics, random_window, read_manifest,
                   split_windows, windows)
from .export import DEFAULT_FEATURES, window_json, write_model_folder
from .graph import DISTANCES, Neighbours, graph_loss, read_graph
from .model import Architecture, Student, minimum_frames, normalize, parameter_count
from .runs import EarlyStopping, exit_status


@dataclass
class Options:
    data: str
    features: str
    output: str
    labels: tuple = DEFAULT_LABELS
    feature_settings: dict = field(default_factory=lambda: dict(DEFAULT_FEATURES))
    preset: str = "cnn6-small"
    window_frames: int = 100
    hop_frames: int = 25
    crops: int = 2
    epochs: int = 20
    patience: int = 8
    batch_size: int = 64
    learning_rate: float = 1e-3
    weight_decay: float = 0.0
    dropout: float = 0.3
    seed: int = 0
    threads: int = 2
    augmentation: Augmentation = field(default_factory=Augmentation)
    command: str = ""
    graph: str = None            # neighbour graph TSV (graph.py); None trains on the samples alone
    multiplier: float = 0.1
    distance: str = "cosine"
    max_neighbors: int = 9


class Reporter:
    """A progress bar on a terminal (stderr), one metrics line per epoch (stdout), or with
    json=True one JSON object per line on stdout instead of the metrics lines."""

    def __init__(self, json_lines=False, stream=None, progress=None):
        self.json_lines = json_lines
        self.stream = stream or sys.stdout
        self.progress = sys.stderr.isatty() if progress is None else progress

    def note(self, text):
        if self.json_lines:
            print(json.dumps({"event": "note", "text": text}), file=self.stream, flush=True)
        else:
            print(text, file=self.stream, flush=True)

    def batch(self, epoch, epochs, done, total, loss):
        if self.progress:
            width = 30
            filled = width * done // total
            print(f"\repoch {epoch}/{epochs} [{'#' * filled}{'.' * (width - filled)}] {done}/{total} batches  loss {loss:.3f}",
                  end="", file=sys.stderr, flush=True)

    def epoch(self, record):
        if self.progress:
            print("\r\033[K", end="", file=sys.stderr, flush=True)
        if self.json_lines:
            print(json.dumps({"event": "epoch", **record}), file=self.stream, flush=True)
        else:
            dev = record["dev"]
            print(f"epoch {record['epoch']:3d}/{record['epochs']}  loss {record['loss']:.4f}  train acc {record['train_accuracy']:.3f}"
                  f"  dev UA {dev['ua']:.3f} WA {dev['wa']:.3f} F1 {dev['f1']:.3f}"
                  f"  best UA {record['best_ua']:.3f} (epoch {record['best_epoch']})  {record['seconds']:.1f} s",
                  file=self.stream, flush=True)

    def result(self, result):
        if self.json_lines:
            print(json.dumps({"event": "result", **result}), file=self.stream, flush=True)
            return
        for split in ("dev", "test"):
            if split in result:
                s = result[split]
                print(f"{split:4s} ({s['clips']} clips, {s['speakers']} speakers): UA {s['ua']:.3f}  WA {s['wa']:.3f}  F1 {s['f1']:.3f}",
                      file=self.stream)
        print(f"best epoch {result['best_epoch']} of {result['epochs_run']}; {result['parameters']} parameters, "
              f"{result['bytes']} bytes; trained in {result['train_seconds']:.1f} s; model written to {result['model']}",
              file=self.stream, flush=True)


def class_weights(targets, classes, labels):
    """Inverse-frequency weights with mean 1 over the training clips."""
    counts = np.bincount(targets, minlength=classes)
    if (counts == 0).any():
        missing = [labels[i] for i in np.flatnonzero(counts == 0)]
        raise DataError(f"no training clips of {', '.join(missing)}; every label needs some (or leave it out with --labels)")
    weights = len(targets) / (classes * counts)
    return torch.tensor(weights, dtype=torch.float32)


def predict(model, split, normalization, batch=512):
    """Window posteriors of a split, then clip posteriors (mean over each clip's windows)."""
    model.eval()
    out = []
    with torch.no_grad():
        for start in range(0, len(split.windows), batch):
            x = torch.from_numpy(normalize(split.windows[start:start + batch], normalization))
            out.append(torch.softmax(model(x), dim=1).numpy())
    window_posteriors = np.concatenate(out) if out else np.zeros((0, model.classifier.out_features))
    return metrics.clip_posteriors(window_posteriors, split.clip_of, len(split.clips))


def evaluate(model, split, normalization, classes):
    clip_posteriors = predict(model, split, normalization)
    matrix = metrics.confusion(split.clip_targets, clip_posteriors.argmax(axis=1), classes)
    return {**metrics.scores(matrix), "clips": len(split.clips),
            "speakers": len({clip.speaker for clip in split.clips}), "confusion": matrix.tolist()}


def graph_neighbours(options, clips, labelled_train, unlabelled, reporter):
    """The labelled train clips' neighbours from options.graph (None without a graph); the pool is
    the labelled train clips, then the unlabelled ones."""
    if options.graph is None:
        return None
    if options.distance not in DISTANCES:
        raise DataError(f"unknown distance '{options.distance}'; there are {', '.join(DISTANCES)}")
    if not (options.multiplier >= 0 and math.isfinite(options.multiplier)) or options.max_neighbors < 1:
        raise DataError("the graph multiplier is a finite number ≥ 0 and max-neighbors at least 1")
    edges = read_graph(options.graph, {clip.path for clip in clips}, options.data)
    pool = {clip.path: index for index, clip in enumerate(labelled_train + unlabelled)}
    neighbours = Neighbours.of(edges, [clip.path for clip in labelled_train], pool, options.max_neighbors)
    reporter.note(f"graph {options.graph}: {neighbours.edges()} edges used ({neighbours.with_neighbours()} of "
                  f"{len(labelled_train)} labelled train clips have neighbours, at most {options.max_neighbors}; "
                  f"{neighbours.left_out} edges to dev/test clips left out); "
                  f"loss = CE + {options.multiplier:g} × mean weighted {options.distance} distance")
    return neighbours


def set_seeds(seed, threads):
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(threads)


def train(options: Options, reporter: Reporter = None):
    """Trains, writes the model folder to options.output, and returns the results."""
    ranks = Ranks()
    reporter = reporter or Reporter()
    if not ranks.leader:
        reporter = Reporter(stream=io.StringIO(), progress=False)
    set_seeds(options.seed, options.threads)
    labels = list(options.labels)
    classes = len(labels)
    mels = int(options.feature_settings["mels"])
    architecture = Architecture.preset_named(options.preset)
    if options.window_frames < minimum_frames(architecture):
        raise DataError(f"a {options.window_frames}-frame window is too short for {options.preset}: "
                        f"its pooling needs at least {minimum_frames(architecture)} frames")

    clips = read_manifest(options.data, labels, unlabelled=True)
    by_split = {name: [clip for clip in clips if clip.split == name and clip.labelled] for name in ("train", "dev", "test")}
    unlabelled = [clip for clip in clips if not clip.labelled]
    for name in ("train", "dev"):
        if not by_split[name]:
            raise DataError(f"{options.data}: no {name} clips (training needs train clips, early stopping dev clips)")
    train_frames = [load_frames(options.features, clip, mels) for clip in by_split["train"]]
    unlabelled_frames = [load_frames(options.features, clip, mels) for clip in unlabelled]
    train_targets = np.array([labels.index(clip.label) for clip in by_split["train"]], dtype=np.int64)
    splits = {name: split_windows(by_split[name], options.features, labels, options.window_frames, options.hop_frames, mels)
              for name in ("dev", "test")}
    normalization = normalization_statistics(
        np.concatenate([windows(frames, options.window_frames, options.hop_frames) for frames in train_frames + unlabelled_frames]))
    weights = class_weights(train_targets, classes, labels)
    reporter.note(f"{len(clips)} clips: train {len(train_frames)} ({len({c.speaker for c in by_split['train']})} speakers, "
                  f"{options.crops} random windows each per epoch{f', {len(unlabelled)} more unlabelled' if unlabelled else ''}), " + ", ".join(
                      f"{name} {len(by_split[name])} ({len(splits[name].windows)} windows, "
                      f"{len({c.speaker for c in by_split[name]})} speakers)" for name in ("dev", "test")))

    neighbours = graph_neighbours(options, clips, by_split["train"], unlabelled, reporter)
    pool_frames = train_frames + unlabelled_frames     # the clips neighbours are drawn from, in Neighbours' pool order

    model = Student(architecture, classes, dropout=options.dropout)
    trained = ranks.wrap(model)
    optimizer = torch.optim.Adam(model.parameters(), lr=options.learning_rate, weight_decay=options.weight_decay)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=options.epochs)
    rng = np.random.default_rng(options.seed)
    generator = torch.Generator().manual_seed(options.seed)
    # Crops, augmentation and mixup: the order's generator when alone, streams of their own per rank.
    sample_rng, generator = ranks.random_streams(options.seed, rng, generator)
    frame_hop = float(options.feature_settings["hop"])
    mean = torch.from_numpy(normalization["mean"])
    std = torch.from_numpy(normalization["std"])
    settings = options.augmentation

    stopping = EarlyStopping(options.patience, options.epochs, reporter)
    started = time.perf_counter()
    batches = max(1, len(train_frames) * options.crops // options.batch_size)
    for epoch in range(1, options.epochs + 1):
        epoch_started = time.perf_counter()
        model.train()
        order = rng.permutation(np.repeat(np.arange(len(train_frames)), options.crops))
        total_loss, total_graph, correct, seen = 0.0, 0.0, 0, 0
        for index in range(batches):
            chosen = ranks.part(order[index * options.batch_size:(index + 1) * options.batch_size])
            count = len(chosen)
            crops = [random_window(train_frames[i], options.window_frames, sample_rng) for i in chosen]
            if neighbours is not None:    # each edge of the batch: one random window of its neighbour, after the batch's
                neighbour_clips, rows, edge_weights = neighbours.batch(chosen)
                crops += [random_window(pool_frames[i], options.window_frames, sample_rng) for i in neighbour_clips]
            raw = augment_raw(torch.from_numpy(np.stack(crops)), settings, frame_hop, generator)
            x = raw - raw.mean(dim=(1, 2), keepdim=True)
            x = mask((x - mean) / std, settings, generator)
            targets = torch.from_numpy(train_targets[chosen])
            mixed, soft = mixup(x[:count], targets, classes, settings.mixup, sample_rng)
            logits, embeddings = trained(torch.cat([mixed, x[count:]]), count)
            loss = -(soft * weights * torch.log_softmax(logits, dim=1)).sum(dim=1).mean()
            if neighbours is not None:
                regulariser = graph_loss(embeddings[:count], embeddings[count:], rows, edge_weights, options.distance)
                loss = loss + options.multiplier * regulariser
                total_graph += regulariser.item() * count
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total_loss += loss.item() * count
            correct += int((logits.argmax(dim=1) == targets).sum())
            seen += len(chosen)
            reporter.batch(epoch, options.epochs, index + 1, batches, total_loss / seen)
        schedule.step()
        ranks.average_buffers(model)
        total_loss, total_graph, correct, seen = ranks.sum([total_loss, total_graph, correct, seen])
        dev = evaluate(model, splits["dev"], normalization, classes)
        extra = {"graph_loss": total_graph / seen} if neighbours is not None else {}
        if stopping.after_epoch(model, epoch, total_loss / seen, correct / seen, dev, time.perf_counter() - epoch_started, **extra):
            break
    train_seconds = time.perf_counter() - started
    best, history = stopping.best, stopping.history

    model.load_state_dict(best["state"])
    model.eval()
    digests = ranks.digests(model)
    if len(set(digests)) > 1:
        raise RuntimeError(f"the {ranks.size} training processes ended with different weights (SHA-256 by rank: {digests})")
    result = {"best_epoch": best["epoch"], "epochs_run": len(history), "train_seconds": train_seconds,
              "weights_sha256": digests[ranks.rank],
              "parameters": parameter_count(model), "labels": labels,
              "dev": evaluate(model, splits["dev"], normalization, classes)}
    if by_split["test"]:
        result["test"] = evaluate(model, splits["test"], normalization, classes)
    training = {
        "command": options.command, "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "manifest": str(options.data), "seed": options.seed, "threads": options.threads,
        "epochs_run": len(history), "best_epoch": best["epoch"], "train_seconds": round(train_seconds, 1),
        "optimizer": {"name": "adam", "learning_rate": options.learning_rate, "schedule": "cosine over the epochs", "weight_decay": options.weight_decay,
                      "batch_size": options.batch_size},
        "crops": options.crops, "dropout": options.dropout, "patience": options.patience, "class_weights": [round(float(w), 4) for w in weights],
        "augmentation": asdict(settings), "torch": torch.__version__,
        "processes": ranks.size, "weights_sha256": digests[0],
        "clips": {**{name: len(by_split[name]) for name in by_split}, "unlabelled": len(unlabelled)},
        "speakers": {name: sorted({clip.speaker for clip in by_split[name]}) for name in by_split},
        **{split: {key: round(result[split][key], 4) for key in ("ua", "wa", "f1")} for split in ("dev", "test") if split in result},
    }
    if neighbours is not None:
        training["graph"] = {
            "file": str(options.graph), "multiplier": options.multiplier, "distance": options.distance,
            "max_neighbors": options.max_neighbors, "layer": "embedding",
            "reduction": "sum over the batch's edges of weight × distance / the number of those edges",
            "edges": neighbours.edges(), "clips_with_neighbours": neighbours.with_neighbours(),
            "edges_left_out": neighbours.left_out}
    if not ranks.leader:
        return result   # rank 0 writes the model
    write_model_folder(options.output, model, labels, options.feature_settings,
                       window_json(options.window_frames, options.hop_frames, options.feature_settings), normalization, training)
    result["model"] = str(options.output)
    result["bytes"] = (pathlib.Path(options.output) / "model.safetensors").stat().st_size
    reporter.result(result)
    return result


def train_rank(options: Options, json_lines=False):
    """Trains as one of several processes (what `--nproc` spawns; importable, as spawn needs);
    ends the process with `exit_status`'s status when that is not 0, rank 0 alone saying why
    (every rank meets the same error in the data)."""
    leader = Ranks().leader
    with contextlib.nullcontext() if leader else contextlib.redirect_stderr(io.StringIO()):
        status = exit_status(lambda: train(options, Reporter(json_lines=json_lines)))
    if status:
        sys.exit(status)

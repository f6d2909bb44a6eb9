"""Trains a teacher: a transformers `Wav2Vec2ForSequenceClassification` on a manifest's raw 16 kHz audio.

From a small configuration built from scratch (the default, sized for the synthetic corpus), or
fine-tuning a checkpoint folder (`from_folder`: its feature encoder frozen, as usual; with
`freeze_encoder` only the head -- projector and classifier -- learns). Adam on class-weighted
cross-entropy over random crops of the train clips; early stopping on dev UA of whole clips,
each classified in one piece as the native `wav2vec2-classifier` stage does offline; the best
epoch's weights are written with `save_pretrained` (config.json with id2label, model.safetensors),
optionally stored as float16. One seed fixes everything: initial weights, order, crops, dropout
and SpecAugment's masks.
"""
import copy
import datetime
import json
import math
import os
import pathlib
import random
import shutil
import time
from dataclasses import dataclass

import numpy as np
import torch

from . import metrics
from .audio import RATE, audio_path, read_wav
from .data import DEFAULT_LABELS, DataError, read_manifest
from .runs import EarlyStopping
from .train import Reporter, class_weights

# The from-scratch configuration: the wav2vec2-base layout (group-norm convolutional feature
# encoder of seven layers, 20 ms frames; post-norm transformer) made narrow and shallow, so it
# trains in minutes on two cores and weighs under 4 MB in float32. classifier_proj_size is 256,
# the teacher embedding of the paper.
SMALL_CONFIG = dict(
    conv_dim=(32,) * 7, conv_kernel=(10, 3, 3, 3, 3, 2, 2), conv_stride=(5, 2, 2, 2, 2, 2, 2), conv_bias=False,
    feat_extract_norm="group", do_stable_layer_norm=False,
    hidden_size=144, num_hidden_layers=3, num_attention_heads=4, intermediate_size=576,
    num_conv_pos_embeddings=64, num_conv_pos_embedding_groups=16,
    classifier_proj_size=256, use_weighted_layer_sum=False, vocab_size=8,
    hidden_dropout=0.1, attention_dropout=0.1, activation_dropout=0.0, feat_proj_dropout=0.0, final_dropout=0.1,
    layerdrop=0.0, mask_time_prob=0.05, mask_time_length=5,
)

# The learning rate when none is given: from scratch, fine-tuning the encoder, training the head alone.
DEFAULT_RATES = {"scratch": 1e-3, "fine-tune": 5e-5, "head": 1e-3}


@dataclass
class TeacherOptions:
    data: str
    output: str
    audio: str = None            # folder of 16 kHz WAVs (FOLDER/<path without extension>.wav); None: the manifest's files
    labels: tuple = DEFAULT_LABELS
    from_folder: str = None
    config: dict = None          # changes to SMALL_CONFIG (from scratch only)
    freeze_encoder: bool = False
    new_head: bool = False       # with from_folder: a fresh head even when the checkpoint's labels match
    epochs: int = 30
    patience: int = 10
    batch_size: int = 16
    learning_rate: float = None
    crop_seconds: float = 1.0
    seed: int = 0
    threads: int = 2
    dtype: str = "float32"
    command: str = ""

    @property
    def mode(self):
        return "scratch" if self.from_folder is None else "head" if self.freeze_encoder else "fine-tune"


def set_seeds(seed, threads):
    """Every generator a run draws from: torch (weights, dropout), NumPy's global one
    (transformers draws SpecAugment's masks from it) and Python's."""
    torch.manual_seed(seed)
    np.random.seed(seed)
    random.seed(seed)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(threads)


def build_model(options: TeacherOptions, labels, reporter):
    """The model to train: a fresh small configuration, or the checkpoint of `from_folder` with a
    head for `labels` (its own head kept when its id2label names the same labels, rows reordered
    if need be, unless `new_head`; otherwise a fresh head, said so)."""
    from transformers import AutoConfig, AutoModelForAudioClassification, Wav2Vec2Config, Wav2Vec2ForSequenceClassification
    id2label = {index: label for index, label in enumerate(labels)}
    label2id = {label: index for index, label in enumerate(labels)}
    if options.from_folder is None:
        changes = options.config or {}
        unknown = sorted(set(changes) - set(Wav2Vec2Config().to_dict()))
        if unknown:
            raise DataError(f"--config: {', '.join(unknown)} {'is not a' if len(unknown) == 1 else 'are not'} Wav2Vec2Config field{'s' * (len(unknown) > 1)}")
        try:
            config = Wav2Vec2Config(**{**SMALL_CONFIG, **changes}, num_labels=len(labels), id2label=id2label, label2id=label2id)
        except (ValueError, TypeError) as error:
            raise DataError(f"--config: {error}") from None
        return Wav2Vec2ForSequenceClassification(config)
    folder = pathlib.Path(options.from_folder)
    if not (folder / "config.json").is_file():
        raise DataError(f"{folder}: not a checkpoint folder (no config.json); --from takes a folder written by "
                        "save_pretrained (config.json and model.safetensors)")
    try:
        config = AutoConfig.from_pretrained(str(folder))
    except (OSError, ValueError) as error:
        raise DataError(f"{folder / 'config.json'}: not a transformers config ({error})") from None
    if config.model_type not in ("wav2vec2", "hubert"):
        raise DataError(f"{folder / 'config.json'}: model_type '{config.model_type}'; --from takes a wav2vec2 or HuBERT checkpoint")
    own = [config.id2label[index] for index in sorted(config.id2label)] if getattr(config, "id2label", None) else []
    has_head = any(name.endswith("ForSequenceClassification") for name in (config.architectures or []))
    order = None
    if has_head and options.new_head:
        reporter.note(f"{folder}: its head is replaced by a fresh one (--new-head)")
    elif has_head and sorted(own) == sorted(labels):
        order = [own.index(label) for label in labels]
        if order != list(range(len(labels))):
            reporter.note(f"{folder}: its head's labels {', '.join(own)} reordered as {', '.join(labels)}")
    elif has_head:
        reporter.note(f"{folder}: its head's labels ({', '.join(own)}) differ from {', '.join(labels)}: a fresh head is trained")
    else:
        reporter.note(f"{folder}: an encoder without a classification head: a fresh head is trained")
    config.num_labels, config.id2label, config.label2id = len(labels), id2label, label2id
    try:
        model = AutoModelForAudioClassification.from_pretrained(
            str(folder), config=config, ignore_mismatched_sizes=order is None, dtype=torch.float32)
    except (OSError, ValueError, RuntimeError) as error:
        raise DataError(f"{folder}: cannot load the checkpoint ({error})") from None
    if has_head and options.new_head:
        fresh_head(model)
    if order is not None and order != list(range(len(labels))):
        with torch.no_grad():
            model.classifier.weight.copy_(model.classifier.weight[order].clone())
            model.classifier.bias.copy_(model.classifier.bias[order].clone())
    return model


def fresh_head(model):
    """Initialises the projector and classifier as transformers does a new model's linear layers
    (normal with the config's initializer_range, zero biases)."""
    with torch.no_grad():
        for layer in (model.projector, model.classifier):
            layer.weight.normal_(0.0, model.config.initializer_range)
            layer.bias.zero_()


def head_parameter_names(model):
    """The parameters of the head: projector, classifier, and the layer weights of a weighted layer sum."""
    return {name for name, _ in model.named_parameters()
            if name.startswith(("projector.", "classifier.")) or name == "layer_weights"}


def freeze(model, options: TeacherOptions):
    """Fine-tuning freezes the convolutional feature encoder; `freeze_encoder` everything but the head.
    Returns the parameters left to train."""
    if options.mode == "head":
        trainable = head_parameter_names(model)
        for name, parameter in model.named_parameters():
            parameter.requires_grad = name in trainable
    elif options.mode == "fine-tune":
        model.freeze_feature_encoder()
    return [parameter for parameter in model.parameters() if parameter.requires_grad]


def load_audio(options: TeacherOptions, clips):
    """Each clip's samples: from the `audio` folder sergraph decoded them into, else the manifest's own WAVs."""
    return [read_wav(audio_path(options.audio, clip) if options.audio else clip.audio) for clip in clips]


def random_crop(samples, length, rng):
    """`length` samples at a random start; a shorter clip is repeated cyclically from a random sample."""
    count = len(samples)
    start = int(rng.integers(0, count - length + 1)) if count >= length else int(rng.integers(0, count))
    if count >= length:
        return samples[start:start + length]
    return samples[(start + np.arange(length)) % count]


def warmup_cosine(warmup, total):
    """The learning rate's factor at each step: rising linearly over `warmup` steps, then a cosine
    from 1 down to 0 at step `total`."""
    def factor(step):
        if step < warmup:
            return (step + 1) / warmup
        return 0.5 * (1 + math.cos(math.pi * min(1.0, (step - warmup) / max(1, total - warmup))))
    return factor


def train_step(model, optimizer, x, targets, weights):
    """One Adam step on class-weighted cross-entropy; the batch's mean loss and its correct decisions."""
    logits = model(x).logits
    loss = torch.nn.functional.cross_entropy(logits, targets, weight=weights)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item(), int((logits.argmax(dim=1) == targets).sum())


def clip_posteriors(model, audio):
    """Posteriors of whole clips, each classified alone in eval mode (the native stage's offline decision)."""
    model.eval()
    rows = []
    with torch.no_grad():
        for samples in audio:
            logits = model(torch.from_numpy(samples)[None].to(model.dtype)).logits.float()
            rows.append(torch.softmax(logits, dim=1)[0].numpy())
    return np.stack(rows) if rows else np.zeros((0, model.config.num_labels))


def evaluate(model, audio, clips, labels):
    targets = np.array([labels.index(clip.label) for clip in clips], dtype=np.int64)
    matrix = metrics.confusion(targets, clip_posteriors(model, audio).argmax(axis=1), len(labels))
    return {**metrics.scores(matrix), "clips": len(clips), "speakers": len({clip.speaker for clip in clips}),
            "confusion": matrix.tolist()}


def parameter_count(model):
    return sum(parameter.numel() for parameter in model.parameters())


def save(model, options: TeacherOptions, training):
    """save_pretrained into a fresh folder beside the output, then the files moved in one by one
    (each a rename), so an existing output folder is never left half-written."""
    output = pathlib.Path(options.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    staging = output.parent / f".{output.name}.partial-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    from transformers.utils import logging
    logging.disable_progress_bar()
    stored = copy.deepcopy(model).to(torch.float16 if options.dtype == "float16" else torch.float32)
    stored.save_pretrained(str(staging), safe_serialization=True)
    (staging / "training.json").write_text(json.dumps(training, indent=2) + "\n")
    output.mkdir(exist_ok=True)
    for name in ("model.safetensors", "training.json", "config.json"):
        os.chmod(staging / name, 0o644)   # as any other file the user writes (save_pretrained's temporary file is 0600)
        os.replace(staging / name, output / name)
    shutil.rmtree(staging, ignore_errors=True)


def train_teacher(options: TeacherOptions, reporter: Reporter = None):
    """Trains, writes the checkpoint folder to options.output, and returns the results."""
    reporter = reporter or Reporter()
    if options.dtype not in ("float32", "float16"):
        raise DataError(f"--dtype is float32 or float16, not '{options.dtype}'")
    set_seeds(options.seed, options.threads)
    labels = list(options.labels)
    clips = read_manifest(options.data, labels)
    by_split = {name: [clip for clip in clips if clip.split == name] for name in ("train", "dev", "test")}
    for name in ("train", "dev"):
        if not by_split[name]:
            raise DataError(f"{options.data}: no {name} clips (training needs train clips, early stopping dev clips)")
    audio = {name: load_audio(options, by_split[name]) for name in by_split}
    for name in by_split:
        for clip, samples in zip(by_split[name], audio[name]):
            if len(samples) < 400:
                raise DataError(f"{options.data}:{clip.line}: '{clip.path}' has {len(samples)} samples at 16 kHz; "
                                "the teacher needs at least 400 (25 ms)")
    train_targets = np.array([labels.index(clip.label) for clip in by_split["train"]], dtype=np.int64)
    weights = class_weights(train_targets, len(labels), labels)
    reporter.note(f"{len(clips)} clips: " + ", ".join(
        f"{name} {len(by_split[name])} ({len({c.speaker for c in by_split[name]})} speakers, "
        f"{sum(len(s) for s in audio[name]) / RATE:.0f} s)" for name in by_split))

    model = build_model(options, labels, reporter)
    trainable = freeze(model, options)
    learning_rate = options.learning_rate or DEFAULT_RATES[options.mode]
    optimizer = torch.optim.Adam(trainable, lr=learning_rate)
    count = len(by_split["train"])
    batches = max(1, -(-count // options.batch_size))
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, warmup_cosine(batches, batches * options.epochs))
    rng = np.random.default_rng(options.seed)
    crop = max(400, int(round(options.crop_seconds * RATE)))
    reporter.note(f"teacher: {options.mode}, {parameter_count(model)} parameters "
                  f"({sum(p.numel() for p in trainable)} trained), Adam {learning_rate:g}, {crop / RATE:g} s crops")

    stopping = EarlyStopping(options.patience, options.epochs, reporter)
    started = time.perf_counter()
    for epoch in range(1, options.epochs + 1):
        epoch_started = time.perf_counter()
        model.train()
        if options.mode == "head":
            model.eval()   # a frozen encoder keeps its dropout off: only the head learns
        order = rng.permutation(count)
        total_loss, correct, seen = 0.0, 0, 0
        for index in range(batches):
            chosen = order[index * options.batch_size:(index + 1) * options.batch_size]
            length = min(crop, min(len(audio["train"][i]) for i in chosen))
            x = torch.from_numpy(np.stack([random_crop(audio["train"][i], length, rng) for i in chosen]))
            loss, hits = train_step(model, optimizer, x, torch.from_numpy(train_targets[chosen]), weights)
            schedule.step()
            total_loss, correct, seen = total_loss + loss * len(chosen), correct + hits, seen + len(chosen)
            reporter.batch(epoch, options.epochs, index + 1, batches, total_loss / seen)
        dev = evaluate(model, audio["dev"], by_split["dev"], labels)
        if stopping.after_epoch(model, epoch, total_loss / seen, correct / seen, dev, time.perf_counter() - epoch_started):
            break
    train_seconds = time.perf_counter() - started
    best, history = stopping.best, stopping.history

    model.load_state_dict(best["state"])
    if options.dtype == "float16":   # the figures of the weights as stored
        model.to(torch.float16).to(torch.float32)
    result = {"best_epoch": best["epoch"], "epochs_run": len(history), "train_seconds": train_seconds,
              "parameters": parameter_count(model), "labels": labels,
              "dev": evaluate(model, audio["dev"], by_split["dev"], labels)}
    if by_split["test"]:
        result["test"] = evaluate(model, audio["test"], by_split["test"], labels)
    training = {
        "command": options.command, "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "manifest": str(options.data), "mode": options.mode, "from": options.from_folder, "seed": options.seed,
        "threads": options.threads, "epochs_run": len(history), "best_epoch": best["epoch"],
        "train_seconds": round(train_seconds, 1), "crop_seconds": crop / RATE, "dtype": options.dtype,
        "optimizer": {"name": "adam", "learning_rate": learning_rate, "schedule": "linear warm-up over the first epoch, then cosine to 0 at the last",
                      "batch_size": options.batch_size},
        "patience": options.patience, "class_weights": [round(float(w), 4) for w in weights],
        "torch": torch.__version__, "clips": {name: len(by_split[name]) for name in by_split},
        "speakers": {name: sorted({clip.speaker for clip in by_split[name]}) for name in by_split},
        **{split: {key: round(result[split][key], 4) for key in ("ua", "wa", "f1")} for split in ("dev", "test") if split in result},
    }
    save(model, options, training)
    result["model"] = str(options.output)
    result["bytes"] = (pathlib.Path(options.output) / "model.safetensors").stat().st_size
    reporter.result(result)
    return result

#!/usr/bin/env python3
"""Makes the parity fixtures the native `student` stage is checked against.

A tiny "cnn" student (the training package's own model code, sergraph_train.model) with
seeded random weights and non-trivial batch-norm statistics, and raw dB windows with what
PyTorch makes of them. Writes into Tests/Fixtures/student/:
  tiny/model.safetensors, tiny/model.json   the model folder, as `sergraph train student`
                                            writes it (3 blocks, channels 4/8/12, 20-frame windows)
  windows.npy      (N, 20, 64) float32 raw log-mel windows in dB, BEFORE normalisation
  posteriors.npy   (N, 5) float32 softmax outputs, model in eval mode
  embeddings.npy   (N, 256) float32 the penultimate layer (after its ReLU)
  README.md        what this is (generated)

The script checks itself: the folder read back reproduces the outputs bit for bit, and an
independent NumPy forward pass with batch norm folded into the convolutions (what the
Swift stage does) agrees within 1e-5. The Swift tests never run Python; rerun this only to
change the fixtures (deterministic for the pinned versions) and commit them:

    bash scripts/setup          # makes .venv with training/requirements.txt (torch 2.13.0+cpu)
    .venv/bin/python scripts/neural/make_student_fixtures.py
"""
import pathlib
import shutil
import sys

import numpy as np
import torch

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "training"))
from sergraph_train.export import (DEFAULT_FEATURES, posteriors, read_model_folder,  # noqa: E402
                                   window_json, write_model_folder)
from sergraph_train.model import Architecture, Student, normalize  # noqa: E402

OUT = ROOT / "Tests" / "Fixtures" / "student"
LABELS = ["neutral", "happy", "sad", "angry", "fearful"]
FRAMES, HOP_FRAMES, MELS, COUNT = 20, 5, 64, 8


def tiny_model(generator):
    architecture = Architecture(preset="tiny", channels=[4, 8, 12], kernel=3, pool=2)
    model = Student(architecture, classes=len(LABELS))
    with torch.no_grad():
        for name, tensor in model.named_parameters():
            if name.endswith("bn.weight"):
                tensor.copy_(0.5 + torch.rand(tensor.shape, generator=generator))
            elif name.endswith("bias"):
                tensor.copy_(0.2 * torch.randn(tensor.shape, generator=generator))
            else:
                fan_in = tensor[0].numel()
                tensor.copy_(torch.randn(tensor.shape, generator=generator) * (2.0 / fan_in) ** 0.5)
        for block in model.blocks:
            block.bn.running_mean.copy_(0.5 * torch.randn(block.bn.running_mean.shape, generator=generator))
            block.bn.running_var.copy_(0.3 + 2.7 * torch.rand(block.bn.running_var.shape, generator=generator))
    return model.eval()


def spread_classifier(model, windows, normalization, generator):
    """Random classifier weights scaled and offset so that the logits vary across these
    windows by about ±2 around zero: posteriors far from one-hot and from uniform."""
    with torch.no_grad():
        embeddings = model.embed(torch.from_numpy(normalize(windows, normalization))).double()
        deviations = embeddings - embeddings.mean(dim=0)
        weight = torch.randn(model.classifier.weight.shape, generator=generator).double()
        weight *= 2.0 / (deviations @ weight.T).std()
        model.classifier.weight.copy_(weight.float())
        model.classifier.bias.copy_((-(embeddings.mean(dim=0) @ weight.T)).float())


def raw_windows(rng):
    """Speech-like dB windows: a spectral envelope falling with frequency, a slow
    time-varying level, noise, a few values at the -100 dB floor, and different gains."""
    mel = np.arange(MELS)
    frames = np.arange(FRAMES)[:, None]
    windows = []
    for i in range(COUNT):
        peaks = rng.uniform(0, MELS, 3)
        envelope = -30 - rng.uniform(0, 1) * mel + sum(20 * np.exp(-0.5 * ((mel - p) / 3) ** 2) for p in peaks)
        level = rng.uniform(2, 15) * np.sin(frames / rng.uniform(1, 5) + i)
        x = envelope[None, :] + level + rng.uniform(1, 8) * rng.standard_normal((FRAMES, MELS)) + rng.uniform(-20, 10)
        x[rng.random((FRAMES, MELS)) < 0.03] = -100.0
        windows.append(np.maximum(x, -100.0))
    return np.stack(windows).astype(np.float32)


def folded_reference(state, description, windows):
    """An independent forward pass in NumPy: batch norm folded into each convolution,
    explicit loops for the convolution and pooling."""
    arch = description["architecture"]
    x = normalize(windows, description["normalization"]).astype(np.float64)[:, None]  # (N, 1, T, M)
    pad = arch["kernel"] // 2
    for i in range(len(arch["channels"])):
        w = state[f"blocks.{i}.conv.weight"].astype(np.float64)
        scale = state[f"blocks.{i}.bn.weight"] / np.sqrt(state[f"blocks.{i}.bn.running_var"] + arch["bn_eps"])
        bias = state[f"blocks.{i}.bn.bias"] - state[f"blocks.{i}.bn.running_mean"] * scale
        w = w * scale[:, None, None, None]
        n, c, t, m = x.shape
        padded = np.zeros((n, c, t + 2 * pad, m + 2 * pad))
        padded[:, :, pad:pad + t, pad:pad + m] = x
        y = np.zeros((n, w.shape[0], t, m))
        for dt in range(arch["kernel"]):
            for dm in range(arch["kernel"]):
                y += np.einsum("nctm,oc->notm", padded[:, :, dt:dt + t, dm:dm + m], w[:, :, dt, dm])
        y = np.maximum(y + bias[None, :, None, None], 0)
        p = arch["pool"]
        tp, mp = t // p, m // p
        x = y[:, :, :tp * p, :mp * p].reshape(n, -1, tp, p, mp, p).mean(axis=(3, 5))
    x = x.mean(axis=3)
    x = x.max(axis=2) + x.mean(axis=2)
    embedding = np.maximum(x @ state["embedding.weight"].T + state["embedding.bias"], 0)
    logits = embedding @ state["classifier.weight"].T + state["classifier.bias"]
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True), embedding


def main():
    torch.manual_seed(0)
    generator = torch.Generator().manual_seed(10)
    rng = np.random.default_rng(10)
    model = tiny_model(generator)
    windows = raw_windows(rng)
    centred = windows - windows.mean(axis=(1, 2), keepdims=True)
    normalization = {"center": "window",
                     "mean": (centred.mean(axis=(0, 1)) + rng.normal(0, 1, MELS)).astype(np.float32),
                     "std": (centred.std(axis=(0, 1)) * rng.uniform(0.8, 1.2, MELS)).astype(np.float32)}
    spread_classifier(model, windows, normalization, generator)
    training = {"note": "random weights for the native stage's parity test (scripts/neural/make_student_fixtures.py)",
                "torch": torch.__version__}

    if OUT.exists():
        shutil.rmtree(OUT)
    write_model_folder(OUT / "tiny", model, LABELS, DEFAULT_FEATURES,
                       window_json(FRAMES, HOP_FRAMES, DEFAULT_FEATURES), normalization, training)
    loaded, description = read_model_folder(OUT / "tiny")
    probabilities, embeddings = posteriors(loaded, windows, description)
    original, original_embeddings = posteriors(model, windows, description)
    assert np.array_equal(probabilities, original) and np.array_equal(embeddings, original_embeddings), \
        "the model folder read back does not reproduce the model"

    state = {name: tensor.numpy().astype(np.float64) for name, tensor in loaded.state_dict().items()}
    reference, reference_embeddings = folded_reference(state, description, windows)
    error = max(np.abs(reference - probabilities).max(), np.abs(reference_embeddings - embeddings).max())
    assert error < 1e-5, f"folded NumPy reference differs by {error}"
    spread = probabilities.max(axis=1)
    assert spread.min() < 0.9 and len(set(probabilities.argmax(axis=1).tolist())) >= 3, \
        "posteriors too alike to test anything"

    np.save(OUT / "windows.npy", windows)
    np.save(OUT / "posteriors.npy", probabilities.astype(np.float32))
    np.save(OUT / "embeddings.npy", embeddings.astype(np.float32))
    (OUT / "README.md").write_text(f"""# Parity fixtures for the `student` stage

Made by `scripts/neural/make_student_fixtures.py` (torch {torch.__version__}); do not edit.

- `tiny/`: a model folder (format {description['format']} v{description['format_version']}) of the "cnn"
  architecture with random weights and batch-norm statistics: channels {description['architecture']['channels']}
  (preset name "tiny": the channels list is what defines the layers), {FRAMES}-frame windows, {len(LABELS)} labels.
- `windows.npy`: {COUNT} × {FRAMES} × {MELS} raw log-mel windows in dB, before normalisation.
- `posteriors.npy`: {COUNT} × {len(LABELS)}, PyTorch's softmax outputs for those windows (model.json's
  normalisation applied, eval mode).
- `embeddings.npy`: {COUNT} × {description['architecture']['embedding_dim']}, the penultimate layer (after its ReLU).

The script checked these against an independent NumPy forward pass with batch norm folded into the
convolutions (largest difference {error:.1e}). The Swift stage must agree within 1e-4.
""")
    print(f"wrote {OUT} (max folded-reference difference {error:.1e})")


if __name__ == "__main__":
    main()

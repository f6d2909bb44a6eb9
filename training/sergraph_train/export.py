"""The model folder: model.safetensors (float32, state_dict names) + model.json.

This is what `sergraph eval`, the native `student` stage and hot swap load.
"""
import json
import os
import pathlib

import numpy as np
import safetensors.torch
import torch

from .model import Architecture, Student, exported_state, normalize

FORMAT = "sergraph-student"
FORMAT_VERSION = 1

# sergraph's `logmel` settings the students are trained on (its parameter names), at 16 kHz.
# `sergraph train student` passes the settings it extracted with; these are the same values.
DEFAULT_FEATURES = {
    "kind": "logmel", "sample_rate": 16000, "frame": 0.025, "hop": 0.01, "n-fft": 512,
    "window": "hann", "preemphasis": 0.97, "mels": 64, "fmin": 0, "fmax": 8000,
    "scale": "slaney", "filter-norm": "slaney", "spectrum": "power", "log": "db",
    "floor": 1e-10, "deltas": 0, "normalize": "none",
}


def window_json(frames, hop_frames, features):
    """The "window" entry: lengths in frames and in seconds (frames × the feature hop)."""
    return {"frames": frames, "hop_frames": hop_frames,
            "length": round(frames * features["hop"], 9), "hop": round(hop_frames * features["hop"], 9)}


def write_model_folder(folder, model: Student, labels, features, window, normalization, training):
    """Writes model.safetensors and model.json into `folder` (made if missing); each file
    is written under a temporary name and renamed, so a folder is never half-written."""
    folder = pathlib.Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    description = {
        "format": FORMAT, "format_version": FORMAT_VERSION,
        "labels": list(labels),
        "architecture": model.architecture.to_json(),
        "features": dict(features),
        "window": dict(window),
        "normalization": {"center": normalization["center"],
                          "mean": [float(v) for v in normalization["mean"]],
                          "std": [float(v) for v in normalization["std"]]},
        "training": training,
    }
    write_replacing(folder / "model.safetensors",
                    lambda path: safetensors.torch.save_file(exported_state(model), str(path), metadata={"format": "pt"}))
    write_replacing(folder / "model.json", lambda path: path.write_text(json.dumps(description, indent=2) + "\n"))


def write_replacing(path: pathlib.Path, write):
    """Writes `path` whole or not at all: `write(partial)` fills PATH.partial, which then
    replaces `path` (mode 0644), so a reader never sees a half-written file."""
    partial = path.with_name(path.name + ".partial")
    write(partial)
    os.chmod(partial, 0o644)
    os.replace(partial, path)


def read_model_folder(folder):
    """Loads a model folder back: (Student in eval mode, the model.json dictionary)."""
    folder = pathlib.Path(folder)
    description = json.loads((folder / "model.json").read_text())
    if description.get("format") != FORMAT or description.get("format_version") != FORMAT_VERSION:
        raise ValueError(f"{folder / 'model.json'}: not a {FORMAT} model of format version {FORMAT_VERSION}")
    spec = description["architecture"]
    architecture = Architecture(preset=spec["preset"], channels=list(spec["channels"]), kernel=spec["kernel"],
                                pool=spec["pool"], embedding_dim=spec["embedding_dim"], bn_eps=spec["bn_eps"])
    model = Student(architecture, classes=len(description["labels"]))
    state = safetensors.torch.load_file(str(folder / "model.safetensors"))
    # num_batches_tracked is not stored; it only matters for momentum-free batch norm.
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [name for name in missing if not name.endswith("num_batches_tracked")]
    if missing or unexpected:
        raise ValueError(f"{folder / 'model.safetensors'}: missing tensors {missing}, unexpected {unexpected}")
    return model.eval(), description


def posteriors(model: Student, raw_windows, description, batch=256):
    """Posteriors and embeddings of raw dB windows (N, frames, mels) as the native stage
    computes them: normalise as model.json says, run the model in eval mode, softmax."""
    x = normalize(raw_windows, description["normalization"])
    probabilities, embeddings = [], []
    model.eval()
    with torch.no_grad():
        for start in range(0, len(x), batch):
            chunk = torch.from_numpy(x[start:start + batch])
            embedding = model.embed(chunk)
            probabilities.append(torch.softmax(model.classifier(embedding), dim=1).numpy())
            embeddings.append(embedding.numpy())
    return np.concatenate(probabilities), np.concatenate(embeddings)

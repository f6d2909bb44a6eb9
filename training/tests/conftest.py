import pathlib
import wave

import numpy as np
import pytest

from sergraph_train.data import DEFAULT_LABELS


def write_synthetic_corpus(folder: pathlib.Path, speakers=(("a", "train"), ("b", "train"), ("c", "train"), ("d", "dev"), ("e", "test")),
                           clips_per_class=3, seed=0):
    """A manifest of tiny silent .wav placeholders and their log-mel .npy features: each class
    a distinct spectral bump (plus a speaker offset, noise and a random gain), so a model can
    learn it in a few epochs."""
    rng = np.random.default_rng(seed)
    features = folder / "features"
    lines = ["path,label,speaker,split"]
    for speaker, split in speakers:
        (folder / speaker).mkdir(parents=True, exist_ok=True)
        (features / speaker).mkdir(parents=True, exist_ok=True)
        tilt = rng.normal(0, 3)
        for index, label in enumerate(DEFAULT_LABELS):
            for clip in range(clips_per_class):
                name = f"{speaker}/{label}-{clip}"
                (folder / f"{name}.wav").write_bytes(b"")
                frames = int(rng.integers(12, 40))
                mel = np.arange(64)
                envelope = -40 + tilt * mel / 64 + 15 * np.exp(-0.5 * ((mel - (6 + 12 * index)) / 3) ** 2)
                x = envelope[None] + 3 * rng.standard_normal((frames, 64)) + rng.uniform(-20, 20)
                np.save(features / f"{name}.logmel.npy", x.astype(np.float32))
                lines.append(f"{name}.wav,{label},{speaker},{split}")
    (folder / "manifest.csv").write_text("\n".join(lines) + "\n")
    return folder / "manifest.csv", features


def write_audio_corpus(folder, speakers=(("a", "train"), ("b", "train"), ("c", "dev"), ("d", "test")), clips_per_class=2, seed=0):
    """16 kHz 16-bit WAVs: each class a tone of its own pitch with noise; a manifest of them."""
    rng = np.random.default_rng(seed)
    lines = ["path,label,speaker,split"]
    for speaker, split in speakers:
        (folder / speaker).mkdir(parents=True, exist_ok=True)
        for index, label in enumerate(DEFAULT_LABELS):
            for clip in range(clips_per_class):
                count = int(rng.integers(3200, 6400))
                t = np.arange(count) / 16000
                x = 0.3 * np.sin(2 * np.pi * 150 * (index + 1) * t) + 0.02 * rng.standard_normal(count)
                name = f"{speaker}/{label}-{clip}.wav"
                with wave.open(str(folder / name), "wb") as handle:
                    handle.setnchannels(1)
                    handle.setsampwidth(2)
                    handle.setframerate(16000)
                    handle.writeframes((x * 32767).astype("<i2").tobytes())
                lines.append(f"{name},{label},{speaker},{split}")
    (folder / "manifest.csv").write_text("\n".join(lines) + "\n")
    return folder / "manifest.csv"


@pytest.fixture
def synthetic_corpus(tmp_path):
    return write_synthetic_corpus(tmp_path)

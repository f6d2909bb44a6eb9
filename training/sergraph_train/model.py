"""The "cnn" student family: a small 2-D CNN over windows of log-mel frames.

Input: a batch of normalised windows, shape (batch, frames, mels). Each block is
Conv2d (k×k, stride 1, same padding, no bias) → BatchNorm2d → ReLU → AvgPool2d(pool).
Then the mean over the mel axis, then max + mean over time, then `embedding`
(Linear → ReLU, 256 wide: the penultimate representation), dropout, and `classifier`.
The parameter names are the model folder's tensor names; the native `student` stage
reads them (and folds the batch norm into the convolutions).
"""
from dataclasses import asdict, dataclass, field

import numpy as np
import torch
from torch import nn

PRESETS = {
    "cnn6-small": [16, 32, 64, 128],
    "cnn6-wide": [32, 64, 128, 256],
    "cnn8": [16, 32, 64, 128, 256],
}
DEFAULT_PRESET = "cnn6-small"


@dataclass
class Architecture:
    """The hyper-parameters model.json records under "architecture"."""
    preset: str = DEFAULT_PRESET
    channels: list = field(default_factory=lambda: list(PRESETS[DEFAULT_PRESET]))
    kernel: int = 3
    pool: int = 2
    embedding_dim: int = 256
    bn_eps: float = 1e-5
    name: str = "cnn"

    @classmethod
    def preset_named(cls, preset):
        if preset not in PRESETS:
            raise ValueError(f"unknown preset '{preset}'; there are {', '.join(PRESETS)}")
        return cls(preset=preset, channels=list(PRESETS[preset]))

    def to_json(self):
        return {key: asdict(self)[key] for key in ("name", "preset", "channels", "kernel", "pool", "embedding_dim", "bn_eps")}


class Block(nn.Module):
    def __init__(self, inputs, outputs, kernel, pool, eps):
        super().__init__()
        self.conv = nn.Conv2d(inputs, outputs, kernel, stride=1, padding=kernel // 2, bias=False)
        self.bn = nn.BatchNorm2d(outputs, eps=eps)
        self.pool = nn.AvgPool2d(pool)

    def forward(self, x):
        return self.pool(torch.relu(self.bn(self.conv(x))))


class Student(nn.Module):
    def __init__(self, architecture: Architecture, classes: int, dropout: float = 0.3):
        super().__init__()
        self.architecture = architecture
        widths = [1] + list(architecture.channels)
        self.blocks = nn.ModuleList(
            Block(widths[i], widths[i + 1], architecture.kernel, architecture.pool, architecture.bn_eps)
            for i in range(len(architecture.channels)))
        self.embedding = nn.Linear(widths[-1], architecture.embedding_dim)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(architecture.embedding_dim, classes)

    def embed(self, windows):
        """The 256-wide penultimate representation of (batch, frames, mels) windows."""
        x = windows.unsqueeze(1)
        for block in self.blocks:
            x = block(x)
        x = x.mean(dim=3)                           # over mels: (batch, channels, time)
        x = x.amax(dim=2) + x.mean(dim=2)           # over time: (batch, channels)
        return torch.relu(self.embedding(x))

    def forward(self, windows):
        """Logits, (batch, classes)."""
        return self.classifier(self.dropout(self.embed(windows)))


def minimum_frames(architecture: Architecture):
    """The shortest window every pooling layer still has a frame for."""
    return architecture.pool ** len(architecture.channels)


def normalize(windows, normalization):
    """Normalises raw dB windows (..., frames, mels) as the model folder says: with
    center "window", each window's overall mean is removed first (gain invariance);
    then each mel band is standardised with the training set's mean and std."""
    x = np.asarray(windows, dtype=np.float32)
    if normalization["center"] == "window":
        x = x - x.mean(axis=(-2, -1), keepdims=True)
    elif normalization["center"] != "none":
        raise ValueError(f"unknown normalization center '{normalization['center']}'")
    mean = np.asarray(normalization["mean"], dtype=np.float32)
    std = np.asarray(normalization["std"], dtype=np.float32)
    return ((x - mean) / std).astype(np.float32)


def exported_state(model: Student):
    """The state_dict as the model folder stores it: float32, without num_batches_tracked."""
    return {name: tensor.detach().to(torch.float32).contiguous()
            for name, tensor in model.state_dict().items() if not name.endswith("num_batches_tracked")}


def parameter_count(model: Student):
    return sum(p.numel() for p in model.parameters())

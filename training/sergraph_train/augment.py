"""Training-time augmentation of log-mel windows, for speech the model has never heard.

On raw dB windows (batch, frames, mels), before normalisation:
- room: a reverberant tail (exponential decay in the power domain, random RT60 and
  direct-to-reverberant ratio), smearing energy into the following frames;
- noise: coloured background noise added in the power domain at a random SNR;
- colour: a smooth random EQ curve over the mel bands (microphones, rooms, channels);
- shift: the spectrum moved by a few mel bands (other voices' pitch and formants);
- gain: a level change in dB, with the -100 dB floor of sergraph's logmel kept.
On normalised windows: SpecAugment-style time and frequency masks, and mixup.
Every random draw comes from the generators passed in, so a seed fixes the run.
"""
from dataclasses import dataclass

import torch

FLOOR_DB = -100.0


@dataclass
class Augmentation:
    room: float = 0.3            # probability of each augmentation per window
    noise: float = 0.4
    colour: float = 0.5
    shift: float = 0.3
    gain: float = 0.5
    max_shift: int = 2           # mel bands
    max_gain_db: float = 20.0
    snr_db: tuple = (5.0, 40.0)
    rt60: tuple = (0.15, 0.8)    # seconds
    colour_db: float = 6.0
    time_masks: int = 2
    time_mask_frames: int = 12
    freq_masks: int = 2
    freq_mask_bands: int = 8
    mixup: float = 0.2           # Beta(alpha, alpha) mixing; 0 turns mixup off

    @classmethod
    def off(cls):
        return cls(room=0, noise=0, colour=0, shift=0, gain=0, time_masks=0, freq_masks=0, mixup=0)


def _chosen(probability, batch, generator):
    return torch.rand(batch, generator=generator) < probability


def _uniform(low, high, shape, generator):
    return low + (high - low) * torch.rand(shape, generator=generator)


def augment_raw(x, settings: Augmentation, frame_hop, generator):
    """Returns augmented copies of raw dB windows x (batch, frames, mels)."""
    batch, frames, mels = x.shape
    x = x.clone()
    pick = _chosen(settings.room, batch, generator)
    if pick.any():
        power = 10.0 ** (x[pick] / 10.0)
        n = int(pick.sum())
        decay = 10.0 ** (-6.0 * frame_hop / _uniform(*settings.rt60, (n,), generator))   # per frame
        reverberant = 10.0 ** (_uniform(-10.0, 3.0, (n,), generator) / 10.0)           # tail vs direct
        tail = torch.zeros_like(power[:, 0])
        out = torch.empty_like(power)
        for t in range(frames):
            out[:, t] = power[:, t] + reverberant[:, None] * tail
            tail = decay[:, None] * (tail + (1 - decay[:, None]) * power[:, t])
        x[pick] = 10.0 * torch.log10(out.clamp_min(1e-10))
    pick = _chosen(settings.noise, batch, generator)
    if pick.any():
        n = int(pick.sum())
        level = x[pick].mean(dim=(1, 2)) - _uniform(*settings.snr_db, (n,), generator)
        slope = _uniform(-12.0, 3.0, (n, 1), generator) * torch.linspace(0, 1, mels)[None]
        noise = level[:, None, None] + slope[:, None, :] + 2.0 * torch.randn((n, frames, mels), generator=generator)
        x[pick] = 10.0 * torch.log10(10.0 ** (x[pick] / 10.0) + 10.0 ** (noise / 10.0))
    pick = _chosen(settings.colour, batch, generator)
    if pick.any():
        n = int(pick.sum())
        position = torch.linspace(0, torch.pi, mels)[None]
        curve = sum(_uniform(-1, 1, (n, 1), generator) * torch.cos(k * position) for k in (1, 2, 3))
        x[pick] = x[pick] + settings.colour_db / 3 * curve[:, None, :]
    pick = _chosen(settings.shift, batch, generator)
    for index in pick.nonzero().flatten().tolist():
        steps = int(torch.randint(-settings.max_shift, settings.max_shift + 1, (1,), generator=generator))
        if steps > 0:
            x[index] = torch.cat([x[index, :, :1].expand(frames, steps), x[index, :, :-steps]], dim=1)
        elif steps < 0:
            x[index] = torch.cat([x[index, :, -steps:], x[index, :, -1:].expand(frames, -steps)], dim=1)
    pick = _chosen(settings.gain, batch, generator)
    if pick.any():
        x[pick] = x[pick] + _uniform(-settings.max_gain_db, settings.max_gain_db, (int(pick.sum()), 1, 1), generator)
    return x.clamp_min(FLOOR_DB)


def mask(x, settings: Augmentation, generator):
    """SpecAugment-style masks on normalised windows: bands of frames and of mels set to 0
    (the training mean)."""
    batch, frames, mels = x.shape
    x = x.clone()
    for count, width, axis, size in ((settings.time_masks, settings.time_mask_frames, 1, frames),
                                     (settings.freq_masks, settings.freq_mask_bands, 2, mels)):
        for _ in range(count):
            widths = torch.randint(0, width + 1, (batch,), generator=generator)
            starts = (torch.rand(batch, generator=generator) * (size - widths + 1)).long()
            positions = torch.arange(size)[None]
            hidden = (positions >= starts[:, None]) & (positions < (starts + widths)[:, None])
            x = x.masked_fill(hidden[:, :, None] if axis == 1 else hidden[:, None, :], 0.0)
    return x


def mixup(x, targets, classes, alpha, rng):
    """Mixes each window with another of the batch by a Beta(alpha, alpha) weight (at least
    one half, so the window stays mostly itself): (mixed windows, soft targets). `rng` is a
    NumPy Generator."""
    one_hot = torch.nn.functional.one_hot(targets, classes).float()
    if alpha <= 0:
        return x, one_hot
    lam = torch.from_numpy(rng.beta(alpha, alpha, len(x))).float()
    lam = torch.maximum(lam, 1 - lam)
    partner = torch.from_numpy(rng.permutation(len(x)))
    mixed = lam[:, None, None] * x + (1 - lam[:, None, None]) * x[partner]
    return mixed, lam[:, None] * one_hot + (1 - lam[:, None]) * one_hot[partner]

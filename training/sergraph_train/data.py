"""Manifests, cached log-mel features, and windows.

A manifest is CSV with the header `path,label,speaker,split`; paths are relative to the
manifest's folder, split is train, dev or test. The log-mel frames of `a/b.wav` are read
from FEATURES/a/b.logmel.npy (frames × mels, float32), as `sergraph features logmel`
names them; Python never computes features itself.
"""
import csv
import pathlib
from dataclasses import dataclass

import numpy as np

DEFAULT_LABELS = ("neutral", "happy", "sad", "angry", "fearful")
SPLITS = ("train", "dev", "test")
HEADER = ["path", "label", "speaker", "split"]


class DataError(Exception):
    """A manifest or feature file that cannot be used; the message names the file and line."""


@dataclass(frozen=True)
class Clip:
    path: str          # as written in the manifest (relative to its folder)
    audio: pathlib.Path
    label: str
    speaker: str
    split: str
    line: int

    @property
    def labelled(self):
        return self.label != ""


def read_manifest(manifest, labels=DEFAULT_LABELS, check_files=True, unlabelled=False):
    """The clips of a manifest, in file order. Refuses (DataError naming the line) a wrong
    header, a line without exactly four non-empty fields, an unknown label or split, a path
    listed twice, and (with check_files) an audio file that does not exist. With `unlabelled`,
    a train clip's label may be empty: an unlabelled clip (its label is "")."""
    manifest = pathlib.Path(manifest)
    folder = manifest.parent
    try:
        handle = manifest.open(newline="", encoding="utf-8")
    except OSError as error:
        raise DataError(f"{manifest}: cannot read the manifest ({error.strerror})") from None
    clips, seen = [], {}
    required = (0, 2, 3) if unlabelled else (0, 1, 2, 3)     # the fields that may not be empty
    with handle:
        reader = csv.reader(handle)
        try:
            header = next(reader, None)
            if header != HEADER:
                raise DataError(f"{manifest}:1: the header must be '{','.join(HEADER)}', found '{','.join(header or [])}'")
            for row in reader:
                line = reader.line_num
                if len(row) != 4 or any(not row[index] for index in required):
                    raise DataError(f"{manifest}:{line}: malformed line: expected 4 non-empty fields "
                                    f"(path,label,speaker,split), found {row}")
                path, label, speaker, split = row
                if label and label not in labels:
                    raise DataError(f"{manifest}:{line}: unknown label '{label}'; the labels are {', '.join(labels)}")
                if split not in SPLITS:
                    raise DataError(f"{manifest}:{line}: unknown split '{split}'; it must be train, dev or test")
                if not label and split != "train":
                    raise DataError(f"{manifest}:{line}: a {split} clip needs a label (only train clips may be unlabelled)")
                key = pathlib.PurePosixPath(path).as_posix()
                if key in seen:
                    raise DataError(f"{manifest}:{line}: duplicate of line {seen[key]} ('{path}')")
                seen[key] = line
                audio = folder / path
                if check_files and not audio.is_file():
                    raise DataError(f"{manifest}:{line}: no such file '{audio}'")
                clips.append(Clip(path, audio, label, speaker, split, line))
        except csv.Error as error:
            raise DataError(f"{manifest}:{reader.line_num}: malformed line: {error}") from None
        except UnicodeDecodeError:
            raise DataError(f"{manifest}: not UTF-8 text") from None
    if not clips:
        raise DataError(f"{manifest}: no clips")
    return clips


def feature_path(features, clip: Clip):
    """Where `sergraph features logmel` put the clip's frames: FEATURES/<path without extension>.logmel.npy."""
    return pathlib.Path(features) / pathlib.PurePosixPath(clip.path).with_suffix(".logmel.npy")


def load_frames(features, clip: Clip, mels):
    """The clip's log-mel frames (frames × mels, float32)."""
    path = feature_path(features, clip)
    try:
        frames = np.load(path)
    except FileNotFoundError:
        raise DataError(f"{path}: no features for manifest line {clip.line} ('{clip.path}'); "
                        "`sergraph train student` extracts them") from None
    except (OSError, ValueError) as error:
        raise DataError(f"{path}: not a NumPy array ({error})") from None
    if frames.dtype != np.float32 or frames.ndim != 2 or frames.shape[1] != mels or frames.shape[0] == 0:
        raise DataError(f"{path}: expected frames × {mels} float32 log-mel frames, found {frames.shape} {frames.dtype}")
    return frames


def window_starts(frames, length, hop):
    """Window start frames for a clip of `frames` frames: 0, hop, 2·hop, ... while the window
    fits, plus one end-aligned window when those stop short of the end. A clip shorter than
    one window gives the single start 0 (its frames are repeated cyclically, see `windows`)."""
    if frames <= length:
        return [0]
    starts = list(range(0, frames - length + 1, hop))
    if starts[-1] + length < frames:
        starts.append(frames - length)
    return starts


def windows(frames, length, hop):
    """The clip's windows, (count, length, mels): per `window_starts`; a clip shorter than
    `length` frames gives one window of its frames repeated cyclically up to `length`."""
    count = len(frames)
    if count < length:
        return frames[np.arange(length) % count][None]
    return np.stack([frames[start:start + length] for start in window_starts(count, length, hop)])


def random_window(frames, length, rng):
    """One window at a random start (training crops); a clip shorter than `length` frames is
    repeated cyclically from a random frame."""
    count = len(frames)
    start = int(rng.integers(0, count - length + 1)) if count >= length else int(rng.integers(0, count))
    if count >= length:
        return frames[start:start + length]
    return frames[(start + np.arange(length)) % count]


@dataclass
class SplitWindows:
    """The windows of one split: raw dB windows, the class of each, and its clip."""
    windows: np.ndarray    # (count, length, mels) float32
    targets: np.ndarray    # (count,) int64 class index
    clip_of: np.ndarray    # (count,) int64 index into `clips`
    clips: list            # the Clips of this split

    @property
    def clip_targets(self):
        return self.targets[np.searchsorted(self.clip_of, np.arange(len(self.clips)))]


def split_windows(clips, features, labels, length, hop, mels):
    """Every window of the given clips (in order), read from the feature cache."""
    parts, targets, clip_of = [], [], []
    for index, clip in enumerate(clips):
        clip_windows = windows(load_frames(features, clip, mels), length, hop)
        parts.append(clip_windows)
        targets.append(np.full(len(clip_windows), labels.index(clip.label), dtype=np.int64))
        clip_of.append(np.full(len(clip_windows), index, dtype=np.int64))
    if not parts:
        return SplitWindows(np.zeros((0, length, mels), np.float32), np.zeros(0, np.int64), np.zeros(0, np.int64), [])
    return SplitWindows(np.concatenate(parts), np.concatenate(targets), np.concatenate(clip_of), list(clips))


def normalization_statistics(train_windows, center="window", minimum_std=1.0):
    """Per-mel mean and std of the training windows (after removing each window's mean when
    center is "window"). Stds are floored at `minimum_std` dB so that an almost constant band
    (e.g. one always at the floor) is not blown up."""
    x = train_windows.astype(np.float64)
    if center == "window":
        x = x - x.mean(axis=(1, 2), keepdims=True)
    mean = x.mean(axis=(0, 1))
    std = np.maximum(x.std(axis=(0, 1)), minimum_std)
    return {"center": center, "mean": mean.astype(np.float32), "std": std.astype(np.float32)}

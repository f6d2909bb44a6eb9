#!/usr/bin/env python3
"""Time librosa on "setting A" log-mel (or setting C's MFCC of it), as a baseline for sergraph's Swift implementation.

Usage:
    python3 scripts/golden/bench_librosa.py AUDIO.wav [REPEATS=5] [logmel|mfcc]

mfcc adds setting C to the timed pipeline: librosa.feature.mfcc(S=log-mel, n_mfcc=13,
dct_type=2, norm='ortho', lifter=22).

Loads the file with soundfile as float32 (multi-channel input is averaged to
mono; no resampling -- the file is assumed to be 16 kHz, a warning goes to
stderr otherwise), runs the computation once untimed as warm-up, then REPEATS
timed runs (time.perf_counter) of exactly the setting-A pipeline of
make_feature_goldens.py, in librosa's native float32:

    preemphasis(coef=0.97, zi=0)
    -> melspectrogram(n_fft=512, win_length=400, hop_length=160, window='hann',
                      center=False, power=2, n_mels=40, fmin=0, fmax=8000,
                      htk=False, norm='slaney')
    -> power_to_db(ref=1.0, amin=1e-10, top_db=None)

Mel filterbank construction is included in each timed run (librosa rebuilds it
on every melspectrogram call). File loading is not timed.

Output (stdout), one line per timed run, then the summary lines:
    run=<i> seconds=<float> frames=<int>
    median_seconds=<float>
    audio_seconds=<float>

Thread count of numpy's BLAS (used for the mel matrix product) can be pinned
with e.g. OMP_NUM_THREADS=1 / OPENBLAS_NUM_THREADS=1 for a single-core comparison.
"""

from __future__ import annotations

import statistics
import sys
import time

import numpy as np
import soundfile as sf
import librosa

SR = 16000


def logmel_a(y: np.ndarray) -> np.ndarray:
    ya = librosa.effects.preemphasis(y, coef=0.97, zi=0)
    S = librosa.feature.melspectrogram(
        y=ya, sr=SR, n_fft=512, hop_length=160, win_length=400, window="hann",
        center=False, power=2.0, n_mels=40, fmin=0.0, fmax=8000.0, htk=False,
        norm="slaney")
    return librosa.power_to_db(S, ref=1.0, amin=1e-10, top_db=None)


def mfcc_c(y: np.ndarray) -> np.ndarray:
    return librosa.feature.mfcc(S=logmel_a(y), n_mfcc=13, dct_type=2, norm="ortho", lifter=22)


def main() -> None:
    if len(sys.argv) < 2:
        sys.exit(f"usage: {sys.argv[0]} AUDIO.wav [REPEATS=5]")
    path = sys.argv[1]
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    compute = {"logmel": logmel_a, "mfcc": mfcc_c}[sys.argv[3] if len(sys.argv) > 3 else "logmel"]
    if repeats < 1:
        sys.exit("REPEATS must be >= 1")

    y, sr = sf.read(path, dtype="float32", always_2d=True)
    y = np.ascontiguousarray(y.mean(axis=1, dtype=np.float32) if y.shape[1] > 1 else y[:, 0])
    if sr != SR:
        print(f"warning: {path} is {sr} Hz, not resampled (assuming {SR} Hz)",
              file=sys.stderr)

    compute(y)  # warm-up (imports, lazy loading, FFT plan/cache)

    times = []
    for i in range(repeats):
        t0 = time.perf_counter()
        out = compute(y)
        dt = time.perf_counter() - t0
        times.append(dt)
        print(f"run={i} seconds={dt:.6f} frames={out.shape[-1]}", flush=True)

    print(f"median_seconds={statistics.median(times):.6f}")
    print(f"audio_seconds={len(y) / SR:.6f}")


if __name__ == "__main__":
    main()

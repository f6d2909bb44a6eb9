#!/usr/bin/env python3
"""Generate golden reference feature vectors for sergraph's Swift DSP tests.

What
----
Reads the committed clip ``Tests/Fixtures/speech-16k.wav`` (16 kHz, mono,
16-bit PCM, ~2.6 s of espeak-ng speech) and writes librosa reference outputs to
``Tests/Fixtures/features/``:

    logmel-slaney.npy        setting A: log-mel (dB), Slaney mel, pre-emphasis
    logmel-slaney-power.npy  setting A: mel power before the log
    mel-slaney-filters.npy   setting A: mel filterbank (40 x 257)
    logmel-htk.npy           setting B: ln(mel magnitude), HTK mel, Hamming
    mel-htk-filters.npy      setting B: mel filterbank (64 x 257)
    mfcc.npy                 setting C: 13 MFCCs (DCT-II ortho, lifter 22) of A
    mfcc-delta.npy           setting C: delta(mfcc, width=9)
    mfcc-delta2.npy          setting C: delta(delta(mfcc, width=9), width=9)
    mfcc-cmvn.npy            setting C: per-utterance CMVN of mfcc
    README.md                exact settings, shapes and conventions

Every feature file is float32, little-endian ('<f4'), C order, shaped
(frames, dims), i.e. time along axis 0 (librosa's (dims, frames) transposed).
Filterbank files are (n_mels, n_fft/2 + 1).

All framing uses center=False (no padding): frame t covers samples
y[t*hop : t*hop + n_fft], and n_frames = 1 + (len(y) - n_fft) // hop.
A window shorter than n_fft is zero-padded *centrally* to n_fft
(librosa.util.pad_center), so a 400-sample window sits at offset
(512 - 400) // 2 = 56 inside the 512-sample frame.

Computation is done in float64 (the float32 samples read from the WAV are
upcast exactly), and only the final arrays are rounded to float32, so the
goldens carry no float32 accumulation error of their own.

The script checks its own conventions at run time (pre-emphasis against an
explicit numpy recurrence, STFT framing/window placement against a manual
numpy rfft, delta against the HTK regression formula on interior frames) and
fails loudly if the installed librosa behaves differently.

How to run (from the repository root)
-------------------------------------
    pip install -r scripts/golden/requirements.txt && python3 scripts/golden/make_feature_goldens.py

Deterministic: same WAV + same pinned versions -> byte-identical .npy files.
If ``Tests/Fixtures/speech-16k.wav`` is missing it is (re)created with
espeak-ng + sox (see SPEECH_TEXT / make_wav below); espeak-ng output may vary
between versions, which is why the WAV itself is committed and is the input of
record.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import scipy
import scipy.signal
import soundfile as sf
import librosa

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "Tests" / "Fixtures"
WAV_PATH = FIXTURES / "speech-16k.wav"
OUT_DIR = FIXTURES / "features"

SR = 16000
SPEECH_TEXT = "She sells sea shells by the sea shore."

# ---- setting A (Kaldi/"speech" style log-mel, Slaney mel) -----------------
A = dict(preemph=0.97, n_fft=512, win_length=400, hop_length=160, window="hann",
         n_mels=40, fmin=0.0, fmax=8000.0, htk=False, norm="slaney",
         power=2.0, amin=1e-10)
# ---- setting B (HTK mel, magnitude, natural log) --------------------------
B = dict(n_fft=512, win_length=512, hop_length=256, window="hamming",
         n_mels=64, fmin=20.0, fmax=7600.0, htk=True, norm=None,
         power=1.0, floor=1e-6)
# ---- setting C (MFCC from A's dB log-mel) ---------------------------------
C = dict(n_mfcc=13, dct_type=2, norm="ortho", lifter=22, delta_width=9,
         cmvn_eps=1e-10)


def make_wav(path: Path) -> None:
    """Synthesize the clip with espeak-ng and convert to 16 kHz mono s16 WAV."""
    for tool in ("espeak-ng", "sox"):
        if shutil.which(tool) is None:
            sys.exit(f"{path} is missing and '{tool}' is not installed")
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "tmp.wav"
        subprocess.run(["espeak-ng", "-v", "en", "-s", "150", "-w", str(raw),
                        SPEECH_TEXT], check=True)
        # -D: no dither, so the conversion is deterministic.
        subprocess.run(["sox", str(raw), "-D", "-r", str(SR), "-c", "1",
                        "-b", "16", "-e", "signed-integer", str(path)],
                       check=True)
    print(f"created {path.relative_to(ROOT)}")


def load_wav(path: Path) -> np.ndarray:
    info = sf.info(str(path))
    assert info.samplerate == SR, info
    assert info.channels == 1, info
    assert info.subtype == "PCM_16", info
    y, sr = sf.read(str(path), dtype="float32", always_2d=False)
    assert sr == SR
    # soundfile float32 == int16 / 32768 exactly
    y_int, _ = sf.read(str(path), dtype="int16")
    assert np.array_equal(y, y_int.astype(np.float32) / np.float32(32768.0))
    return y


def preemphasis(y: np.ndarray, coef: float) -> np.ndarray:
    """y[n] - coef*y[n-1] with y[-1] = 0, via librosa; verified against numpy.

    NB: librosa's ``zi`` is the lfilter *state* (== -coef*y[-1]), not y[-1];
    zi=0 therefore means y[-1]=0. The default zi=None does NOT mean zero
    history (it uses zi = 2*y[0] - y[1]).
    """
    out = librosa.effects.preemphasis(y, coef=coef, zi=0)
    ref = np.empty_like(y)
    ref[0] = y[0]
    ref[1:] = y[1:] - coef * y[:-1]
    assert out.dtype == y.dtype
    assert np.array_equal(out, ref), "librosa preemphasis(zi=0) semantics changed"
    return out


def padded_window(window: str, win_length: int, n_fft: int) -> np.ndarray:
    """librosa's window: periodic (fftbins=True), centrally zero-padded to n_fft."""
    w = scipy.signal.get_window(window, win_length, fftbins=True)
    return librosa.util.pad_center(w, size=n_fft)


def check_stft_framing(y: np.ndarray, p: dict) -> np.ndarray:
    """Return librosa's STFT (center=False) after checking it equals manual framing."""
    n_fft, hop, wl = p["n_fft"], p["hop_length"], p["win_length"]
    X = librosa.stft(y, n_fft=n_fft, hop_length=hop, win_length=wl,
                     window=p["window"], center=False)
    n_frames = 1 + (len(y) - n_fft) // hop
    assert X.shape == (n_fft // 2 + 1, n_frames), X.shape
    w = padded_window(p["window"], wl, n_fft)
    off = (n_fft - wl) // 2
    assert np.all(w[:off] == 0) and np.all(w[off + wl:] == 0)
    assert np.array_equal(w[off:off + wl],
                          scipy.signal.get_window(p["window"], wl, fftbins=True))
    frames = np.stack([y[t * hop: t * hop + n_fft] for t in range(n_frames)])
    Xm = np.fft.rfft(frames * w, axis=1).T
    err = np.max(np.abs(X - Xm)) / max(np.max(np.abs(Xm)), 1e-30)
    assert err < 1e-12, f"STFT framing mismatch, rel err {err}"
    return X


def mel_filters(p: dict) -> np.ndarray:
    return librosa.filters.mel(sr=SR, n_fft=p["n_fft"], n_mels=p["n_mels"],
                               fmin=p["fmin"], fmax=p["fmax"], htk=p["htk"],
                               norm=p["norm"], dtype=np.float64)


def melspec(y: np.ndarray, p: dict) -> np.ndarray:
    """librosa.feature.melspectrogram(center=False), cross-checked manually."""
    S = librosa.feature.melspectrogram(
        y=y, sr=SR, n_fft=p["n_fft"], hop_length=p["hop_length"],
        win_length=p["win_length"], window=p["window"], center=False,
        power=p["power"], n_mels=p["n_mels"], fmin=p["fmin"], fmax=p["fmax"],
        htk=p["htk"], norm=p["norm"], dtype=np.float64)
    X = check_stft_framing(y, p)
    S_manual = mel_filters(p) @ (np.abs(X) ** p["power"])
    assert np.allclose(S, S_manual, rtol=1e-10, atol=1e-300)
    return S


def check_delta(x: np.ndarray, d: np.ndarray, width: int) -> None:
    """Interior frames must equal HTK regression sum_k k(x[t+k]-x[t-k]) / (2 sum k^2)."""
    N = width // 2
    T = x.shape[1]
    denom = 2 * sum(k * k for k in range(1, N + 1))
    ref = np.zeros((x.shape[0], T - 2 * N))
    for k in range(1, N + 1):
        ref += k * (x[:, N + k: T - N + k] - x[:, N - k: T - N - k])
    ref /= denom
    assert np.allclose(d[:, N:T - N], ref, rtol=1e-9, atol=1e-9)


def float32_deviation(y32: np.ndarray, out: dict) -> dict:
    """Max |difference| of librosa's own float32 pipeline vs. the goldens.

    Informational only (written to the README as a tolerance hint for float32
    implementations); does not affect the goldens.
    """
    ya = librosa.effects.preemphasis(y32, coef=A["preemph"], zi=0)
    S = librosa.feature.melspectrogram(
        y=ya, sr=SR, n_fft=A["n_fft"], hop_length=A["hop_length"],
        win_length=A["win_length"], window=A["window"], center=False,
        power=A["power"], n_mels=A["n_mels"], fmin=A["fmin"], fmax=A["fmax"],
        htk=A["htk"], norm=A["norm"])
    db = librosa.power_to_db(S, ref=1.0, amin=A["amin"], top_db=None)
    mf = librosa.feature.mfcc(S=db, n_mfcc=C["n_mfcc"], dct_type=C["dct_type"],
                              norm=C["norm"], lifter=C["lifter"])
    Sb = librosa.feature.melspectrogram(
        y=y32, sr=SR, n_fft=B["n_fft"], hop_length=B["hop_length"],
        win_length=B["win_length"], window=B["window"], center=False,
        power=B["power"], n_mels=B["n_mels"], fmin=B["fmin"], fmax=B["fmax"],
        htk=B["htk"], norm=B["norm"])
    lb = np.log(np.maximum(Sb, B["floor"]))
    assert S.dtype == np.float32 and Sb.dtype == np.float32
    P = out["logmel-slaney-power"]
    e_db = np.abs(db.T - out["logmel-slaney"])
    return {
        "logmel-slaney": float(e_db.max()),
        "logmel-slaney (power > 1e-6)": float(e_db[P > 1e-6].max()),
        "logmel-slaney-power (relative to frame max)": float(np.max(
            np.abs(S.T - P) / np.maximum(P.max(axis=1, keepdims=True), 1e-30))),
        "logmel-htk": float(np.abs(lb.T - out["logmel-htk"]).max()),
        "mfcc": float(np.abs(mf.T - out["mfcc"]).max()),
    }


def to_golden(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a, dtype="<f4")


def main() -> None:
    if not WAV_PATH.exists():
        make_wav(WAV_PATH)
    y32 = load_wav(WAV_PATH)
    y = y32.astype(np.float64)  # exact upcast; all math below in float64
    n = len(y)

    out: dict[str, np.ndarray] = {}

    # ---------------- A ----------------
    ya = preemphasis(y, A["preemph"])
    S_a = melspec(ya, A)                                   # (40, T_A) power
    db_a = librosa.power_to_db(S_a, ref=1.0, amin=A["amin"], top_db=None)
    assert np.allclose(db_a, 10 * np.log10(np.maximum(S_a, A["amin"])))
    fb_a = mel_filters(A)
    out["logmel-slaney"] = db_a.T
    out["logmel-slaney-power"] = S_a.T
    out["mel-slaney-filters"] = fb_a

    # ---------------- B ----------------
    S_b = melspec(y, B)                                    # (64, T_B) magnitude
    out["logmel-htk"] = np.log(np.maximum(S_b, B["floor"])).T
    out["mel-htk-filters"] = mel_filters(B)

    # ---------------- C ----------------
    mfcc = librosa.feature.mfcc(S=db_a, n_mfcc=C["n_mfcc"], dct_type=C["dct_type"],
                                norm=C["norm"], lifter=C["lifter"])   # (13, T_A)
    # cross-check: ortho DCT-II + librosa lifter 1 + L/2 sin(pi (i+1) / L)
    i = np.arange(C["n_mfcc"])
    lift = 1 + C["lifter"] / 2 * np.sin(np.pi * (i + 1) / C["lifter"])
    M = scipy.fft.dct(db_a, type=2, norm="ortho", axis=0)[:C["n_mfcc"]]
    assert np.allclose(mfcc, M * lift[:, None], rtol=1e-10, atol=1e-9)
    w = C["delta_width"]
    d1 = librosa.feature.delta(mfcc, width=w, order=1)
    d2 = librosa.feature.delta(d1, width=w, order=1)
    check_delta(mfcc, d1, w)
    check_delta(d1, d2, w)
    mu = mfcc.mean(axis=1, keepdims=True)
    var = mfcc.var(axis=1, keepdims=True)  # ddof=0
    cmvn = (mfcc - mu) / np.sqrt(var + C["cmvn_eps"])
    out["mfcc"] = mfcc.T
    out["mfcc-delta"] = d1.T
    out["mfcc-delta2"] = d2.T
    out["mfcc-cmvn"] = cmvn.T

    # ---------------- write ----------------
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    for name, arr in out.items():
        g = to_golden(arr)
        np.save(OUT_DIR / f"{name}.npy", g, allow_pickle=False)
        back = np.load(OUT_DIR / f"{name}.npy")
        assert back.dtype == np.dtype("<f4") and back.flags.c_contiguous
        assert np.array_equal(back, g)

    T_a, T_b = out["logmel-slaney"].shape[0], out["logmel-htk"].shape[0]
    assert T_a == 1 + (n - A["n_fft"]) // A["hop_length"]
    assert T_b == 1 + (n - B["n_fft"]) // B["hop_length"]
    write_readme(n, {k: v.shape for k, v in out.items()},
                 floored_a=int(np.sum(S_a < A["amin"])),
                 floored_b=int(np.sum(S_b < B["floor"])),
                 silent_a=np.flatnonzero(S_a.max(axis=0) == 0).tolist(),
                 silent_b=np.flatnonzero(S_b.max(axis=0) == 0).tolist(),
                 f32=float32_deviation(y32, out))

    print(f"librosa {librosa.__version__}, numpy {np.__version__}, "
          f"scipy {scipy.__version__}, soundfile {sf.__version__}")
    print(f"input {WAV_PATH.relative_to(ROOT)}: {n} samples ({n / SR:.4f} s)")
    for name, arr in out.items():
        print(f"  {name + '.npy':26s} {str(arr.shape):12s} "
              f"min {arr.min():11.4f} max {arr.max():11.4f}")


def ranges(idx: list) -> str:
    """[1, 2, 3, 7] -> '1-3, 7'."""
    parts, i = [], 0
    while i < len(idx):
        j = i
        while j + 1 < len(idx) and idx[j + 1] == idx[j] + 1:
            j += 1
        parts.append(f"{idx[i]}" if i == j else f"{idx[i]}-{idx[j]}")
        i = j + 1
    return ", ".join(parts) if parts else "(none)"


def write_readme(n: int, shapes: dict, floored_a: int, floored_b: int,
                 silent_a: list, silent_b: list, f32: dict) -> None:
    T_a = shapes["logmel-slaney"][0]
    T_b = shapes["logmel-htk"][0]
    s = lambda k: f"{shapes[k][0]} x {shapes[k][1]}"  # noqa: E731
    f32_rows = "\n".join(f"| {k} | {v:.3g} |" for k, v in f32.items())
    text = f"""# Feature goldens

Generated by `scripts/golden/make_feature_goldens.py` (do not edit by hand):

    pip install -r scripts/golden/requirements.txt && python3 scripts/golden/make_feature_goldens.py

Versions: librosa {librosa.__version__}, numpy {np.__version__}, scipy {scipy.__version__},
soundfile {sf.__version__} (Python {sys.version.split()[0]}).

## Input

`../speech-16k.wav`: espeak-ng (`-v en -s 150`) "{SPEECH_TEXT}", converted with
`sox -D -r 16000 -c 1 -b 16 -e signed-integer`; 16 kHz mono 16-bit PCM,
{n} samples ({n / SR:.4f} s), plain 44-byte RIFF header.
Samples are read with soundfile as float32 = int16 / 32768 (range [-1, 1)).
All computation is float64 (exact upcast of those float32 samples); results are
rounded to float32 only when saved.

## File format

Every `.npy` is float32 little-endian (`<f4`), C order, no pickle.
Feature files are **frames x dims** (time on axis 0; librosa's `(dims, frames)`
transposed). Filterbank files are **n_mels x (n_fft/2 + 1)**.

## Framing (all settings)

`center=False`, no padding of the signal: frame `t` is
`y[t*hop : t*hop + n_fft]`, and `n_frames = 1 + (len(y) - n_fft) // hop`
(trailing samples that do not fill a whole frame are dropped).
Each frame is multiplied by an `n_fft`-long window and transformed with a
real FFT of size `n_fft` (bins 0..n_fft/2, no normalisation).
Windows are *periodic* (`scipy.signal.get_window(name, win_length, fftbins=True)`,
e.g. Hann `w[i] = 0.5 - 0.5 cos(2 pi i / win_length)`), and when
`win_length < n_fft` the window is zero-padded **centrally** to `n_fft`
(`librosa.util.pad_center`): the `win_length` samples sit at offset
`(n_fft - win_length) // 2` in the frame, zeros elsewhere.

## Setting A: Slaney log-mel with pre-emphasis

1. Pre-emphasis `x[n] = y[n] - 0.97 y[n-1]`, `y[-1] = 0` (so `x[0] = y[0]`), applied
   once to the whole signal **before** framing
   (`librosa.effects.preemphasis(y, coef=0.97, zi=0)`, verified bit-exact
   against the numpy recurrence).
2. STFT `n_fft=512`, `win_length=400`, `hop_length=160`, periodic Hann(400)
   placed at offset **56** of the 512-sample frame (frame indices 56..455;
   note `w[0] = 0`, so the first non-zero tap is at index 57), `center=False`.
3. Power spectrum `|X|^2` (257 bins).
4. Mel filterbank `librosa.filters.mel(sr=16000, n_fft=512, n_mels=40, fmin=0,
   fmax=8000, htk=False, norm='slaney')` -> `mel-slaney-filters.npy`.
   `S = filters @ |X|^2`.
5. `10 * log10(max(S, 1e-10))` (`librosa.power_to_db(S, ref=1.0, amin=1e-10,
   top_db=None)`). {floored_a} of the {T_a * 40} mel power values are below 1e-10
   and therefore floored at -100 dB.

| file | shape | content |
|---|---|---|
| `logmel-slaney.npy` | {s('logmel-slaney')} | dB log-mel (step 5) |
| `logmel-slaney-power.npy` | {s('logmel-slaney-power')} | mel power `S` (step 4, before log) |
| `mel-slaney-filters.npy` | {s('mel-slaney-filters')} | filterbank (step 4) |

`{T_a} = 1 + ({n} - 512) // 160`.

## Setting B: HTK log-mel (magnitude, natural log)

No pre-emphasis. STFT `n_fft=512`, `win_length=512`, `hop_length=256`, periodic
Hamming(512) (`w[i] = 0.54 - 0.46 cos(2 pi i / 512)`, no padding needed),
`center=False`. Magnitude `|X|` (power=1). Mel filterbank
`librosa.filters.mel(sr=16000, n_fft=512, n_mels=64, fmin=20, fmax=7600,
htk=True, norm=None)` -> `mel-htk-filters.npy`. `S = filters @ |X|`, output
`ln(max(S, 1e-6))` (natural log). {floored_b} of the {T_b * 64} values are floored.

| file | shape | content |
|---|---|---|
| `logmel-htk.npy` | {s('logmel-htk')} | `ln(max(S, 1e-6))` |
| `mel-htk-filters.npy` | {s('mel-htk-filters')} | filterbank |

`{T_b} = 1 + ({n} - 512) // 256`.

## Setting C: MFCC (from setting A's dB log-mel)

`librosa.feature.mfcc(S=logmel_dB, n_mfcc=13, dct_type=2, norm='ortho', lifter=22)`:
orthonormal DCT-II over the 40 mel bands of the **dB** values (not ln), keep
coefficients 0..12, then multiply coefficient `i` (0-based) by
`1 + 11 * sin(pi * (i + 1) / 22)`. Note librosa's lifter is 1-based, so c0 is
liftered too (factor ~2.5653), unlike HTK/Kaldi where c0 gets factor 1.

Deltas: `librosa.feature.delta(x, width=9, order=1)` (default `mode='interp'`,
Savitzky-Golay). On interior frames this equals the HTK regression
`d[t] = sum_{{k=1..4}} k (x[t+k] - x[t-k]) / 60` (verified by the script). The
first and last 4 frames use librosa's polynomial edge fit, which a streaming
implementation will not reproduce: compare `mfcc-delta` only on frames
`4 .. T-5` and `mfcc-delta2` (delta of delta, HTK style, not
`order=2`) only on frames `8 .. T-9`.

CMVN: per utterance, per coefficient over all frames:
`(x - mean) / sqrt(var + 1e-10)` with population variance (ddof=0).

| file | shape | content |
|---|---|---|
| `mfcc.npy` | {s('mfcc')} | liftered MFCC |
| `mfcc-delta.npy` | {s('mfcc-delta')} | delta, interior frames 4..{T_a - 5} comparable |
| `mfcc-delta2.npy` | {s('mfcc-delta2')} | delta of delta, interior frames 8..{T_a - 9} comparable |
| `mfcc-cmvn.npy` | {s('mfcc-cmvn')} | CMVN of `mfcc` |

## Comparing with float32 implementations

The clip contains exact digital silence (espeak-ng emits zero samples): setting A
frames {ranges(silent_a)} and setting B frames {ranges(silent_b)} (0-based) see only zero samples under the
non-zero part of their window, so every mel value is exactly 0 and the outputs are exactly the floor (-100 dB / ln 1e-6 =
-13.8155); their MFCCs are c0 = -100 * sqrt(40) * 2.5653 = -1622.54 and ~0 for
c1..c12. In near-silent frames, mel power is tiny and small absolute errors become
large log errors; compare log features with an absolute tolerance, or restrict to
bands whose power is well above the floor (use `logmel-slaney-power.npy`).

For calibration, librosa's own float32 pipeline (same calls on the float32
samples) deviates from these float64-computed goldens by at most:

| quantity | max abs difference |
|---|---|
{f32_rows}
"""
    (OUT_DIR / "README.md").write_text(text)


if __name__ == "__main__":
    main()

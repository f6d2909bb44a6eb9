#!/usr/bin/env python3
"""Makes the reference pitch tracks that Tests/DSPTests/PitchTests.swift checks the
prosody pitch tracker against.

Writes into Tests/Fixtures/prosody/:
  NAME.wav        16 kHz mono 16-bit test signals: sox glides and espeak-ng speech
  NAME.f0.csv     Praat's pitch track of it: `time,f0` per 10 ms frame, time of the frame
                  centre in seconds, f0 in Hz with 0 for unvoiced frames

Praat (through praat-parselmouth, versions pinned in requirements-prosody.txt) runs its
default autocorrelation method, `To Pitch (ac)`, with a 10 ms step and the tracker's
default range, 60-500 Hz. The tests never run Python: they read what this script wrote,
so rerun it only to change the references, and commit its outputs.

    pip install -r scripts/golden/requirements-prosody.txt
    python3 scripts/golden/make_pitch_reference.py      # needs sox and espeak-ng on PATH
"""
import pathlib
import subprocess
import tempfile

import parselmouth

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "Tests" / "Fixtures" / "prosody"
RATE = 16000
TIME_STEP = 0.01
PITCH_FLOOR = 60.0
PITCH_CEILING = 500.0

# name -> sox synth effect arguments (2 s each, -6 dBFS peak)
SYNTHETIC = {
    "sine-glide": ["synth", "2", "sine", "100:300"],
    "sawtooth-glide": ["synth", "2", "sawtooth", "300:100"],
    "square-150": ["synth", "2", "square", "150"],
}

# name -> (espeak-ng voice, words per minute, text)
SPEECH = {
    "speech-en": ("en", "150", "The quick brown fox jumps over the lazy dog. Is that really so?"),
    "speech-en-f": ("en+f3", "140", "Nobody told me the train would leave at seven!"),
}


def synthesize(name, effect):
    path = OUT / f"{name}.wav"
    subprocess.run(["sox", "-n", "-r", str(RATE), "-c", "1", "-b", "16", str(path), *effect, "gain", "-6"], check=True)
    return path


def speak(name, voice, speed, text):
    path = OUT / f"{name}.wav"
    with tempfile.TemporaryDirectory() as folder:
        raw = pathlib.Path(folder) / "raw.wav"
        subprocess.run(["espeak-ng", "-v", voice, "-s", speed, "-w", str(raw), text], check=True)
        subprocess.run(["sox", str(raw), "-r", str(RATE), "-c", "1", "-b", "16", str(path), "rate", "-h"], check=True)
    return path


def write_reference(path):
    pitch = parselmouth.Sound(str(path)).to_pitch_ac(
        time_step=TIME_STEP, pitch_floor=PITCH_FLOOR, pitch_ceiling=PITCH_CEILING)
    rows = ["time,f0"]
    for time, f0 in zip(pitch.xs(), pitch.selected_array["frequency"]):
        rows.append(f"{time:.6f},{f0:.3f}")
    path.with_suffix(".f0.csv").write_text("\n".join(rows) + "\n")
    voiced = sum(1 for row in rows[1:] if not row.endswith(",0.000"))
    print(f"{path.name}: {len(rows) - 1} frames, {voiced} voiced")


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for name, effect in SYNTHETIC.items():
        write_reference(synthesize(name, effect))
    for name, (voice, speed, text) in SPEECH.items():
        write_reference(speak(name, voice, speed, text))
    print(f"parselmouth {parselmouth.__version__}, Praat {parselmouth.PRAAT_VERSION}")


if __name__ == "__main__":
    main()

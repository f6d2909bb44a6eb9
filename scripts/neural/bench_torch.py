#!/usr/bin/env python3
"""Times PyTorch's wav2vec2-base-shaped encoder on the CPU, as the reference figure for the
Swift wav2vec2 encoder's speed.

Builds `Wav2Vec2Model(Wav2Vec2Config())` -- the default config is wav2vec2-base's shape:
conv feature encoder 7 x 512 channels (group norm), hidden 768, 12 post-norm layers,
12 heads, intermediate 3072 -- with random weights (torch.manual_seed(SEED), default HF
init), in float32, eval mode, no dropout, SpecAugment off. It runs `model(input_values)`
on SECONDS of seeded random audio (N(0, 0.1^2) samples at 16 kHz, shape (1, 16000 *
SECONDS)) under torch.inference_mode(): one warm-up run, then RUNS timed runs. It then
times the feature encoder alone (`model.feature_extractor`) the same way.

Prints one line per run and then `median_seconds=...` (whole model) and
`conv_median_seconds=...` (feature encoder only), plus the frame count.

    pip install -r scripts/neural/requirements.txt
    python3 scripts/neural/bench_torch.py --seconds 60 --threads 1 --runs 3
    python3 scripts/neural/bench_torch.py --save /tmp/w2v2-base-random --input-npy /tmp/audio.npy

--save DIR writes the model with save_pretrained(DIR, safe_serialization=True)
(config.json + model.safetensors, ~380 MB) so the Swift side can load the very same
weights; --model DIR loads those weights instead (as scripts/bench-encoder does); --no-conv skips the
feature-encoder timing. --input-npy PATH writes the audio used (float32, shape (16000 * SECONDS,)).
"""
import argparse
import statistics
import time

import numpy as np
import torch
from transformers import Wav2Vec2Config, Wav2Vec2Model

RATE = 16000


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=60.0, help="audio length (default 60)")
    ap.add_argument("--threads", type=int, default=None,
                    help="torch.set_num_threads (default: torch's own choice)")
    ap.add_argument("--runs", type=int, default=3, help="timed runs after one warm-up (default 3)")
    ap.add_argument("--seed", type=int, default=0, help="seed for weights and audio (default 0)")
    ap.add_argument("--save", metavar="DIR", help="save_pretrained the model to DIR")
    ap.add_argument("--model", metavar="DIR", help="load the model from DIR instead of making it from the seed")
    ap.add_argument("--no-conv", action="store_true", help="skip timing the feature encoder alone")
    ap.add_argument("--input-npy", metavar="PATH", help="np.save the audio to PATH")
    ap.add_argument("--attn", default="eager", choices=["eager", "sdpa"],
                    help="attention implementation (default eager)")
    args = ap.parse_args()

    if args.threads is not None:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    config = Wav2Vec2Config(apply_spec_augment=False, hidden_dropout=0.0, activation_dropout=0.0,
                            attention_dropout=0.0, feat_proj_dropout=0.0, layerdrop=0.0)
    model = (Wav2Vec2Model.from_pretrained(args.model) if args.model else Wav2Vec2Model(config)).eval()
    if hasattr(model, "set_attn_implementation"):
        model.set_attn_implementation(args.attn)
    if args.save:
        model.save_pretrained(args.save, safe_serialization=True)
        print(f"saved model to {args.save}")

    n = int(round(RATE * args.seconds))
    audio = (0.1 * np.random.default_rng(args.seed).standard_normal(n)).astype(np.float32)
    if args.input_npy:
        np.save(args.input_npy, audio)
        print(f"saved input to {args.input_npy}")
    x = torch.from_numpy(audio)[None]

    print(f"torch {torch.__version__}, threads={torch.get_num_threads()}, attn={args.attn}, "
          f"seconds={args.seconds}, samples={n}")

    def timed(fn, label):
        times = []
        with torch.inference_mode():
            out = fn(x)  # warm-up
            for i in range(args.runs):
                t0 = time.perf_counter()
                out = fn(x)
                dt = time.perf_counter() - t0
                times.append(dt)
                print(f"{label} run {i + 1}: {dt:.3f} s")
        return out, statistics.median(times)

    out, med = timed(lambda v: model(v).last_hidden_state, "model")
    print(f"frames={out.shape[1]} hidden={out.shape[2]}")
    print(f"median_seconds={med:.3f}")
    if not args.no_conv:
        _, conv_med = timed(model.feature_extractor, "conv")
        print(f"conv_median_seconds={conv_med:.3f}")
    print(f"real_time_factor={med / args.seconds:.4f}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Times ONNX Runtime on the very weights sergraph's encoder benchmark loads, in float32 and
in ONNX Runtime's own dynamic int8 quantisation, as the peer figure for the Swift encoder.

    .venv/bin/python scripts/neural/bench_onnx.py export MODEL_DIR
    .venv/bin/python scripts/neural/bench_onnx.py time MODEL_DIR --seconds 8 --threads 1 --precision int8

`export` loads MODEL_DIR (a Hugging Face Wav2Vec2Model folder: config.json + model.safetensors,
as scripts/neural/bench_torch.py --save writes it) with transformers, exports it with
torch.onnx.export (TorchScript exporter, opset 17, the sample axis dynamic) to
MODEL_DIR/onnx/model.onnx, checks ONNX Runtime's output against PyTorch's on one second of audio,
and writes MODEL_DIR/onnx/model-int8.onnx with onnxruntime.quantization.quantize_dynamic
(weights int8 per tensor, activations quantised at run time; the MatMul nodes, which is every
linear layer of the transformer and the feature projection).

`time` runs one session (intra-op threads = --threads, inter-op 1, sequential execution, all graph
optimisations) on SECONDS of seeded random audio: one warm-up run, then RUNS timed runs, and
prints each run and `median_seconds=...`.
"""
import argparse
import os
import statistics
import time

import numpy as np

RATE = 16000


def export(folder):
    import torch
    from transformers import Wav2Vec2Model
    from onnxruntime.quantization import QuantType, quantize_dynamic
    import onnxruntime as ort

    target = os.path.join(folder, "onnx")
    os.makedirs(target, exist_ok=True)
    model = Wav2Vec2Model.from_pretrained(folder, attn_implementation="eager").eval()
    probe = torch.from_numpy((0.1 * np.random.default_rng(0).standard_normal(RATE)).astype(np.float32))[None]
    path = os.path.join(target, "model.onnx")
    with torch.inference_mode():
        torch.onnx.export(model, (probe,), path, dynamo=False, opset_version=17,
                          input_names=["input_values"], output_names=["last_hidden_state"],
                          dynamic_axes={"input_values": {1: "samples"}, "last_hidden_state": {1: "frames"}})
        expected = model(probe).last_hidden_state.numpy()
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    found = session.run(None, {"input_values": probe.numpy()})[0]
    difference = float(np.abs(found - expected).max())
    print(f"exported {path}: largest difference from PyTorch on 1 s {difference:.2e}")
    if not difference < 1e-3:
        raise SystemExit(f"bench_onnx: the ONNX export differs from PyTorch by {difference}")
    quantized = os.path.join(target, "model-int8.onnx")
    quantize_dynamic(path, quantized, weight_type=QuantType.QInt8)
    print(f"quantised {quantized}")


def timed(folder, seconds, threads, runs, precision, seed):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    name = "model.onnx" if precision == "float32" else "model-int8.onnx"
    session = ort.InferenceSession(os.path.join(folder, "onnx", name), options, providers=["CPUExecutionProvider"])
    n = int(round(RATE * seconds))
    audio = (0.1 * np.random.default_rng(seed).standard_normal(n)).astype(np.float32)[None]
    feed = {"input_values": audio}
    print(f"onnxruntime {ort.__version__}, threads={threads}, precision={precision}, seconds={seconds}")
    session.run(None, feed)  # warm-up
    times = []
    for i in range(runs):
        start = time.perf_counter()
        session.run(None, feed)
        times.append(time.perf_counter() - start)
        print(f"run {i + 1}: {times[-1]:.3f} s")
    print(f"median_seconds={statistics.median(times):.4f}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("action", choices=["export", "time"])
    ap.add_argument("model", help="the Hugging Face model folder")
    ap.add_argument("--seconds", type=float, default=8.0, help="audio length (default 8)")
    ap.add_argument("--threads", type=int, default=1, help="intra-op threads (default 1)")
    ap.add_argument("--runs", type=int, default=1, help="timed runs after one warm-up (default 1)")
    ap.add_argument("--precision", choices=["float32", "int8"], default="float32")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    if args.action == "export":
        export(args.model)
    else:
        timed(args.model, args.seconds, args.threads, args.runs, args.precision, args.seed)


if __name__ == "__main__":
    main()

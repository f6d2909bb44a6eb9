#!/usr/bin/env python3
"""Independent check of Tests/Fixtures/wav2vec2/: a plain-numpy wav2vec2 / HuBERT encoder
forward pass that reads only config.json and model.safetensors (through
safetensors.numpy.load_file, no torch, no transformers) and compares every saved .npy
against it. It is the written-out math the Swift encoder implements, and proves the
README's description of each array.

    pip install -r scripts/neural/requirements.txt
    python3 scripts/neural/check_wav2vec2_fixtures.py

Prints every tensor's name/shape/dtype and the max abs difference per array; exits
non-zero if any difference exceeds the tolerance (float64 reference vs float32 torch).
"""
import json
import math
import pathlib
import sys

import numpy as np
from safetensors.numpy import load_file

ROOT = pathlib.Path(__file__).resolve().parents[2]
FIX = ROOT / "Tests" / "Fixtures" / "wav2vec2"
TOL = 2e-4

_erf = np.frompyfunc(math.erf, 1, 1)


def gelu(x):  # exact erf GELU
    return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)).astype(np.float64))


def layer_norm(x, w, b, eps):  # over the last axis
    m = x.mean(-1, keepdims=True)
    v = ((x - m) ** 2).mean(-1, keepdims=True)
    return (x - m) / np.sqrt(v + eps) * w + b


def conv1d(x, w, b, stride=1, padding=0, groups=1):
    """x (C_in, T), w (C_out, C_in/groups, K) -> (C_out, T_out)"""
    if padding:
        x = np.pad(x, ((0, 0), (padding, padding)))
    c_out, cig, k = w.shape
    t_out = (x.shape[1] - k) // stride + 1
    cols = np.lib.stride_tricks.sliding_window_view(x, k, axis=1)[:, ::stride][:, :t_out]  # (C_in, T_out, K)
    cog = c_out // groups
    out = np.empty((c_out, t_out))
    for g in range(groups):
        xg = cols[g * cig:(g + 1) * cig]  # (cig, T_out, K)
        wg = w[g * cog:(g + 1) * cog]  # (cog, cig, K)
        out[g * cog:(g + 1) * cog] = np.einsum("ctk,ock->ot", xg, wg)
    if b is not None:
        out += b[:, None]
    return out


def forward(cfg, P, x):
    get = lambda k: P[k].astype(np.float64)
    opt = lambda k: P[k].astype(np.float64) if k in P else None
    res = {}
    h = x[None].astype(np.float64)  # (1, T)
    for i in range(cfg["num_feat_extract_layers"]):
        pre = f"feature_extractor.conv_layers.{i}."
        h = conv1d(h, get(pre + "conv.weight"), opt(pre + "conv.bias"), stride=cfg["conv_stride"][i])
        if cfg["feat_extract_norm"] == "group" and i == 0:
            # GroupNorm(C, C): each channel over time, eps 1e-5
            m = h.mean(1, keepdims=True)
            v = ((h - m) ** 2).mean(1, keepdims=True)
            h = (h - m) / np.sqrt(v + 1e-5) * get(pre + "layer_norm.weight")[:, None] \
                + get(pre + "layer_norm.bias")[:, None]
        elif cfg["feat_extract_norm"] == "layer":
            h = layer_norm(h.T, get(pre + "layer_norm.weight"), get(pre + "layer_norm.bias"), 1e-5).T
        h = gelu(h)
    conv = h.T  # (frames, C)
    res["conv_features"] = conv
    eps = cfg["layer_norm_eps"]
    if cfg.get("feat_proj_layer_norm", True):
        ef = layer_norm(conv, get("feature_projection.layer_norm.weight"),
                        get("feature_projection.layer_norm.bias"), eps)
    else:
        ef = conv
    res["extract_features"] = ef
    hs = ef @ get("feature_projection.projection.weight").T + get("feature_projection.projection.bias")
    # positional conv with weight norm (dim=2): w[:, :, k] = g[k] * v[:, :, k] / ||v[:, :, k]||
    pre = "encoder.pos_conv_embed.conv."
    if pre + "parametrizations.weight.original0" in P:
        g, v = get(pre + "parametrizations.weight.original0"), get(pre + "parametrizations.weight.original1")
    else:
        g, v = get(pre + "weight_g"), get(pre + "weight_v")
    w = g * v / np.sqrt((v ** 2).sum(axis=(0, 1), keepdims=True))
    K = cfg["num_conv_pos_embeddings"]
    pos = conv1d(hs.T, w, get(pre + "bias"), padding=K // 2, groups=cfg["num_conv_pos_embedding_groups"])
    if K % 2 == 0:
        pos = pos[:, :-1]
    hs = hs + gelu(pos).T
    stable = cfg["do_stable_layer_norm"]
    if not stable:
        hs = layer_norm(hs, get("encoder.layer_norm.weight"), get("encoder.layer_norm.bias"), eps)
    res["hidden_state_0"] = hs
    H = cfg["num_attention_heads"]
    D = cfg["hidden_size"] // H
    for li in range(cfg["num_hidden_layers"]):
        p = f"encoder.layers.{li}."
        lin = lambda t, n: t @ get(p + n + ".weight").T + get(p + n + ".bias")
        ln = lambda t, n: layer_norm(t, get(p + n + ".weight"), get(p + n + ".bias"), eps)

        def attn(t):
            T = t.shape[0]
            q = lin(t, "attention.q_proj").reshape(T, H, D).transpose(1, 0, 2)
            k = lin(t, "attention.k_proj").reshape(T, H, D).transpose(1, 0, 2)
            vv = lin(t, "attention.v_proj").reshape(T, H, D).transpose(1, 0, 2)
            s = q @ k.transpose(0, 2, 1) * D ** -0.5
            s = np.exp(s - s.max(-1, keepdims=True))
            s /= s.sum(-1, keepdims=True)
            o = (s @ vv).transpose(1, 0, 2).reshape(T, H * D)
            return lin(o, "attention.out_proj")

        ff = lambda t: lin(gelu(lin(t, "feed_forward.intermediate_dense")), "feed_forward.output_dense")
        if stable:
            hs = hs + attn(ln(hs, "layer_norm"))
            hs = hs + ff(ln(hs, "final_layer_norm"))
        else:
            hs = ln(hs + attn(hs), "layer_norm")
            hs = ln(hs + ff(hs), "final_layer_norm")
        res[f"hidden_state_{li + 1}"] = hs
    if stable:
        hs = layer_norm(hs, get("encoder.layer_norm.weight"), get("encoder.layer_norm.bias"), eps)
    res["last_hidden_state"] = hs
    return res


def main():
    x = np.load(FIX / "input.npy")
    assert x.dtype == np.float32 and x.shape == (19200,)
    worst = 0.0
    for name in ["base-tiny", "large-tiny", "hubert-tiny", "base-tiny-hub-names"]:
        folder = FIX / name
        cfg = json.loads((folder / "config.json").read_text())
        P = load_file(str(folder / "model.safetensors"))
        print(f"== {name} ({cfg['model_type']}, {len(P)} tensors)")
        for k in sorted(P):
            print(f"   {k:72s} {str(list(P[k].shape)):14s} {P[k].dtype}")
        if name.endswith("hub-names"):
            P = {k[len("wav2vec2."):]: v for k, v in P.items()}
            folder = FIX / "base-tiny"
        res = forward(cfg, P, x)
        for f in sorted(folder.glob("*.npy")):
            want = np.load(f)
            assert want.dtype == np.dtype("<f4"), f
            got = res[f.stem]
            assert got.shape == want.shape, (f, got.shape, want.shape)
            d = float(np.abs(got - want).max())
            scale = float(np.abs(want).max())
            worst = max(worst, d / max(1.0, scale))
            print(f"   {f.stem:22s} {str(want.shape):10s} max|diff|={d:.2e} (max|x|={scale:.2f})")
    print(f"worst relative-to-scale diff: {worst:.2e}")
    if worst > TOL:
        print("FAIL")
        sys.exit(1)
    print("OK")


if __name__ == "__main__":
    main()

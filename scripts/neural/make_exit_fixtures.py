#!/usr/bin/env python3
"""Makes the early-exit parity fixtures (Tests/Fixtures/wav2vec2-exits/) that the Swift exit
heads and the `wav2vec2-early-exit` stage are checked against.

For each of the tiny encoders of Tests/Fixtures/wav2vec2/ (base-tiny: post-norm layers;
large-tiny: pre-norm layers and a final layer norm), loaded with transformers, it adds exit
heads (training/sergraph_train/exits.py: GRU, layer norm, SELU, mean over frames, Linear →
256, Linear → classes) after layers 1 and 3 of 3, with every parameter seeded random (GRU
weights N(0, 0.3), biases N(0, 0.1), norm weights 1 + N(0, 0.1)), writes the folder exactly
as `sergraph train selfdistill` does, and runs the heads on the encoder's hidden states for
Tests/Fixtures/wav2vec2/input.npy (1.2 s), saving per exit k:
  exit_<k>_gru.npy        the GRU's output (frames, gru_hidden)
  exit_<k>_pooled.npy     the pooled feature after layer norm, SELU and the mean (1, gru_hidden)
  exit_<k>_logits.npy     (1, classes)
  exit_<k>_posteriors.npy softmax of the logits (1, classes)
float32, little-endian. Everything runs on the CPU in float32 with one thread; rerun only to
change the fixtures, and commit them:

    .venv/bin/python scripts/neural/make_exit_fixtures.py
"""
import pathlib
import sys

import numpy as np
import torch
from transformers import Wav2Vec2Model

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "training"))
from sergraph_train.exits import ExitHeads, read_exit_heads, write_exit_folder  # noqa: E402

SOURCE = ROOT / "Tests" / "Fixtures" / "wav2vec2"
OUT = ROOT / "Tests" / "Fixtures" / "wav2vec2-exits"
LABELS = ["neutral", "happy", "sad", "angry"]
EXITS = [1, 3]
GRU_HIDDEN = 40  # differs from the encoder's 48, so that a transposed shape cannot pass

torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)


def randomise(heads, seed):
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, parameter in heads.named_parameters():
            r = torch.randn(parameter.shape, generator=generator)
            if name.endswith("norm.weight"):
                parameter.copy_(1 + 0.1 * r)
            elif "bias" in name:
                parameter.copy_(0.1 * r)
            elif ".gru." in name:
                parameter.copy_(0.3 * r)
            else:
                parameter.copy_(r / np.sqrt(parameter.shape[1]))


def main():
    x = np.load(SOURCE / "input.npy")
    for index, name in enumerate(["base-tiny", "large-tiny"]):
        encoder = Wav2Vec2Model.from_pretrained(str(SOURCE / name)).eval()
        heads = ExitHeads(EXITS, encoder.config.hidden_size, GRU_HIDDEN, LABELS)
        randomise(heads, 100 + index)
        folder = OUT / f"{name}-exits"
        write_exit_folder(folder, encoder, heads, training={"note": "random heads: a parity fixture"})
        heads = read_exit_heads(folder)  # what was written, read back
        with torch.inference_mode():
            states = encoder(torch.from_numpy(x)[None], output_hidden_states=True).hidden_states
            outputs = heads(states)
            for layer in EXITS:
                gru, _ = heads.heads[str(layer)].gru(states[layer])
                logits, pooled = outputs[layer]
                arrays = {"gru": gru[0], "pooled": pooled, "logits": logits, "posteriors": torch.softmax(logits, dim=-1)}
                for key, value in arrays.items():
                    np.save(folder / f"exit_{layer}_{key}.npy", value.numpy().astype("<f4"))
                print(f"{name} exit {layer}: posteriors {np.round(arrays['posteriors'].numpy(), 4).tolist()}")


if __name__ == "__main__":
    main()

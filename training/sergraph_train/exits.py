"""Early-exit heads and the self-distilled model folder.

The folder is a Hugging Face wav2vec2 / HuBERT encoder checkpoint (config.json +
model.safetensors, as `save_pretrained` writes a `Wav2Vec2Model` / `HubertModel`) plus the
exit heads: exits.safetensors (float32, `exits.<layer>.<module>.<tensor>`) and exits.json
(format, version, exit layers, head shapes, labels). The native `wav2vec2-early-exit` stage
and `sergraph eval` read exactly this.

An exit after transformer layer k reads Hugging Face's `hidden_states[k]` (0 is the input of
the first layer; in transformers 5 the last one too is taken before a stable-layer-norm
encoder's final layer norm).
"""
import json
import pathlib

import safetensors.torch
import torch
from torch import nn

from .export import write_replacing

FORMAT = "sergraph-exits"
FORMAT_VERSION = 1
PROJECTION = 256


class ExitHead(nn.Module):
    """One exit, in this order (Ren et al.'s head): a one-layer unidirectional GRU over the
    layer's frames (hidden size `hidden`), layer norm over each frame, SELU, the average over
    the frames (the *pooled feature* the distillation compares), Linear(hidden → 256), then
    Linear(256 → classes), with no activation between the two linear layers."""

    def __init__(self, input_size, hidden, classes, projection=PROJECTION, epsilon=1e-5):
        super().__init__()
        self.gru = nn.GRU(input_size, hidden, batch_first=True)
        self.norm = nn.LayerNorm(hidden, eps=epsilon)
        self.projection = nn.Linear(hidden, projection)
        self.classifier = nn.Linear(projection, classes)

    def forward(self, frames, lengths=None):
        """frames [batch, time, input]; lengths [batch] (frames that are real, the rest
        padding at the end). Returns (logits [batch, classes], pooled [batch, hidden]). The GRU
        runs forwards, so padding after a clip's end never reaches the frames that are pooled."""
        outputs, _ = self.gru(frames)
        outputs = nn.functional.selu(self.norm(outputs))
        if lengths is None:
            pooled = outputs.mean(dim=1)
        else:
            mask = (torch.arange(frames.shape[1], device=frames.device)[None, :] < lengths[:, None]).to(outputs.dtype)
            pooled = (outputs * mask[..., None]).sum(dim=1) / lengths[:, None].to(outputs.dtype).clamp(min=1)
        return self.classifier(self.projection(pooled)), pooled


class ExitHeads(nn.Module):
    """The heads of every exit, by layer (ascending; the last is the deepest)."""

    def __init__(self, layers, input_size, hidden, labels, projection=PROJECTION, epsilon=1e-5):
        super().__init__()
        self.layers = sorted(int(layer) for layer in layers)
        self.labels = list(labels)
        self.input_size, self.hidden, self.projection, self.epsilon = input_size, hidden, projection, epsilon
        self.heads = nn.ModuleDict({str(layer): ExitHead(input_size, hidden, len(self.labels), projection, epsilon)
                                    for layer in self.layers})

    def forward(self, hidden_states, lengths=None):
        """hidden_states: Hugging Face's tuple (index k = after layer k). Returns
        {layer: (logits, pooled)}."""
        return {layer: self.heads[str(layer)](hidden_states[layer], lengths) for layer in self.layers}

    def description(self, training=None):
        """exits.json's content."""
        return {
            "format": FORMAT, "format_version": FORMAT_VERSION,
            "exits": self.layers, "labels": self.labels,
            "head": {"kind": "gru-layernorm-selu-mean-linear-linear", "input_size": self.input_size,
                     "gru_hidden": self.hidden, "projection": self.projection, "classes": len(self.labels),
                     "layer_norm_eps": self.epsilon},
            "training": training or {},
        }

    def state(self):
        """The tensors as exits.safetensors names them: exits.<layer>.<module>.<tensor>."""
        return {f"exits.{name}": tensor.detach().contiguous().float() for name, tensor in self.heads.state_dict().items()}


def write_exit_folder(folder, encoder, heads: ExitHeads, training=None):
    """Writes the encoder (save_pretrained: config.json + model.safetensors) and the heads
    (exits.safetensors, then exits.json last, so a folder with exits.json is complete)."""
    folder = pathlib.Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    encoder.save_pretrained(str(folder), safe_serialization=True)
    write_replacing(folder / "exits.safetensors",
             lambda path: safetensors.torch.save_file(heads.state(), str(path), metadata={"format": "pt"}))
    write_replacing(folder / "exits.json", lambda path: path.write_text(json.dumps(heads.description(training), indent=2) + "\n"))


def read_exit_heads(folder):
    """The heads of a folder written by write_exit_folder, in eval mode."""
    folder = pathlib.Path(folder)
    description = json.loads((folder / "exits.json").read_text())
    if description.get("format") != FORMAT or description.get("format_version") != FORMAT_VERSION:
        raise ValueError(f"{folder / 'exits.json'}: not a {FORMAT} version {FORMAT_VERSION} description")
    head = description["head"]
    heads = ExitHeads(description["exits"], head["input_size"], head["gru_hidden"], description["labels"],
                      head["projection"], head["layer_norm_eps"])
    tensors = safetensors.torch.load_file(str(folder / "exits.safetensors"))
    heads.heads.load_state_dict({name[len("exits."):]: value for name, value in tensors.items()})
    return heads.eval()

"""Self-distillation (Ren et al.): a wav2vec2 / HuBERT encoder fine-tuned together with exit heads
after some of its transformer layers, and saved as the folder of exits.py.

The deepest exit sits after the encoder's last layer and is the teacher of the others. The loss
of a batch is

    CE(deepest) + mean over the other exits k of [CE(k) + T² · KL + MSE(pooled_k, pooled_deepest)]

where KL = kl_div(log_softmax(logits_k / T), log_softmax(logits_deepest / T), log_target=True)
= Σ p_deepest (log p_deepest − log p_k) (the exit k's distribution measured against the
deepest's, taken on log-probabilities at temperature T), the pooled features are the heads'
means over frames after GRU, layer norm and SELU, and the deepest's side of KL and MSE is
detached (it teaches; it is taught by CE only). With no exit but the deepest the loss is its CE.

Training clips are cut to `crop` seconds at a random start (shorter ones are zero-padded, their
padding left out of the heads' pooling); dev clips are classified whole, one at a time, as
`sergraph eval` does. Early stopping on the deepest exit's dev UA, the best epoch's weights kept.
One seed fixes initial heads, order and crops.
"""
import copy
import datetime
import os
import time
from dataclasses import dataclass

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as in __main__: idle OpenMP threads sleep (before torch loads)

import numpy as np
import torch
import transformers
from torch import nn

from . import metrics
from .audio import RATE, audio_path, read_wav
from .data import DEFAULT_LABELS, DataError, read_manifest
from .exits import ExitHeads, write_exit_folder
from .runs import exit_status


@dataclass
class Options:
    encoder: str
    data: str
    audio: str
    output: str
    exits: tuple
    labels: tuple = DEFAULT_LABELS
    freeze_below: int = 0
    gru_hidden: int = 0          # 0: the encoder's hidden size (the paper's choice)
    temperature: float = 1.0
    crop: float = 2.0
    epochs: int = 10
    patience: int = 4
    batch_size: int = 8
    learning_rate: float = 5e-5
    head_learning_rate: float = 1e-3
    seed: int = 0
    threads: int = 2
    command: str = ""


def distillation_loss(outputs, targets, deepest, temperature=1.0):
    """The loss above. outputs: {layer: (logits [batch, classes], pooled [batch, hidden])};
    deepest: the teacher's layer. Returns (total, {name: value} for the record)."""
    deep_logits, deep_pooled = outputs[deepest]
    cross_entropy = nn.functional.cross_entropy
    total = cross_entropy(deep_logits, targets)
    teacher = nn.functional.log_softmax(deep_logits.detach() / temperature, dim=-1)
    terms = []
    for layer, (logits, pooled) in outputs.items():
        if layer == deepest:
            continue
        student = nn.functional.log_softmax(logits / temperature, dim=-1)
        kl = nn.functional.kl_div(student, teacher, log_target=True, reduction="batchmean") * temperature ** 2
        terms.append(cross_entropy(logits, targets) + kl + nn.functional.mse_loss(pooled, deep_pooled.detach()))
    if terms:
        total = total + torch.stack(terms).mean()
    return total


def load_encoder(folder):
    """The encoder of a Hugging Face checkpoint (a *Model or a *ForSequenceClassification,
    whose head is left out), with LayerDrop and SpecAugment off: every layer must run for
    every exit, and inference never masks."""
    config = transformers.AutoConfig.from_pretrained(folder)
    config.layerdrop = 0.0
    config.apply_spec_augment = False
    config.architectures = None
    return transformers.AutoModel.from_pretrained(folder, config=config)


def check_exits(exits, layers, folder):
    """The exit layers, ascending, with the last layer added as the deepest; refuses a layer
    outside 1..layers, naming the encoder's depth."""
    wrong = [layer for layer in exits if not 1 <= layer <= layers]
    if wrong:
        raise DataError(f"--exits {','.join(map(str, wrong))}: the encoder in {folder} has {layers} transformer layers "
                        f"(num_hidden_layers in its config.json), so exits are layers 1 to {layers}")
    return sorted(set(exits) | {layers})


def freeze(encoder, below):
    """Freezes the convolutional features, feature projection, positional embedding and the
    first `below` transformer layers when below > 0; 0 trains everything."""
    if below <= 0:
        return
    frozen = [encoder.feature_extractor, encoder.feature_projection, encoder.encoder.pos_conv_embed]
    if not getattr(encoder.config, "do_stable_layer_norm", False):
        frozen.append(encoder.encoder.layer_norm)
    frozen += list(encoder.encoder.layers[:below])
    for module in frozen:
        for parameter in module.parameters():
            parameter.requires_grad_(False)


def frames_of(encoder, samples):
    return int(encoder._get_feat_extract_output_lengths(torch.tensor(samples)).item())


def batch_of(audio, indices, crop, rng):
    """Crops of `crop` samples at random starts (zero-padded when shorter), and their lengths in samples."""
    batch = np.zeros((len(indices), crop), dtype=np.float32)
    lengths = []
    for row, index in enumerate(indices):
        samples = audio[index]
        start = int(rng.integers(0, len(samples) - crop + 1)) if len(samples) > crop else 0
        piece = samples[start:start + crop]
        batch[row, :len(piece)] = piece
        lengths.append(len(piece))
    return torch.from_numpy(batch), lengths


def evaluate(encoder, heads, audio, targets, classes):
    """Each clip whole, alone: {layer: {"ua", "wa", "f1"}}."""
    encoder.eval()
    heads.eval()
    predictions = {layer: [] for layer in heads.layers}
    with torch.inference_mode():
        for samples in audio:
            states = encoder(torch.from_numpy(samples)[None], output_hidden_states=True).hidden_states
            for layer, (logits, _) in heads(states).items():
                predictions[layer].append(int(logits.argmax(dim=-1)))
    return {layer: metrics.scores(metrics.confusion(np.array(targets), np.array(found), classes))
            for layer, found in predictions.items()}


def train(options: Options, report=print):
    """Trains and writes the folder; returns the training record (also in exits.json)."""
    torch.manual_seed(options.seed)
    torch.set_num_threads(options.threads)
    rng = np.random.default_rng(options.seed)
    clips = read_manifest(options.data, options.labels)
    index = {label: position for position, label in enumerate(options.labels)}
    train_clips = [clip for clip in clips if clip.split == "train"]
    dev_clips = [clip for clip in clips if clip.split == "dev"]
    if not train_clips or not dev_clips:
        raise DataError(f"{options.data}: self-distillation needs train and dev clips "
                        f"(found {len(train_clips)} train, {len(dev_clips)} dev)")
    train_audio = [read_wav(audio_path(options.audio, clip)) for clip in train_clips]
    dev_audio = [read_wav(audio_path(options.audio, clip)) for clip in dev_clips]
    train_targets = np.array([index[clip.label] for clip in train_clips])
    dev_targets = [index[clip.label] for clip in dev_clips]

    encoder = load_encoder(options.encoder)
    layers = encoder.config.num_hidden_layers
    exits = check_exits(options.exits, layers, options.encoder)
    if not 0 <= options.freeze_below <= layers:
        raise DataError(f"--freeze-below {options.freeze_below}: the encoder has {layers} transformer layers (0 to {layers})")
    freeze(encoder, options.freeze_below)
    hidden = encoder.config.hidden_size
    heads = ExitHeads(exits, hidden, options.gru_hidden or hidden, options.labels)
    optimizer = torch.optim.AdamW([
        {"params": [p for p in encoder.parameters() if p.requires_grad], "lr": options.learning_rate},
        {"params": heads.parameters(), "lr": options.head_learning_rate}])
    crop = int(options.crop * RATE)
    deepest = exits[-1]
    report(f"self-distillation: {len(train_clips)} train and {len(dev_clips)} dev clips, exits {exits} of {layers} layers, "
           f"encoder layers below {options.freeze_below} frozen" if options.freeze_below else
           f"self-distillation: {len(train_clips)} train and {len(dev_clips)} dev clips, exits {exits} of {layers} layers")

    best, best_ua, best_epoch, history = None, -1.0, 0, []
    started = time.time()
    for epoch in range(1, options.epochs + 1):
        encoder.train()
        heads.train()
        order = rng.permutation(len(train_clips))
        losses = []
        for start in range(0, len(order), options.batch_size):
            chosen = order[start:start + options.batch_size]
            waves, lengths = batch_of(train_audio, chosen, crop, rng)
            frames = torch.tensor([max(1, frames_of(encoder, length)) for length in lengths])
            states = encoder(waves, output_hidden_states=True).hidden_states
            loss = distillation_loss(heads(states, frames), torch.from_numpy(train_targets[chosen]), deepest,
                                     options.temperature)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        scores = evaluate(encoder, heads, dev_audio, dev_targets, len(options.labels))
        ua = scores[deepest]["ua"]
        history.append({"epoch": epoch, "loss": float(np.mean(losses)),
                        "dev_ua": {str(layer): round(value["ua"], 4) for layer, value in scores.items()}})
        report(f"epoch {epoch}/{options.epochs}: loss {np.mean(losses):.4f}, dev UA "
               + ", ".join(f"exit {layer} {value['ua']:.3f}" for layer, value in scores.items())
               + f" ({time.time() - started:.0f} s)")
        if ua > best_ua:
            best_ua, best_epoch = ua, epoch
            best = (copy.deepcopy(encoder.state_dict()), copy.deepcopy(heads.state_dict()))
        elif epoch - best_epoch >= options.patience:
            report(f"stopping: no better dev UA of the deepest exit for {options.patience} epochs")
            break
    encoder.load_state_dict(best[0])
    heads.load_state_dict(best[1])
    record = {"command": options.command, "encoder": str(options.encoder), "data": str(options.data),
              "best_epoch": best_epoch, "dev_ua_deepest": round(best_ua, 4), "freeze_below": options.freeze_below,
              "temperature": options.temperature, "crop": options.crop, "seed": options.seed, "history": history,
              "trained_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}
    write_exit_folder(options.output, encoder, heads.eval(), training=record)
    report(f"wrote {options.output} (best epoch {best_epoch}, dev UA of exit {deepest} {best_ua:.3f})")
    return record


def main(arguments):
    """`python -m sergraph_train selfdistill ARGUMENTS`: parses them, trains, returns the exit status."""
    import argparse
    import shlex
    parser = argparse.ArgumentParser(prog="sergraph train selfdistill",
                                     description="Fine-tune a wav2vec2 / HuBERT encoder with early-exit heads (self-distillation).")
    parser.add_argument("--encoder", required=True, help="Hugging Face checkpoint folder (config.json, model.safetensors)")
    parser.add_argument("--data", required=True, help="manifest CSV (path,label,speaker,split)")
    parser.add_argument("--audio", required=True, help="folder of the clips' 16 kHz WAV files (PATH without extension + .wav)")
    parser.add_argument("-o", "--output", required=True, help="folder to write")
    parser.add_argument("--exits", required=True, help="comma-separated layers, e.g. 3,8,10 (the last layer is always added)")
    parser.add_argument("--labels", default=",".join(DEFAULT_LABELS))
    parser.add_argument("--freeze-below", type=int, default=0, help="freeze the features and the first N transformer layers")
    parser.add_argument("--gru-hidden", type=int, default=0, help="the heads' GRU size (default: the encoder's hidden size)")
    parser.add_argument("--temperature", type=float, default=1.0, help="of the KL term")
    parser.add_argument("--crop", type=float, default=2.0, help="seconds of each training clip per step")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--patience", type=int, default=4, help="stop after this many epochs without a better dev UA (deepest exit)")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--lr", type=float, default=5e-5, help="AdamW learning rate of the encoder")
    parser.add_argument("--head-lr", type=float, default=1e-3, help="AdamW learning rate of the heads")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--command", help="the command line to record in exits.json")
    args = parser.parse_args(arguments)
    try:
        exits = tuple(int(value) for value in args.exits.split(",") if value.strip())
    except ValueError:
        parser.error(f"--exits '{args.exits}' is not a comma-separated list of layers")
    options = Options(encoder=args.encoder, data=args.data, audio=args.audio, output=args.output, exits=exits,
                      labels=tuple(label.strip() for label in args.labels.split(",") if label.strip()),
                      freeze_below=args.freeze_below, gru_hidden=args.gru_hidden, temperature=args.temperature,
                      crop=args.crop, epochs=args.epochs, patience=args.patience, batch_size=args.batch_size,
                      learning_rate=args.lr, head_learning_rate=args.head_lr, seed=args.seed, threads=args.threads,
                      command=args.command or shlex.join(["python", "-m", "sergraph_train", "selfdistill", *arguments]))
    return exit_status(lambda: train(options))

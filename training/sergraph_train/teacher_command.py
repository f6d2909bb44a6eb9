"""python -m sergraph_train teacher: train a wav2vec2 teacher (what `sergraph train teacher` runs)."""
import argparse
import json
import pathlib
import shlex
import sys

from .data import DEFAULT_LABELS
from .runs import exit_status
from .teacher import DEFAULT_RATES, TeacherOptions, train_teacher
from .train import Reporter


def parse(arguments):
    parser = argparse.ArgumentParser(prog="sergraph train teacher",
                                     description="Train a Wav2Vec2ForSequenceClassification teacher on a manifest's 16 kHz audio.")
    parser.add_argument("--data", required=True, help="manifest CSV (path,label,speaker,split)")
    parser.add_argument("-o", "--output", required=True, help="checkpoint folder to write (config.json, model.safetensors)")
    parser.add_argument("--audio", help="folder of the clips as 16 kHz WAV (FOLDER/<path without extension>.wav); "
                                        "default: the manifest's own files, which must then be 16 kHz WAV")
    parser.add_argument("--labels", default=",".join(DEFAULT_LABELS), help="comma-separated labels, in output order")
    parser.add_argument("--from", dest="from_folder", metavar="DIR",
                        help="fine-tune this wav2vec2/HuBERT checkpoint folder (its feature encoder frozen) instead of "
                             "training the small configuration from scratch")
    parser.add_argument("--config", metavar="JSON",
                        help="changes to the from-scratch configuration, a JSON object of Wav2Vec2Config fields "
                             "(e.g. '{\"num_hidden_layers\": 2, \"use_weighted_layer_sum\": true}') or a file holding one")
    parser.add_argument("--freeze-encoder", action="store_true",
                        help="with --from: train only the head (projector and classifier) on the frozen checkpoint")
    parser.add_argument("--new-head", action="store_true",
                        help="with --from: start from a fresh head even when the checkpoint's head has the same labels")
    parser.add_argument("--epochs", type=int, default=30, help="most epochs; the learning rate's cosine ends at the last (default 30)")
    parser.add_argument("--patience", type=int, default=10, help="stop after this many epochs without a better dev UA")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--lr", type=float, help="Adam learning rate (default: " + ", ".join(
        f"{rate:g} {mode}" for mode, rate in DEFAULT_RATES.items()) + ")")
    parser.add_argument("--crop-seconds", type=float, default=1.0, help="training crop per clip and epoch (default 1 s)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2, help="torch threads (default 2)")
    parser.add_argument("--dtype", choices=("float32", "float16"), default="float32", help="how the weights are stored")
    parser.add_argument("--json", action="store_true", help="JSON lines on stdout: one per epoch, then the result")
    parser.add_argument("--command", help="the command line to record in training.json (default: this one)")
    args = parser.parse_args(arguments)
    if args.freeze_encoder and not args.from_folder:
        parser.error("--freeze-encoder needs --from DIR (the checkpoint whose encoder is frozen)")
    if args.new_head and not args.from_folder:
        parser.error("--new-head needs --from DIR (from scratch, every head is new)")
    for name in ("epochs", "batch_size", "threads"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.crop_seconds <= 0:
        parser.error("--crop-seconds must be positive")
    if args.config is not None:
        if args.from_folder:
            parser.error("--config changes the from-scratch configuration; a --from checkpoint keeps its own")
        text = args.config
        if not text.lstrip().startswith("{"):
            try:
                text = pathlib.Path(text).read_text()
            except OSError as error:
                parser.error(f"--config {args.config}: cannot read it ({error.strerror})")
        try:
            args.config = json.loads(text)
        except json.JSONDecodeError as error:
            parser.error(f"--config {args.config}: not JSON ({error})")
        if not isinstance(args.config, dict):
            parser.error(f"--config {args.config}: not a JSON object")
    return args


def main(arguments=None):
    arguments = sys.argv[1:] if arguments is None else arguments
    args = parse(arguments)
    options = TeacherOptions(
        data=args.data, output=args.output, audio=args.audio,
        labels=tuple(label.strip() for label in args.labels.split(",") if label.strip()),
        from_folder=args.from_folder, config=args.config, freeze_encoder=args.freeze_encoder, new_head=args.new_head, epochs=args.epochs, patience=args.patience,
        batch_size=args.batch_size, learning_rate=args.lr, crop_seconds=args.crop_seconds, seed=args.seed,
        threads=args.threads, dtype=args.dtype,
        command=args.command or shlex.join(["python", "-m", "sergraph_train", "teacher", *arguments]))
    return exit_status(lambda: train_teacher(options, Reporter(json_lines=args.json)))

"""python -m sergraph_train: train a student (what `sergraph train student` runs);
`python -m sergraph_train teacher ...` trains a teacher (what `sergraph train teacher` runs);
`python -m sergraph_train selfdistill ...` an encoder with exit heads (`sergraph train selfdistill`)."""
import argparse
import json
import os
import shlex
import sys

# OpenMP threads that sleep rather than spin while they wait: on a machine whose cores are
# busy with other work, spinning threads made each batch about three times slower.
# (Set before torch is first imported.)
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch.multiprocessing

from . import distributed
from .augment import Augmentation
from .data import DEFAULT_LABELS
from .export import DEFAULT_FEATURES
from .graph import DISTANCES
from .model import DEFAULT_PRESET, PRESETS
from .runs import exit_status
from .train import Options, Reporter, train, train_rank


def parse(arguments):
    parser = argparse.ArgumentParser(prog="sergraph train student",
                                     description="Train a student CNN on a manifest's cached log-mel windows.")
    parser.add_argument("--data", required=True, help="manifest CSV (path,label,speaker,split)")
    parser.add_argument("--features", required=True, help="folder of cached log-mel .npy files (PATH without extension + .logmel.npy)")
    parser.add_argument("-o", "--output", required=True, help="model folder to write")
    parser.add_argument("--feature-settings", help="JSON file of the logmel settings the features were made with")
    parser.add_argument("--labels", default=",".join(DEFAULT_LABELS), help="comma-separated labels, in output order")
    parser.add_argument("--preset", default=DEFAULT_PRESET, choices=list(PRESETS))
    parser.add_argument("--window-frames", type=int, default=100, help="window length in frames (default 100 = 1 s)")
    parser.add_argument("--hop-frames", type=int, default=25, help="window hop in frames (default 25 = 0.25 s)")
    parser.add_argument("--crops", type=int, default=2, help="random windows per train clip and epoch (default 2)")
    parser.add_argument("--epochs", type=int, default=20, help="most epochs (the learning rate follows a cosine over them)")
    parser.add_argument("--patience", type=int, default=8, help="stop after this many epochs without a better dev UA")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate")
    parser.add_argument("--weight-decay", type=float, default=0.0)
    parser.add_argument("--dropout", type=float, default=0.3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2, help="torch threads (default 2; per process with --nproc)")
    parser.add_argument("--nproc", type=int, default=1,
                        help="training processes on this machine (DistributedDataParallel, gloo over 127.0.0.1; "
                             "each takes its share of every batch); under torchrun, its processes instead")
    parser.add_argument("--no-augment", action="store_true", help="train without augmentation")
    parser.add_argument("--mixup", type=float, default=Augmentation.mixup, help="mixup Beta alpha; 0 for none")
    parser.add_argument("--graph", help="neighbour graph TSV (source, target, weight; ids = manifest paths) to regularise with")
    parser.add_argument("--multiplier", type=float, default=0.1, help="weight of the graph term (default 0.1)")
    parser.add_argument("--distance", choices=list(DISTANCES), default="cosine",
                        help="graph term's distance between 256-d embeddings: cosine (1 - cos) or l2 (squared)")
    parser.add_argument("--max-neighbors", type=int, default=9, help="neighbours per train clip, the heaviest edges (default 9)")
    parser.add_argument("--json", action="store_true", help="JSON lines on stdout: one per epoch, then the result")
    parser.add_argument("--command", help="the command line to record in model.json (default: this one)")
    return parser.parse_args(arguments)


def main(arguments=None):
    arguments = sys.argv[1:] if arguments is None else arguments
    if arguments[:1] == ["teacher"]:
        from .teacher_command import main as teacher_main
        return teacher_main(arguments[1:])
    if arguments[:1] == ["selfdistill"]:
        from .selfdistill import main as selfdistill_main
        return selfdistill_main(arguments[1:])
    args = parse(arguments)
    features = dict(DEFAULT_FEATURES)
    if args.feature_settings:
        with open(args.feature_settings) as handle:
            features = json.load(handle)
    augmentation = Augmentation.off() if args.no_augment else Augmentation()
    augmentation.mixup = 0.0 if args.no_augment else args.mixup
    options = Options(data=args.data, features=args.features, output=args.output,
                      labels=tuple(label.strip() for label in args.labels.split(",") if label.strip()),
                      feature_settings=features, preset=args.preset, window_frames=args.window_frames,
                      hop_frames=args.hop_frames, crops=args.crops, epochs=args.epochs, patience=args.patience, batch_size=args.batch_size,
                      learning_rate=args.lr, weight_decay=args.weight_decay, dropout=args.dropout, seed=args.seed,
                      threads=args.threads, augmentation=augmentation, graph=args.graph, multiplier=args.multiplier,
                      distance=args.distance, max_neighbors=args.max_neighbors,
                      command=args.command or shlex.join(["python", "-m", "sergraph_train", *arguments]))
    if not 1 <= args.nproc <= args.batch_size:
        print(f"error: --nproc {args.nproc}: give 1 to --batch-size ({args.batch_size}) processes", file=sys.stderr)
        return 2
    if distributed.started_by_torchrun():
        distributed.join_torchrun_group()
        try:
            train_rank(options, args.json)
        finally:
            distributed.dist.destroy_process_group()
        return 0
    if args.nproc > 1:
        try:
            distributed.spawn(args.nproc, train_rank, options, args.json)
        except torch.multiprocessing.ProcessExitedException as error:
            return error.exit_code or 1   # the first process printed why
        return 0
    return exit_status(lambda: train(options, Reporter(json_lines=args.json)))


if __name__ == "__main__":
    sys.exit(main())

"""What the student and teacher trainers share: early stopping on dev UA, and how a command ends."""
import copy
import sys

from .data import DataError


class EarlyStopping:
    """Keeps the weights of the epoch with the best dev UA (the first of equals), records and
    reports every epoch, and says when `patience` epochs have passed without a better one."""

    def __init__(self, patience, epochs, reporter):
        self.patience = patience
        self.epochs = epochs
        self.reporter = reporter
        self.best = {"ua": -1.0, "epoch": 0, "state": None}
        self.history = []

    def after_epoch(self, model, epoch, loss, train_accuracy, dev, seconds, **extra):
        """Records epoch `epoch` (its mean loss, train accuracy, dev figures, duration and any
        `extra` figures); True when training should stop."""
        if dev["ua"] > self.best["ua"]:
            self.best = {"ua": dev["ua"], "epoch": epoch, "state": copy.deepcopy(model.state_dict())}
        record = {"epoch": epoch, "epochs": self.epochs, "loss": loss, "train_accuracy": train_accuracy,
                  "dev": {key: dev[key] for key in ("ua", "wa", "f1")}, "best_ua": self.best["ua"],
                  "best_epoch": self.best["epoch"], "seconds": seconds, **extra}
        self.history.append(record)
        self.reporter.epoch(record)
        return epoch - self.best["epoch"] >= self.patience


def exit_status(work):
    """Runs `work()`; 0 when it completes, 2 for a DataError (printed), 130 when interrupted."""
    try:
        work()
    except DataError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ninterrupted; no model written", file=sys.stderr)
        return 130
    return 0

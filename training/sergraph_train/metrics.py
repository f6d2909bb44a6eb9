"""Clip-level decisions and the usual SER figures."""
import numpy as np


def clip_posteriors(window_posteriors, clip_of, clips):
    """The mean of each clip's window posteriors, (clips, classes)."""
    sums = np.zeros((clips, window_posteriors.shape[1]))
    np.add.at(sums, clip_of, window_posteriors)
    counts = np.bincount(clip_of, minlength=clips)[:, None]
    return sums / counts


def confusion(targets, predictions, classes):
    """Rows: true class; columns: predicted class."""
    matrix = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(matrix, (targets, predictions), 1)
    return matrix


def scores(matrix):
    """UA (unweighted average recall over the classes present), WA (accuracy) and macro-F1
    (over the classes present) of a confusion matrix."""
    matrix = np.asarray(matrix, dtype=np.float64)
    true = matrix.sum(axis=1)
    predicted = matrix.sum(axis=0)
    hits = np.diag(matrix)
    present = true > 0
    recall = np.divide(hits, true, out=np.zeros_like(hits), where=present)
    precision = np.divide(hits, predicted, out=np.zeros_like(hits), where=predicted > 0)
    f1 = np.divide(2 * precision * recall, precision + recall, out=np.zeros_like(hits), where=precision + recall > 0)
    total = matrix.sum()
    return {"ua": float(recall[present].mean()) if present.any() else 0.0,
            "wa": float(hits.sum() / total) if total else 0.0,
            "f1": float(f1[present].mean()) if present.any() else 0.0}

"""Graph regularisation of the students (Neural Structured Learning).

The graph is the TSV `sergraph graph build` writes: one edge per line, `source<TAB>target<TAB>weight`,
the ids being the clips' paths as the manifest writes them. A labelled train clip's neighbours are the
train clips its edges lead to, labelled or not (dev and test clips never enter training), its
`max_neighbors` heaviest. In each step every window of the batch brings one random window of each of its
neighbours through the same network, and the loss gains

    multiplier · Σ_(i,j) w_ij · d(h_i, h_j) / |{(i, j) : w_ij > 0}|

over the batch's edges: h is the 256-wide `embedding` output, d the cosine distance 1 − cos(h_i, h_j) or
the squared L2 distance ‖h_i − h_j‖². That is the mean over the batch's edges of the weighted distance,
Neural Structured Learning's default reduction (the sum over the pairs divided by the number of pairs
with a non-zero weight); it is 0 for a batch without edges. Gradients flow through both ends of an edge.
"""
import math
import pathlib
from dataclasses import dataclass

import numpy as np
import torch

from .data import DataError

DISTANCES = ("cosine", "l2")


def read_graph(path, ids, manifest):
    """The edges of a graph TSV whose ends are all among `ids` (the manifest's paths):
    {source: {target: weight}} (the heavier of an edge listed twice; self-loops dropped).
    Refuses, naming the file and line, a line without three tab-separated fields, a weight that
    is not a finite number ≥ 0, and an id that is not a path of `manifest`."""
    path = pathlib.Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise DataError(f"{path}: cannot read the graph ({error.strerror})") from None
    except UnicodeDecodeError:
        raise DataError(f"{path}: not UTF-8 text") from None
    edges = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) != 3:
            raise DataError(f"{path}:{number}: expected 'source<TAB>target<TAB>weight', found {len(fields)} field(s)")
        source, target, weight_text = fields
        try:
            weight = float(weight_text)
        except ValueError:
            weight = math.nan
        if not math.isfinite(weight) or weight < 0:
            raise DataError(f"{path}:{number}: the weight '{weight_text}' is not a finite number ≥ 0")
        for end in (source, target):
            if end not in ids:
                raise DataError(f"{path}:{number}: '{end}' is not a clip of {manifest}")
        if source != target:
            row = edges.setdefault(source, {})
            row[target] = max(weight, row.get(target, 0.0))
    return edges


@dataclass
class Neighbours:
    """Each labelled train clip's neighbours among the train clips (the pool)."""
    indices: list          # per labelled train clip: pool indices, heaviest edge first
    weights: list          # per labelled train clip: the edges' weights
    left_out: int          # edges whose target is a dev or test clip

    @classmethod
    def of(cls, edges, sources, pool, max_neighbors):
        """`sources`: the labelled train clips' ids in training order; `pool`: {id: pool index} of
        every train clip. Each source keeps its `max_neighbors` heaviest edges into the pool (ties in
        file order); edges of weight 0 add nothing and are dropped."""
        indices, weights, left_out = [], [], 0
        for source in sources:
            row = edges.get(source, {})
            inside = [(target, weight) for target, weight in row.items() if target in pool and weight > 0]
            left_out += sum(1 for target in row if target not in pool)
            kept = sorted(inside, key=lambda edge: -edge[1])[:max_neighbors]
            indices.append(np.array([pool[target] for target, _ in kept], dtype=np.int64))
            weights.append(np.array([weight for _, weight in kept], dtype=np.float32))
        return cls(indices, weights, left_out)

    def edges(self):
        return sum(len(row) for row in self.indices)

    def with_neighbours(self):
        return sum(1 for row in self.indices if len(row))

    def batch(self, chosen):
        """The edges of a batch of labelled clips (`chosen`: their indices): (neighbour pool
        indices, the batch row each edge starts from, weights), in batch order."""
        targets = [self.indices[i] for i in chosen]
        rows = np.repeat(np.arange(len(chosen)), [len(t) for t in targets])
        weights = np.concatenate([self.weights[i] for i in chosen]) if len(chosen) else np.zeros(0, np.float32)
        return (np.concatenate(targets) if len(chosen) else np.zeros(0, np.int64)), rows, weights


def distances(a, b, kind):
    """Row-wise distances between (n, d) embeddings: "cosine" 1 − cos (each row scaled to unit
    length, a zero row staying zero), "l2" the squared Euclidean distance."""
    if kind == "cosine":
        unit = lambda x: x / torch.sqrt(torch.clamp((x * x).sum(dim=1, keepdim=True), min=1e-12))  # noqa: E731
        return 1.0 - (unit(a) * unit(b)).sum(dim=1)
    if kind == "l2":
        return ((a - b) ** 2).sum(dim=1)
    raise ValueError(f"unknown distance '{kind}'; there are {', '.join(DISTANCES)}")


def graph_loss(embeddings, neighbour_embeddings, rows, weights, kind):
    """The regulariser of one batch: Σ_e w_e · d(embeddings[rows[e]], neighbour_embeddings[e]) over
    the edges e, divided by the number of edges with w_e > 0 (0 without edges)."""
    if len(weights) == 0:
        return embeddings.sum() * 0.0
    weights = torch.as_tensor(weights, dtype=embeddings.dtype)
    d = distances(embeddings[torch.as_tensor(rows)], neighbour_embeddings, kind)
    return (weights * d).sum() / (weights > 0).sum().clamp_min(1)

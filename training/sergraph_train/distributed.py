"""Training on several processes: DistributedDataParallel over gloo (CPU), one process per rank.

`sergraph train student ... --nproc N` (or `python -m sergraph_train ... --nproc N`) spawns N
processes on this machine that talk over 127.0.0.1; `torchrun` starts them instead (on one
machine or several) when its variables (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT) are set:

    PYTHONPATH=training .venv/bin/torchrun --standalone --nproc-per-node 2 -m sergraph_train \\
        --data corpus/manifest.csv --features corpus/features/logmel-KEY -o model

Every rank draws the same order of training clips (the seed's generator) and takes its share
of each batch (`part`), so the global batch is `--batch-size` whatever the number of
processes; its random crops, augmentation and dropout come from generators of its own.
DistributedDataParallel averages the gradients, so the ranks' weights stay equal; batch-norm
running statistics are averaged over the ranks after each epoch, before the dev evaluation
every rank makes, so all choose the same best epoch. Rank 0 reports and writes the model; the
ranks' final weights are compared by digest, and a difference is an error.
"""
import datetime
import hashlib
import os
import socket

import numpy as np
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch.nn.parallel import DistributedDataParallel

from .model import exported_state

# A rank that waits this long for the others gives up (a crashed peer, a blocked port).
TIMEOUT = datetime.timedelta(minutes=5)


class Ranks:
    """This process's place among the training processes (rank 0 of 1 when alone)."""

    def __init__(self):
        self.active = dist.is_available() and dist.is_initialized()
        self.rank = dist.get_rank() if self.active else 0
        self.size = dist.get_world_size() if self.active else 1

    @property
    def leader(self):
        return self.rank == 0

    def wrap(self, model):
        """The module to train, `Heads(model)`: itself when alone, else in DistributedDataParallel
        (which starts from rank 0's weights and averages the gradients)."""
        if not self.active:
            return Heads(model)
        return DistributedDataParallel(Heads(model), forward_sync_buffers=False)

    def random_streams(self, seed, rng, generator):
        """The NumPy and torch generators for this rank's crops, augmentation and mixup:
        `rng` and `generator` themselves when alone (so that one process trains exactly as
        before), else streams derived from (seed, rank); reseeds torch's global generator
        (dropout) the same way."""
        if not self.active:
            return rng, generator
        state = np.random.SeedSequence([seed, self.rank]).generate_state(2)
        torch.manual_seed(int(state[1]))
        return np.random.default_rng(int(state[0])), torch.Generator().manual_seed(int(state[0]))

    def part(self, batch):
        """This rank's share of a batch of indices (every size-th from its rank)."""
        return batch[self.rank::self.size]

    def sum(self, values):
        """The sums of `values` (numbers) over the ranks."""
        if not self.active:
            return list(values)
        tensor = torch.tensor(values, dtype=torch.float64)
        dist.all_reduce(tensor)
        return tensor.tolist()

    def average_buffers(self, model):
        """Makes the floating-point buffers (batch-norm running statistics) the ranks' mean."""
        if not self.active:
            return
        for buffer in model.buffers():
            if buffer.is_floating_point():
                dist.all_reduce(buffer)
                buffer /= self.size

    def digests(self, model):
        """Every rank's `state_digest` of its model, by rank."""
        digest = state_digest(model)
        if not self.active:
            return [digest]
        gathered = [None] * self.size
        dist.all_gather_object(gathered, digest)
        return gathered


class Heads(torch.nn.Module):
    """A student's logits for the first `count` windows and the embeddings of all of them (the
    rest are graph neighbours), in one forward call, as DistributedDataParallel needs."""

    def __init__(self, student):
        super().__init__()
        self.student = student

    def forward(self, windows, count):
        embeddings = self.student.embed(windows)
        return self.student.classifier(self.student.dropout(embeddings[:count])), embeddings


def state_digest(model):
    """SHA-256 of the tensors model.safetensors holds: names and raw bytes, in name order."""
    hasher = hashlib.sha256()
    for name, tensor in sorted(exported_state(model).items()):
        hasher.update(name.encode())
        hasher.update(tensor.detach().contiguous().numpy().tobytes())
    return hasher.hexdigest()


def started_by_torchrun():
    """Whether torchrun (or another launcher) set the variables of a process group."""
    return all(name in os.environ for name in ("RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT"))


def join_torchrun_group():
    dist.init_process_group("gloo", init_method="env://", timeout=TIMEOUT)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def spawn(nproc, function, *arguments):
    """Runs function(*arguments) in `nproc` processes joined in a gloo group on 127.0.0.1;
    returns their results, by rank. A process that raises or exits ends them all, and
    torch.multiprocessing's ProcessRaisedException or ProcessExitedException says which."""
    port = free_port()
    results = mp.get_context("spawn").SimpleQueue()
    mp.spawn(_worker, args=(nproc, port, results, function, arguments), nprocs=nproc, join=True)
    gathered = dict(results.get() for _ in range(nproc))
    return [gathered[rank] for rank in range(nproc)]


def _worker(rank, nproc, port, results, function, arguments):
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=nproc, timeout=TIMEOUT)
    try:
        results.put((rank, function(*arguments)))
    finally:
        dist.destroy_process_group()

"""DistributedSampler: each rank's share of every epoch, for data-parallel training (T8).

Epoch by epoch, the sampler draws the very order a ``DataLoader(shuffle=True,
seed=seed)`` would draw (a generator seeded once with ``seed``, one permutation per
epoch), pads it by wrapping around to a multiple of P ranks, and gives rank r the
positions r, r+P, r+2P, ... With batch size b on every rank, rank r's k-th batch is then
part of the single process's k-th batch of size P·b, and the P batches together are
exactly that batch: the equivalence docs/distributed.md proves.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterator

import numpy as np


class DistributedSampler:
    """The dataset indices this rank reads in each epoch; ``DataLoader(ds, b, sampler=...)``.

    - ``dataset_size``: ``len(dataset)``, the same on every rank.
    - ``shuffle``: a new order each epoch, from a generator seeded with ``seed`` (the same
      seed on every rank, so all ranks agree on the order).
    - ``drop_last=False`` pads the order by repeating its first indices, so every rank
      gets ⌈N/P⌉ samples; ``True`` drops the last N mod P instead, ⌊N/P⌋ each.
    - ``num_replicas`` / ``rank``: by default those of ``minidl.distributed.init()``;
      pass them to build any rank's sampler anywhere (tests, planning).

    Iterating it once is one epoch and advances to the next order; ``len()`` is the
    number of indices per rank per epoch.
    """

    def __init__(
        self,
        dataset_size: int,
        shuffle: bool = True,
        seed: int = 0,
        drop_last: bool = False,
        *,
        num_replicas: int | None = None,
        rank: int | None = None,
    ) -> None:
        if isinstance(dataset_size, bool) or not isinstance(dataset_size, (int, np.integer)):
            raise TypeError(
                f"DistributedSampler: dataset_size must be an int (len(dataset)), got {dataset_size!r}"
            )
        if num_replicas is None or rank is None:
            from minidl.distributed import get_communicator

            communicator = get_communicator()
            num_replicas = communicator.world_size if num_replicas is None else num_replicas
            rank = communicator.rank if rank is None else rank
        if num_replicas < 1 or not 0 <= rank < num_replicas:
            raise ValueError(
                f"DistributedSampler: expected 0 <= rank < num_replicas, got rank={rank}, "
                f"num_replicas={num_replicas}"
            )
        per_rank = (
            dataset_size // num_replicas if drop_last else math.ceil(dataset_size / num_replicas)
        )
        if per_rank < 1:
            raise ValueError(
                f"DistributedSampler: {dataset_size} samples cannot give each of "
                f"{num_replicas} ranks at least one"
                + (" with drop_last=True" if drop_last and dataset_size else "")
            )
        self.dataset_size = int(dataset_size)
        self.shuffle = bool(shuffle)
        self.seed = seed
        self.drop_last = bool(drop_last)
        self.num_replicas = int(num_replicas)
        self.rank = int(rank)
        self.num_samples = per_rank
        self._rng = np.random.default_rng(seed)

    def __len__(self) -> int:
        return self.num_samples

    def epoch_indices(self) -> np.ndarray:
        """This rank's indices for the next epoch (and move on to the epoch after)."""
        size = self.dataset_size
        order = self._rng.permutation(size) if self.shuffle else np.arange(size)
        total = self.num_samples * self.num_replicas
        # np.resize repeats the order from its start: the padding wraps around.
        order = order[:total] if self.drop_last else np.resize(order, total)
        return order[self.rank :: self.num_replicas]

    def __iter__(self) -> Iterator[int]:
        return iter(self.epoch_indices().tolist())

    # ------------------------------------------------------------------ checkpoints
    def get_state(self) -> dict:
        """The shuffling generator's state (where the sequence of epochs has got to)."""
        return copy.deepcopy(self._rng.bit_generator.state)

    def set_state(self, state: dict) -> None:
        self._rng.bit_generator.state = state

    def __repr__(self) -> str:
        return (
            f"DistributedSampler(rank {self.rank} of {self.num_replicas}, {self.num_samples} of "
            f"{self.dataset_size} samples per epoch, shuffle={self.shuffle}, seed={self.seed})"
        )

"""DataLoader: an epoch of a dataset as (optionally shuffled) mini-batches."""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from minidl import random as minidl_random
from minidl.backend import backend_of, get_backend
from minidl.data.dataset import Dataset, TensorDataset
from minidl.tensor import Tensor


class DataLoader:
    """Iterate over ``dataset`` in batches of ``batch_size`` samples.

    Each batch is a tuple of Tensors (one per field of a sample, e.g. ``(x, y)``) on the
    backend that is current when the iteration starts (``minidl.set_backend``).

    - ``shuffle=True`` draws a new order every epoch. With ``seed`` the loader has its
      own generator, seeded once, so epoch 1, 2, 3 ... get the same orders run after
      run; with ``seed=None`` it draws from minidl's host generator, which
      ``minidl.manual_seed`` seeds.
    - ``drop_last=True`` leaves out a final batch smaller than ``batch_size``.
    - ``transform`` (data augmentation, FORMULAS T4, e.g. ``transforms.Compose([...])``)
      is applied to the inputs (the first field) of every batch as it is made, each
      sample with its own random draw from the loader's generator: every epoch sees
      fresh draws, and the same seed gives the same ones. Give it to the training
      loader only.

    A ``TensorDataset`` is gathered with one fancy index per array (no Python loop over
    samples); any other Dataset is read sample by sample and stacked.
    """

    def __init__(
        self,
        dataset: Dataset,
        batch_size: int = 1,
        shuffle: bool = False,
        seed: int | None = None,
        drop_last: bool = False,
        transform: Callable[..., Any] | None = None,
    ) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
            raise TypeError(f"DataLoader: batch_size must be an int, got {batch_size!r}")
        if batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be >= 1, got batch_size={batch_size}")
        if not hasattr(dataset, "__len__") or not hasattr(dataset, "__getitem__"):
            raise TypeError(
                f"DataLoader expected a Dataset (with __len__ and __getitem__), got "
                f"{type(dataset).__name__}; wrap arrays in TensorDataset(x, y)"
            )
        if transform is not None and not callable(transform):
            raise TypeError(
                f"DataLoader: transform must be callable as transform(images, rng) (e.g. "
                f"transforms.RandomHorizontalFlip()), got {type(transform).__name__}"
            )
        self.dataset = dataset
        self.transform = transform
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.seed = seed
        self.drop_last = bool(drop_last)
        self._own_rng = np.random.default_rng(seed) if seed is not None else None

    @property
    def generator(self) -> np.random.Generator:
        """The generator the shuffled orders come from."""
        return self._own_rng if self._own_rng is not None else minidl_random.host_rng()

    def __len__(self) -> int:
        """The number of batches in one epoch."""
        count = len(self.dataset) / self.batch_size
        return math.floor(count) if self.drop_last else math.ceil(count)

    def __iter__(self) -> Iterator[tuple[Tensor, ...]]:
        backend = get_backend()
        size = len(self.dataset)
        order = self.generator.permutation(size) if self.shuffle else np.arange(size)
        for batch_number in range(len(self)):
            indices = order[batch_number * self.batch_size : (batch_number + 1) * self.batch_size]
            if isinstance(self.dataset, TensorDataset):
                fields = self.dataset.batch(indices)
            else:
                fields = _stack_samples([self.dataset[int(i)] for i in indices])
            if self.transform is not None:
                fields = (self.transform(fields[0], rng=self.generator), *fields[1:])
            yield tuple(Tensor(backend.to_device(field)) for field in fields)

    # ------------------------------------------------------------------ checkpoints
    def get_state(self) -> dict | None:
        """The state of the loader's own shuffling generator, to store in a checkpoint.

        None when the loader has none (``seed=None``: it shuffles with minidl's host
        generator, whose state ``minidl.random.get_state()`` gives).
        """
        if self._own_rng is None:
            return None
        return copy.deepcopy(self._own_rng.bit_generator.state)

    def set_state(self, state: dict) -> None:
        """Restore what ``get_state()`` returned, so shuffling continues where it was."""
        if self._own_rng is None:
            raise ValueError(
                "this DataLoader has no generator of its own (seed=None): its shuffles come "
                "from minidl's host generator; restore that with minidl.random.set_state"
            )
        self._own_rng.bit_generator.state = state


def _stack_samples(samples: list[Any]) -> tuple[np.ndarray, ...]:
    """Samples (tuples of numbers/arrays/Tensors) as one stacked host array per field."""
    if not isinstance(samples[0], (tuple, list)):
        samples = [(sample,) for sample in samples]
    width = len(samples[0])
    fields = []
    for field in range(width):
        values = [sample[field] for sample in samples]
        values = [value.data if isinstance(value, Tensor) else value for value in values]
        stacked = np.stack([backend_of(value).to_host(value) for value in values])
        if stacked.dtype == np.float64 and isinstance(samples[0][field], float):
            stacked = stacked.astype(np.float32)  # Python floats become float32, as in Tensor
        fields.append(stacked)
    return tuple(fields)

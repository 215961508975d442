"""DataLoader: an epoch of a dataset as (optionally shuffled) mini-batches."""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Iterator, Mapping
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
    - ``sampler``: an object with ``len()`` whose ``epoch_indices()`` (or iteration) gives
      the dataset indices of one epoch, in order, e.g. a ``DistributedSampler`` for this
      rank's share; it replaces ``shuffle``, and its state is the loader's in checkpoints.
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
        sampler: Any = None,
        transform: Callable[..., Any] | None = None,
    ) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
            raise TypeError(f"DataLoader: batch_size must be an int, got {batch_size!r}")
        if batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be >= 1, got batch_size={batch_size}")
        if isinstance(dataset, (np.ndarray, Tensor)) or backend_of(dataset).is_array(dataset):
            raise TypeError(
                f"DataLoader expected a Dataset, got an array of shape {dataset.shape}; wrap "
                "arrays in TensorDataset(x, y) so that each batch is an (inputs, targets) pair"
            )
        if isinstance(dataset, (str, bytes, Mapping)) or not (
            hasattr(dataset, "__len__") and hasattr(dataset, "__getitem__")
        ):
            raise TypeError(
                f"DataLoader expected a Dataset (with __len__ and __getitem__), got "
                f"{type(dataset).__name__}; wrap arrays in TensorDataset(x, y)"
            )
        if sampler is not None:
            _check_sampler(sampler, shuffle, len(dataset))
        if transform is not None and not callable(transform):
            raise TypeError(
                f"DataLoader: transform must be callable as transform(images, rng) (e.g. "
                f"transforms.RandomHorizontalFlip()), got {type(transform).__name__}"
            )
        self.dataset = dataset
        self.transform = transform
        self.sampler = sampler
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
        size = len(self.sampler) if self.sampler is not None else len(self.dataset)
        count = size / self.batch_size
        return math.floor(count) if self.drop_last else math.ceil(count)

    def __iter__(self) -> Iterator[tuple[Tensor, ...]]:
        backend = get_backend()
        order = self._epoch_order()
        for batch_number in range(len(self)):
            indices = order[batch_number * self.batch_size : (batch_number + 1) * self.batch_size]
            if isinstance(self.dataset, TensorDataset):
                fields = self.dataset.batch(indices)
            else:
                fields = _stack_samples([self.dataset[int(i)] for i in indices])
            if self.transform is not None:
                fields = (self.transform(fields[0], rng=self.generator), *fields[1:])
            yield tuple(Tensor(backend.to_device(field)) for field in fields)

    def _epoch_order(self) -> np.ndarray:
        """The dataset indices of the next epoch, in the order they are read."""
        if self.sampler is None:
            size = len(self.dataset)
            return self.generator.permutation(size) if self.shuffle else np.arange(size)
        epoch_indices = getattr(self.sampler, "epoch_indices", None)
        if epoch_indices is not None:
            return np.asarray(epoch_indices())
        return np.fromiter(self.sampler, dtype=np.int64, count=len(self.sampler))

    # ------------------------------------------------------------------ checkpoints
    def get_state(self) -> dict | None:
        """The state of the loader's own shuffling generator, to store in a checkpoint.

        None when the loader has none (``seed=None``: it shuffles with minidl's host
        generator, whose state ``minidl.random.get_state()`` gives). With a sampler that
        has a state, ``{"sampler": its state, "generator": the loader's or None}`` (the
        loader's generator still draws the augmentations).
        """
        own = None if self._own_rng is None else copy.deepcopy(self._own_rng.bit_generator.state)
        if self.sampler is not None and hasattr(self.sampler, "get_state"):
            return {"sampler": self.sampler.get_state(), "generator": own}
        return own

    def set_state(self, state: dict) -> None:
        """Restore what ``get_state()`` returned, so shuffling continues where it was."""
        if self.sampler is not None and hasattr(self.sampler, "set_state"):
            self.sampler.set_state(state["sampler"])
            if state["generator"] is not None and self._own_rng is not None:
                self._own_rng.bit_generator.state = state["generator"]
            return
        if self._own_rng is None:
            raise ValueError(
                "this DataLoader has no generator of its own (seed=None): its shuffles come "
                "from minidl's host generator; restore that with minidl.random.set_state"
            )
        self._own_rng.bit_generator.state = state


def _check_sampler(sampler: Any, shuffle: bool, dataset_size: int) -> None:
    if shuffle:
        raise ValueError(
            "DataLoader: shuffle=True and a sampler both choose the order; pass shuffle=False "
            "and let the sampler shuffle (DistributedSampler(..., shuffle=True))"
        )
    if not hasattr(sampler, "__len__") or not (
        hasattr(sampler, "epoch_indices") or hasattr(sampler, "__iter__")
    ):
        raise TypeError(
            f"DataLoader: a sampler needs len() and epoch_indices() or iteration, got "
            f"{type(sampler).__name__}"
        )
    sampled_size = getattr(sampler, "dataset_size", dataset_size)
    if sampled_size != dataset_size:
        raise ValueError(
            f"DataLoader: the sampler was built for {sampled_size} samples, but the dataset "
            f"has {dataset_size}; build it with DistributedSampler(len(dataset))"
        )


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

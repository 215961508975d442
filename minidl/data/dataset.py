"""Datasets: anything with a length that can be indexed for one sample."""

from __future__ import annotations

from typing import Any

from minidl.backend import backend_of
from minidl.tensor import Tensor


class Dataset:
    """A collection of samples: ``len(dataset)`` and ``dataset[i]`` -> one sample.

    Subclass it and implement both methods; a sample is usually a tuple such as
    ``(features, label)``. ``DataLoader`` collects samples into batches.
    """

    def __len__(self) -> int:
        raise NotImplementedError

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError


class TensorDataset(Dataset):
    """Samples are the rows of a few arrays of equal length: ``(x[i], y[i], ...)``.

    The arrays may be NumPy arrays, CuPy arrays or Tensors (their ``data`` is used);
    they are kept as they are, not copied. ``DataLoader`` takes whole batches from them
    with one fancy index per array.
    """

    def __init__(self, *arrays: Any) -> None:
        if not arrays:
            raise ValueError("TensorDataset needs at least one array, e.g. TensorDataset(x, y)")
        arrays = tuple(a.data if isinstance(a, Tensor) else a for a in arrays)
        for position, array in enumerate(arrays):
            if not hasattr(array, "shape") or len(array.shape) == 0:
                raise TypeError(
                    f"TensorDataset expected arrays with a sample axis, but argument "
                    f"{position} is {type(array).__name__} with shape {getattr(array, 'shape', None)}"
                )
        lengths = [len(array) for array in arrays]
        if len(set(lengths)) != 1:
            raise ValueError(
                f"TensorDataset expected arrays with the same number of samples (first "
                f"axis), got lengths {lengths}"
            )
        self.arrays = arrays

    def __len__(self) -> int:
        return len(self.arrays[0])

    def __getitem__(self, index: int) -> tuple[Any, ...]:
        return tuple(array[index] for array in self.arrays)

    def batch(self, indices: Any) -> tuple[Any, ...]:
        """The samples at ``indices`` (a host integer array), one array per field."""
        gathered = []
        for array in self.arrays:
            backend = backend_of(array)
            gathered.append(array[backend.asarray(indices)])
        return tuple(gathered)

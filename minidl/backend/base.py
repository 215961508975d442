"""The interface every array backend implements.

A backend is an array module with the NumPy API (``xp``) plus the few things that
NumPy's API does not say the same way everywhere: moving data to and from the host,
seeding random draws, scatter-add for the backward of indexing, and waiting for the
device. Ops never import NumPy or CuPy themselves: they ask a tensor's backend for
``xp`` and write plain NumPy-API code that every backend runs unchanged.
"""

from __future__ import annotations

from typing import Any

import numpy as np


class Backend:
    """Base class of an array backend.

    Subclasses set ``name``, ``xp`` and ``array_type`` and override what their array
    library does differently. Everything here is written in plain ``xp`` calls, so a
    NumPy-compatible library needs to override very little.
    """

    name: str = "abstract"
    xp: Any = None
    array_type: type = type(None)

    def is_array(self, obj: Any) -> bool:
        """True when ``obj`` is an array that lives on this backend."""
        return isinstance(obj, self.array_type)

    def asarray(self, data: Any, dtype: Any = None) -> Any:
        """``data`` (list, scalar, host or device array) as an array on this backend."""
        return self.xp.asarray(data, dtype=dtype)

    def to_numpy(self, array: Any) -> np.ndarray:
        """A host NumPy copy (or view, for NumPy itself) of one of this backend's arrays."""
        return np.asarray(array)

    def seed(self, seed: int) -> None:
        """Seed this backend's random generator (used for device-side draws such as dropout)."""
        self.rng = self.xp.random.default_rng(seed)

    def uniform(self, shape: tuple[int, ...], dtype: Any) -> Any:
        """Uniform draws in [0, 1) of the given shape and dtype, made on this device."""
        if not hasattr(self, "rng"):
            self.seed(None)
        return self.rng.random(shape, dtype=dtype)

    def scatter_add(self, target: Any, index: Any, values: Any) -> None:
        """``target[index] += values`` where repeated indices add up (unbuffered)."""
        self.xp.add.at(target, index, values)

    def synchronize(self) -> None:
        """Wait until all queued work on this device is done (a no-op on the CPU)."""

    def device_name(self) -> str:
        """A human-readable name of the device, for ``minidl info``."""
        return self.name

    def __repr__(self) -> str:
        return f"<minidl backend {self.name!r}>"

"""The interface every array backend implements.

A backend is an array module with the NumPy API (``xp``) plus the few things that
NumPy's API does not say the same way everywhere: moving data to and from the host
(``to_host``, ``to_device``), seeding random draws and saving their state (``seed``,
``get_rng_state``, ``set_rng_state``), scatter-add for the backward of indexing, and
waiting for the device. Ops never import NumPy or CuPy themselves: they ask a tensor's
backend for ``xp`` and write plain NumPy-API code that every backend runs unchanged.
Code above the ops never asks an array library how to copy or seed: it asks the backend.
"""

from __future__ import annotations

import hashlib
import json
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
    # True when arrays live in host memory, so reading a value back (``float(x)``,
    # ``bool(xp.any(...))``) costs nothing. On a GPU each such read waits for all queued
    # work: minidl then keeps checks and sums on the device and reads them rarely.
    host_memory: bool = False

    def is_array(self, obj: Any) -> bool:
        """True when ``obj`` is an array that lives on this backend."""
        return isinstance(obj, self.array_type)

    def asarray(self, data: Any, dtype: Any = None) -> Any:
        """``data`` (list, scalar, host or device array) as an array on this backend."""
        return self.xp.asarray(data, dtype=dtype)

    def to_host(self, array: Any) -> np.ndarray:
        """One of this backend's arrays as a host ``numpy.ndarray``.

        A copy from a device; NumPy's own arrays come back as they are (not copied), so
        copy before changing the result in place.
        """
        return np.asarray(array)

    def to_numpy(self, array: Any) -> np.ndarray:
        """The older name of ``to_host`` (the same method)."""
        return self.to_host(array)

    def to_device(self, data: Any, dtype: Any = None) -> Any:
        """``data`` as an array of this backend, with ``dtype`` if given.

        ``data`` may be host data (numbers, lists, NumPy arrays) or an array of any built
        backend: another device's array is copied through the host. An array already on
        this backend (with that dtype) comes back as it is, not copied.
        """
        if not self.is_array(data) and not isinstance(data, np.ndarray):
            # The registry (which imports this module) knows whose array ``data`` is.
            from minidl.backend import backend_of

            source = backend_of(data)
            if source is not self and source.is_array(data):
                data = source.to_host(data)
        return self.asarray(data, dtype=dtype)

    # ------------------------------------------------------------------ random draws
    _rng: Any = None
    _rng_seed: int | None = None

    def seed(self, seed: int | None) -> None:
        """Seed this backend's random generator (used for device-side draws such as dropout).

        ``None`` seeds it from fresh entropy. The generator itself is built on first use
        (``rng``): ``manual_seed`` is called often, and building CuPy's default generator
        sets up a state for each of its ~270,000 GPU threads.
        """
        self._rng, self._rng_seed = None, seed

    @property
    def rng(self) -> Any:
        """This backend's random generator, built from the last seed when first used."""
        if self._rng is None:
            self._rng = self.xp.random.default_rng(self._rng_seed)
        return self._rng

    @rng.setter
    def rng(self, generator: Any) -> None:
        self._rng = generator

    def uniform(self, shape: tuple[int, ...], dtype: Any) -> Any:
        """Uniform draws in [0, 1) of the given shape and dtype, made on this device."""
        return self.rng.random(shape, dtype=dtype)

    def get_rng_state(self) -> dict:
        """The state of this backend's generator, to store in a checkpoint.

        A dict of plain values that names the backend it came from (``"backend"``) and
        holds either the generator's exact state (``"bit_generator"``, when the generator
        exposes it, as NumPy's does) or a seed (``"seed"``). A generator whose state cannot
        be read (CuPy's) is reseeded here with a seed drawn from itself, and that seed is
        the state: the run goes on exactly as one restored from it will.
        """
        state = getattr(getattr(self.rng, "bit_generator", None), "state", None)
        if isinstance(state, dict):
            return {"backend": self.name, "bit_generator": state}
        draw = self.to_host(self.rng.random((1,), dtype=np.float64))[0]
        seed = int(draw * 2**53)
        self.seed(seed)
        return {"backend": self.name, "seed": seed}

    def set_rng_state(self, state: dict) -> None:
        """Restore this backend's generator from ``get_rng_state()``.

        A state saved by this same backend is restored exactly. One saved by another
        backend (a NumPy checkpoint resumed on a GPU) cannot be: its generator is of
        another kind. The generator is then reseeded with a seed computed from the saved
        state, so that resuming one checkpoint twice draws the same numbers.
        """
        if not isinstance(state, dict) or "backend" not in state:
            raise ValueError(
                f"set_rng_state expected a dict made by get_rng_state() (with a 'backend' "
                f"entry), got {type(state).__name__}"
            )
        if state["backend"] == self.name and "seed" in state:
            self.seed(int(state["seed"]))
            return
        if state["backend"] == self.name and "bit_generator" in state:
            self.rng.bit_generator.state = state["bit_generator"]
            return
        self.seed(seed_from_state(state))

    def scatter_add(self, target: Any, index: Any, values: Any) -> None:
        """``target[index] += values`` where repeated indices add up (unbuffered).

        ``xp.add.at`` on every backend: CuPy has it too (``cupyx.scatter_add`` is deprecated).
        """
        self.xp.add.at(target, index, values)

    def synchronize(self) -> None:
        """Wait until all queued work on this device is done (a no-op on the CPU)."""

    def device_name(self) -> str:
        """A human-readable name of the device, for ``minidl info``."""
        return self.name

    def __repr__(self) -> str:
        return f"<minidl backend {self.name!r}>"


def seed_from_state(state: dict) -> int:
    """A 63-bit seed that depends only on the contents of ``state`` (a dict of plain values)."""
    text = json.dumps(state, sort_keys=True, default=str)
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little") >> 1

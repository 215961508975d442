"""The backend registry: which array library new tensors live on.

    available()              names of the backends that can run here, e.g. ["numpy"]
    register(name, backend)  plug in another array library (a Backend or a factory)
    set_backend(name)        the default device for new tensors
    get_backend()            the current Backend object (.name, .xp, ...)
    use_backend(name)        the same, scoped to a ``with`` block
    backend_of(array)        the Backend an existing array lives on
    seed_all(seed)           seed every backend's generator, now and when built later
    tune_malloc()            opt-in: glibc keeps freed arrays for reuse (process-wide)

The start value comes from the environment variable ``MINIDL_BACKEND`` (default
"numpy"). A backend is built the first time it is asked for, so the CuPy backend
imports CuPy only then.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from minidl.backend.base import Backend
from minidl.backend.malloc import tune_malloc
from minidl.backend.numpy_backend import NumpyBackend
from minidl.errors import BackendUnavailableError

__all__ = [
    "Backend",
    "BackendUnavailableError",
    "available",
    "backend_of",
    "get",
    "get_backend",
    "register",
    "seed_all",
    "set_backend",
    "tune_malloc",
    "unavailable",
    "use_backend",
]


def _make_cupy_backend() -> Backend:
    from minidl.backend.cupy_backend import CupyBackend  # imports CuPy: only on demand

    return CupyBackend()


BackendSpec = Backend | Callable[[], Backend]

_NUMPY = NumpyBackend()
_factories: dict[str, BackendSpec] = {"numpy": _NUMPY, "cupy": _make_cupy_backend}
_built: dict[str, Backend] = {"numpy": _NUMPY}
_unavailable: dict[str, BackendUnavailableError] = {}
_current: contextvars.ContextVar[Backend | None] = contextvars.ContextVar(
    "minidl_backend", default=None
)
_seed: int | None = None  # the last seed_all(); a backend built later starts from it


def register(name: str, backend: BackendSpec) -> None:
    """Make ``backend`` (a Backend, or a zero-argument callable that builds one) known as ``name``."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"a backend name must be a non-empty string, got {name!r}")
    if not (isinstance(backend, Backend) or callable(backend)):
        raise TypeError(
            f"register({name!r}, ...) expected a Backend or a callable returning one, "
            f"got {type(backend).__name__}"
        )
    _factories[name] = backend
    _built.pop(name, None)
    _unavailable.pop(name, None)


def get(name: str) -> Backend:
    """The backend called ``name``, built on first use.

    Raises ValueError for a name nobody registered, and BackendUnavailableError when the
    backend is known but cannot run here (for cupy: CuPy not installed, or no GPU).
    """
    backend = _built.get(name)
    if backend is not None:
        return backend
    if name not in _factories:
        known = ", ".join(repr(known_name) for known_name in _factories)
        raise ValueError(f"unknown backend {name!r}; known backends are {known}")
    if name in _unavailable:
        raise _unavailable[name]
    spec = _factories[name]
    try:
        backend = spec if isinstance(spec, Backend) else spec()
    except BackendUnavailableError as error:
        _unavailable[name] = error
        raise
    if not isinstance(backend, Backend):
        raise TypeError(
            f"the factory of backend {name!r} returned {type(backend).__name__}, not a Backend"
        )
    _built[name] = backend
    backend.seed(_seed)
    return backend


def seed_all(seed: int | None) -> None:
    """Seed the generator of every backend built so far, and of those built later.

    ``minidl.manual_seed`` calls it; ``None`` means fresh entropy.
    """
    global _seed
    _seed = seed
    for backend in _built.values():
        backend.seed(seed)


def available() -> list[str]:
    """Names of the registered backends that can run on this machine, numpy first."""
    names = []
    for name in _factories:
        try:
            get(name)
        except BackendUnavailableError:
            continue
        names.append(name)
    return names


def unavailable() -> dict[str, str]:
    """The registered backends that cannot run here, each with the reason (for messages)."""
    reasons = {}
    for name in _factories:
        try:
            get(name)
        except BackendUnavailableError as error:
            reasons[name] = str(error)
    return reasons


def built() -> list[Backend]:
    """The backends built so far (the only ones an existing array can belong to)."""
    return list(_built.values())


def get_backend() -> Backend:
    """The backend new tensors are created on."""
    backend = _current.get()
    if backend is None:
        backend = get(os.environ.get("MINIDL_BACKEND", "numpy") or "numpy")
        _current.set(backend)
    return backend


def set_backend(name: str | Backend) -> Backend:
    """Make ``name`` the default backend for new tensors; returns the Backend."""
    backend = name if isinstance(name, Backend) else get(name)
    _current.set(backend)
    return backend


@contextlib.contextmanager
def use_backend(name: str | Backend) -> Iterator[Backend]:
    """``with use_backend("cupy"):`` creates new tensors on CuPy inside the block only."""
    backend = name if isinstance(name, Backend) else get(name)
    token = _current.set(backend)
    try:
        yield backend
    finally:
        _current.reset(token)


def backend_of(array: Any) -> Backend:
    """The backend that ``array`` lives on (NumPy for Python scalars and lists)."""
    if type(array) is np.ndarray:  # the common case first: this runs for every op
        return _NUMPY
    for backend in _built.values():
        if backend.is_array(array):
            return backend
    if type(array).__module__.startswith("cupy"):
        # A CuPy array made before anything asked for the cupy backend: build it now
        # (treating it as NumPy would hit CuPy's refusal of implicit host copies).
        return get("cupy")
    return _NUMPY

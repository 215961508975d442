"""Turning the other operand of an op (a number, list or array) into a tensor."""

from __future__ import annotations

from typing import Any

import numpy as np

from minidl.backend import backend_of
from minidl.tensor import Tensor


def as_array(value: Any, like: Tensor) -> Any:
    """``value`` as an array on ``like``'s device.

    A number takes ``like``'s floating dtype, so ``x * 2.0`` stays float32 (no silent
    promotion to float64). A device array of another backend is returned unchanged, so
    that the op reports the device mismatch.
    """
    if isinstance(value, Tensor):
        return value.data
    backend = like.backend
    if backend_of(value).name != "numpy":
        return value
    kind = np.asarray(value).dtype.kind if not isinstance(value, np.ndarray) else value.dtype.kind
    if kind not in "biuf":
        raise TypeError(
            f"a tensor op cannot take {type(value).__name__} {_short_repr(value)} (dtype kind "
            f"{kind!r}): expected a real number, an array of them, or a Tensor"
        )
    if like.data.dtype.kind == "f" and np.ndim(value) == 0:
        return backend.asarray(value, dtype=like.data.dtype)
    return backend.asarray(value)


def as_tensor(value: Any, like: Tensor) -> Tensor:
    """``value`` as a constant tensor (no gradient) on ``like``'s device."""
    if isinstance(value, Tensor):
        return value
    return Tensor._from_op(as_array(value, like))


def _short_repr(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."

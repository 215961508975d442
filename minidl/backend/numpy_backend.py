"""The CPU backend: NumPy."""

from __future__ import annotations

import platform

import numpy as np

from minidl.backend.base import Backend


class NumpyBackend(Backend):
    """Arrays are ``numpy.ndarray`` in host memory."""

    name = "numpy"
    xp = np
    array_type = np.ndarray

    def is_array(self, obj):
        # Exact types, so that another backend may use an ndarray subclass as its array
        # type; NumPy scalars (np.float32(1.0)) live on the host too.
        return type(obj) is np.ndarray or isinstance(obj, np.generic)

    def device_name(self) -> str:
        return platform.processor() or platform.machine() or "cpu"

"""The CPU backend: NumPy."""

from __future__ import annotations

import platform

import numpy as np

from minidl.backend.base import Backend


def keep_freed_memory_for_reuse() -> bool:
    """Ask glibc's malloc to keep large freed blocks instead of returning them to the OS.

    By default glibc hands blocks above a (self-adjusting) threshold straight back to the
    OS (munmap, heap trimming); a training step that allocates the same large arrays every
    step then pays a page fault for every 4 KiB of them, every step. Raising the two
    thresholds makes freed arrays reusable. Set MINIDL_MALLOC_TUNING=0 to leave malloc as
    it is. Returns whether the tuning was applied (glibc on Linux only).
    """
    import ctypes
    import ctypes.util
    import os

    if os.environ.get("MINIDL_MALLOC_TUNING", "1") == "0" or platform.system() != "Linux":
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl and others have no mallopt
        return False
    m_trim_threshold, m_mmap_threshold = -1, -3
    # 32 MiB is the largest mmap threshold every glibc accepts on 64-bit systems; freed
    # memory is returned to the OS only once 1 GiB of it sits unused at the heap's top.
    return bool(mallopt(m_mmap_threshold, 32 << 20) and mallopt(m_trim_threshold, 1 << 30))


class NumpyBackend(Backend):
    """Arrays are ``numpy.ndarray`` in host memory."""

    name = "numpy"
    xp = np
    array_type = np.ndarray

    def __init__(self) -> None:
        self.malloc_tuned = keep_freed_memory_for_reuse()

    def is_array(self, obj):
        # Exact types, so that another backend may use an ndarray subclass as its array
        # type; NumPy scalars (np.float32(1.0)) live on the host too.
        return type(obj) is np.ndarray or isinstance(obj, np.generic)

    def device_name(self) -> str:
        return platform.processor() or platform.machine() or "cpu"

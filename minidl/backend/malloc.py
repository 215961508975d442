"""An opt-in setting of glibc's allocator for programs that train: ``tune_malloc()``.

Importing minidl never calls it: it changes how the whole process allocates memory,
which is the program's choice, not a library's. ``minidl train`` and ``minidl bench``
call it for their own process (unless ``MINIDL_MALLOC_TUNING=0``); a script of yours
may call ``minidl.backend.tune_malloc()`` once at its start.
"""

from __future__ import annotations

import platform

# mallopt's parameter numbers, from glibc's <malloc.h>.
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
# 32 MiB is the largest mmap threshold every glibc accepts on 64-bit systems; freed
# memory goes back to the OS only once 1 GiB of it sits unused at the heap's top.
MMAP_THRESHOLD_BYTES = 32 << 20
TRIM_THRESHOLD_BYTES = 1 << 30


def tune_malloc() -> bool:
    """Ask glibc's malloc to keep large freed blocks for reuse instead of returning them
    to the OS; returns whether it did (glibc on Linux only; elsewhere nothing changes).

    By default glibc hands blocks above a (self-adjusting) threshold straight back to the
    OS (munmap, heap trimming). A training step allocates the same large arrays every
    step, so it then pays a page fault for every 4 KiB of them, every step: about 5,900
    faults per step of the documents' CNN at batch 64, which made the step up to twice as
    slow in a fresh process. Raising the two thresholds (``M_MMAP_THRESHOLD`` to 32 MiB,
    ``M_TRIM_THRESHOLD`` to 1 GiB) makes freed arrays reusable, as PyTorch's and CuPy's
    caching allocators do.

    The cost: it applies to the whole process, for the rest of its life, and freed
    memory stays with the process (its resident size stays at its high-water mark).
    The same effect without calling anything: start Python with the environment
    variables ``MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=1073741824``.
    """
    import ctypes
    import ctypes.util

    if platform.system() != "Linux":
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl and others have no mallopt
        return False
    return bool(
        mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)
        and mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES)
    )

"""The NVIDIA GPU backend: CuPy.

CuPy is imported here, and this module is imported only when the ``cupy`` backend is
first asked for, so ``import minidl`` never needs CuPy or a GPU.
"""

from __future__ import annotations

import numpy as np

from minidl.backend.base import Backend
from minidl.errors import BackendUnavailableError

INSTALL_HINT = (
    "install the GPU extra with `pip install minidl[gpu]` (it brings cupy-cuda12x[ctk], "
    "CuPy with the CUDA 12 libraries it compiles and multiplies with; for CUDA 13 use "
    "`pip install cupy-cuda13x[ctk]`)"
)


def import_cupy():
    """Import CuPy and check that it sees a GPU; raise one clear error otherwise.

    The failures are told apart: CuPy missing is fixed by installing it; no GPU (or no
    driver) by running on a machine with an NVIDIA GPU and its driver; CUDA libraries
    missing (CuPy imports and sees a GPU, but cannot compile a kernel with NVRTC or
    multiply with cuBLAS) by installing CuPy with its ``ctk`` extra.
    """
    try:
        import cupy
    except ImportError as error:
        raise BackendUnavailableError(
            f"the 'cupy' backend needs CuPy, which is not installed ({error}); {INSTALL_HINT}"
        ) from None
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as error:  # CUDA raises its own error types when no driver is present
        raise BackendUnavailableError(
            f"the 'cupy' backend needs an NVIDIA GPU and its driver, but CUDA reported: "
            f"{error}; run on a machine with an NVIDIA GPU and driver (`nvidia-smi` "
            "lists it), or use set_backend('numpy')"
        ) from None
    if count == 0:
        raise BackendUnavailableError(
            "the 'cupy' backend needs an NVIDIA GPU, but CuPy found no GPU device; run on "
            "a machine with an NVIDIA GPU, or use set_backend('numpy')"
        )
    check_kernels_run(cupy)
    return cupy


def check_kernels_run(cupy) -> None:
    """Run one compiled elementwise kernel and one matmul, once, when the backend is built.

    A driver alone is not enough: CuPy compiles its kernels with NVRTC and multiplies
    with cuBLAS, and a machine without those libraries fails only at the first op. Finding
    that out here turns it into one clear error instead of a crash inside a training step.
    """
    try:
        ones = cupy.ones((2, 2), dtype=cupy.float32)
        product = (ones * 2 + 1) @ ones
        cupy.cuda.get_current_stream().synchronize()
        ok = float(product[0, 0]) == 6.0
    except Exception as error:  # NVRTC/cuBLAS load failures come as several error types
        raise BackendUnavailableError(
            f"CuPy sees a GPU but cannot run on it ({type(error).__name__}: {error}); "
            f"the CUDA libraries are probably missing: {INSTALL_HINT}"
        ) from None
    if not ok:
        raise BackendUnavailableError(
            "CuPy sees a GPU, but a 2x2 matmul gave a wrong result; check the driver and "
            f"the CUDA libraries ({INSTALL_HINT})"
        )


class CupyBackend(Backend):
    """Arrays are ``cupy.ndarray`` in the current GPU's memory."""

    name = "cupy"

    def __init__(self) -> None:
        self.xp = import_cupy()
        self.array_type = self.xp.ndarray

    def to_host(self, array) -> np.ndarray:
        return self.xp.asnumpy(array)

    def synchronize(self) -> None:
        self.xp.cuda.get_current_stream().synchronize()

    def device_name(self) -> str:
        device = self.xp.cuda.Device()
        properties = self.xp.cuda.runtime.getDeviceProperties(device.id)
        name = properties["name"]
        return name.decode() if isinstance(name, bytes) else str(name)

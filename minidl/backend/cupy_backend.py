"""The NVIDIA GPU backend: CuPy.

CuPy is imported here, and this module is imported only when the ``cupy`` backend is
first asked for, so ``import minidl`` never needs CuPy or a GPU.
"""

from __future__ import annotations

import numpy as np

from minidl.backend.base import Backend
from minidl.errors import BackendUnavailableError

INSTALL_HINT = (
    "install the GPU extra with `pip install minidl[gpu]` (it brings cupy-cuda12x; "
    "for CUDA 13 use `pip install cupy-cuda13x`)"
)


def import_cupy():
    """Import CuPy and check that it sees a GPU; raise one clear error otherwise.

    The two failures are told apart: CuPy missing is fixed by installing it, no GPU is
    fixed by running on a machine with an NVIDIA GPU and driver.
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
        count, reason = 0, f": {error}"
    else:
        reason = ""
    if count == 0:
        raise BackendUnavailableError(
            "the 'cupy' backend needs an NVIDIA GPU, but CuPy found no GPU device"
            f"{reason}; run on a machine with an NVIDIA GPU and driver, or use "
            "set_backend('numpy')"
        )
    return cupy


class CupyBackend(Backend):
    """Arrays are ``cupy.ndarray`` in the current GPU's memory."""

    name = "cupy"

    def __init__(self) -> None:
        self.xp = import_cupy()
        self.array_type = self.xp.ndarray

    def to_host(self, array) -> np.ndarray:
        return self.xp.asnumpy(array)

    def scatter_add(self, target, index, values) -> None:
        import cupyx

        cupyx.scatter_add(target, index, values)

    def synchronize(self) -> None:
        self.xp.cuda.get_current_stream().synchronize()

    def device_name(self) -> str:
        device = self.xp.cuda.Device()
        properties = self.xp.cuda.runtime.getDeviceProperties(device.id)
        name = properties["name"]
        return name.decode() if isinstance(name, bytes) else str(name)

"""The CPU backend: NumPy."""

from __future__ import annotations

import os
import platform
import subprocess

import numpy as np

from minidl.backend.base import Backend


class NumpyBackend(Backend):
    """Arrays are ``numpy.ndarray`` in host memory."""

    name = "numpy"
    xp = np
    array_type = np.ndarray
    host_memory = True

    def is_array(self, obj):
        # Exact types, so that another backend may use an ndarray subclass as its array
        # type; NumPy scalars (np.float32(1.0)) live on the host too.
        return type(obj) is np.ndarray or isinstance(obj, np.generic)

    def device_name(self) -> str:
        """The CPU's model name and core count, e.g. "AMD EPYC 9R14 (2 cores)"."""
        cores = os.cpu_count()
        return f"{cpu_model_name()} ({cores} core{'s' if cores != 1 else ''})"


def cpu_model_name() -> str:
    """The CPU's marketing name: /proc/cpuinfo on Linux, sysctl on macOS, else what
    ``platform`` knows (on Linux that is only the architecture, "x86_64")."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.lower().startswith(("model name", "hardware")):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    if platform.system() == "Darwin":
        try:
            found = subprocess.run(
                ["sysctl", "-n", "machdep.cpu.brand_string"],
                capture_output=True, text=True, timeout=5,
            )  # fmt: skip
            if found.returncode == 0 and found.stdout.strip():
                return found.stdout.strip()
        except OSError:
            pass
    return platform.processor() or platform.machine() or "unknown CPU"

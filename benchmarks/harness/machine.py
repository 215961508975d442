"""What machine the suite ran on, how many threads each library uses, and its GEMM peak.

The peak is measured, not looked up: the best time of a large float32 matrix product
on each backend. Achieved GFLOP/s of a workload is then read as a fraction of what this
very machine (and this very BLAS) can do.
"""

from __future__ import annotations

import os
import platform
import sys
import time
from typing import Any

import numpy as np

from minidl import backend as backends


def cpu_model() -> str:
    """The CPU's marketing name (from /proc/cpuinfo on Linux), else what platform says."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown cpu"


def blas_info() -> dict[str, Any]:
    """Which BLAS NumPy was built with, and how many threads it uses.

    threadpoolctl (present wherever scikit-learn is) reads the live thread count; without
    it we fall back to NumPy's build config and the usual environment variables.
    """
    info: dict[str, Any] = {}
    try:
        config = np.show_config(mode="dicts")
        blas = config.get("Build Dependencies", {}).get("blas", {})
        info.update(name=blas.get("name"), version=blas.get("version"))
        info["configuration"] = blas.get("openblas configuration")
    except Exception as error:  # older NumPy has no mode="dicts"
        info["config_error"] = str(error)
    info["threads"] = None
    try:
        from threadpoolctl import threadpool_info

        for pool in threadpool_info():
            if pool.get("user_api") == "blas" and "numpy" in pool.get("filepath", ""):
                info["threads"] = pool.get("num_threads")
                info["internal_api"] = pool.get("internal_api")
                info["architecture"] = pool.get("architecture")
                info["threading_layer"] = pool.get("threading_layer")
        info["threads_source"] = "threadpoolctl"
    except ImportError:
        pass
    if info["threads"] is None:
        for variable in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS"):
            if os.environ.get(variable, "").isdigit():
                info["threads"] = int(os.environ[variable])
                info["threads_source"] = variable
                break
        else:
            info["threads"] = os.cpu_count()
            info["threads_source"] = "os.cpu_count() (assumed: threadpoolctl not installed)"
    return info


def gpu_names() -> list[str]:
    """Names of the GPUs minidl can use (through CuPy), empty when none."""
    if "cupy" not in backends.available():
        return []
    return [backends.get("cupy").device_name()]


def library_versions() -> dict[str, str | None]:
    """Versions of Python, NumPy and, when importable, CuPy and PyTorch."""
    versions: dict[str, str | None] = {
        "python": sys.version.split()[0],
        "numpy": np.__version__,
    }
    for module_name in ("cupy", "torch"):
        try:
            module = __import__(module_name)
            versions[module_name] = module.__version__
        except Exception:  # not installed, or broken CUDA libraries
            versions[module_name] = None
    import minidl

    versions["minidl"] = minidl.__version__
    return versions


def load_average() -> list[float] | None:
    """The 1-, 5- and 15-minute load averages (None where the OS has none).

    Recorded at the start and the end of a run: a load above the core count means other
    processes competed for the CPU, and the timings are not to be trusted.
    """
    try:
        return [round(value, 2) for value in os.getloadavg()]
    except (AttributeError, OSError):
        return None


TUNING_VARIABLES = ("OMP_", "OPENBLAS_", "MKL_", "MALLOC_", "GLIBC_TUNABLES", "MINIDL_")


def tuning_environment() -> dict[str, str]:
    """Environment variables that change thread counts or memory allocation (they matter)."""
    return {name: value for name, value in os.environ.items() if name.startswith(TUNING_VARIABLES)}


def machine_info() -> dict[str, Any]:
    """Everything about this machine that a reader needs to compare two result files."""
    return {
        "environment": tuning_environment(),
        "cpu_model": cpu_model(),
        "cpu_cores": os.cpu_count(),
        "platform": platform.platform(),
        "gpus": gpu_names(),
        "versions": library_versions(),
        "blas": blas_info(),
    }


def gemm_peak_gflops(backend_name: str, size: int, repeats: int) -> dict[str, Any]:
    """Best GFLOP/s of one ``size``×``size`` float32 matrix product on a minidl backend.

    A product of two n×n matrices is 2·n³ floating-point operations (n³ multiply-adds).
    The best of ``repeats`` runs is the peak: noise only ever makes a run slower.
    """
    backend = backends.get(backend_name)
    xp = backend.xp
    rng = np.random.default_rng(0)
    a = backend.asarray(rng.standard_normal((size, size), dtype=np.float32))
    b = backend.asarray(rng.standard_normal((size, size), dtype=np.float32))
    a @ b  # warm up: thread pool start, GPU kernel selection
    backend.synchronize()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        xp.matmul(a, b)
        backend.synchronize()
        best = min(best, time.perf_counter() - start)
    return {
        "backend": backend_name,
        "size": size,
        "repeats": repeats,
        "best_ms": best * 1e3,
        "gflops": 2 * size**3 / best / 1e9,
    }


def torch_gemm_gflops(device: str, size: int, repeats: int) -> dict[str, Any]:
    """The same measurement with PyTorch's own BLAS (for context: it may differ from NumPy's)."""
    import torch

    generator = torch.Generator().manual_seed(0)
    a = torch.randn(size, size, generator=generator).to(device)
    b = torch.randn(size, size, generator=generator).to(device)
    synchronize = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    a @ b
    synchronize()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        torch.matmul(a, b)
        synchronize()
        best = min(best, time.perf_counter() - start)
    return {
        "device": device,
        "size": size,
        "repeats": repeats,
        "best_ms": best * 1e3,
        "gflops": 2 * size**3 / best / 1e9,
    }

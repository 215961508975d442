"""The CuPy backend's own code paths, exercised without a GPU.

A fake ``cupy`` module stands in for the real one where a path only needs CuPy to answer
a question (how many devices, does a kernel run); what CuPy computes is tested on a GPU.
"""

from __future__ import annotations

import sys
import types
from pathlib import Path

import numpy as np
import pytest

import minidl as mdl
from minidl.backend import cupy_backend
from minidl.errors import BackendUnavailableError


def fake_cupy(device_count=1, device_error=None, kernel_error=None):
    cupy = types.ModuleType("cupy")
    runtime = types.SimpleNamespace()

    def get_device_count():
        if device_error is not None:
            raise device_error
        return device_count

    runtime.getDeviceCount = get_device_count
    stream = types.SimpleNamespace(synchronize=lambda: None)
    cupy.cuda = types.SimpleNamespace(runtime=runtime, get_current_stream=lambda: stream)
    cupy.float32 = np.float32

    def ones(shape, dtype):
        if kernel_error is not None:
            raise kernel_error
        return np.ones(shape, dtype)

    cupy.ones = ones
    cupy.ndarray = np.ndarray
    return cupy


def test_missing_cuda_libraries_are_found_when_the_backend_is_built(monkeypatch):
    error = RuntimeError("CUDA_ERROR_FILE_NOT_FOUND: libnvrtc.so.12")
    monkeypatch.setitem(sys.modules, "cupy", fake_cupy(kernel_error=error))
    with pytest.raises(BackendUnavailableError, match=r"cannot run on it.*libnvrtc.*\[ctk\]"):
        cupy_backend.import_cupy()


def test_no_driver_is_told_apart_from_no_device(monkeypatch):
    monkeypatch.setitem(
        sys.modules, "cupy", fake_cupy(device_error=RuntimeError("cudaErrorInsufficientDriver"))
    )
    with pytest.raises(BackendUnavailableError, match="GPU and its driver.*InsufficientDriver"):
        cupy_backend.import_cupy()
    monkeypatch.setitem(sys.modules, "cupy", fake_cupy(device_count=0))
    with pytest.raises(BackendUnavailableError, match="found no GPU device"):
        cupy_backend.import_cupy()


def test_a_working_gpu_passes_the_kernel_check(monkeypatch):
    monkeypatch.setitem(sys.modules, "cupy", fake_cupy())
    assert cupy_backend.import_cupy() is sys.modules["cupy"]


def test_gpu_extra_brings_the_cuda_libraries():
    pyproject = (Path(__file__).parents[1] / "pyproject.toml").read_text()
    assert 'gpu = ["cupy-cuda12x[ctk]>=14"]' in pyproject


class CupyLikeArray(np.ndarray):
    """An array type whose class lives in a module named like CuPy's."""


CupyLikeArray.__module__ = "cupy._core.core"


class CupyLikeBackend(mdl.backend.Backend):
    name = "cupy"
    xp = np
    array_type = CupyLikeArray


def test_backend_of_builds_the_cupy_backend_for_a_cupy_array(monkeypatch):
    monkeypatch.setitem(mdl.backend._factories, "cupy", CupyLikeBackend)
    monkeypatch.delitem(mdl.backend._built, "cupy", raising=False)
    monkeypatch.delitem(mdl.backend._unavailable, "cupy", raising=False)
    array = np.zeros(3).view(CupyLikeArray)
    try:
        assert mdl.backend.backend_of(array).name == "cupy"
    finally:
        mdl.backend._built.pop("cupy", None)


def test_seeding_does_not_build_the_generator_until_a_draw():
    backend = mdl.backend.get("numpy")
    mdl.manual_seed(3)
    assert backend._rng is None  # building CuPy's generator is costly: only on use
    first = backend.uniform((4,), np.float64)
    mdl.manual_seed(3)
    np.testing.assert_array_equal(backend.uniform((4,), np.float64), first)


def test_scatter_add_is_the_base_class_add_at_on_every_backend():
    assert "scatter_add" not in vars(cupy_backend.CupyBackend)


def _cupy_not_installed(monkeypatch):
    """The real cupy factory, with ``import cupy`` failing (also on a GPU machine, or when
    a stand-in is registered as "cupy")."""
    monkeypatch.setitem(sys.modules, "cupy", None)
    monkeypatch.setitem(mdl.backend._factories, "cupy", mdl.backend._make_cupy_backend)


def test_unavailable_backends_come_with_their_reason(monkeypatch):
    _cupy_not_installed(monkeypatch)
    monkeypatch.delitem(mdl.backend._built, "cupy", raising=False)
    monkeypatch.delitem(mdl.backend._unavailable, "cupy", raising=False)
    reasons = mdl.backend.unavailable()
    assert "numpy" not in reasons
    assert "not installed" in reasons["cupy"] and "pip install" in reasons["cupy"]


def test_minidl_bench_says_why_a_backend_is_not_measured(capsys, monkeypatch):
    from minidl import bench

    _cupy_not_installed(monkeypatch)
    monkeypatch.delitem(mdl.backend._built, "cupy", raising=False)
    monkeypatch.delitem(mdl.backend._unavailable, "cupy", raising=False)
    assert bench.main(["--backends", "numpy,cupy"]) == 2
    assert "cupy is unavailable" in capsys.readouterr().out

"""The backend registry: choosing, scoping, registering, moving, and its errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import minidl as mdl
from minidl import backend as backends
from minidl.backend.base import Backend


class HostArray(np.ndarray):
    """A NumPy array that pretends to live on another device (to test device handling)."""


class FakeDeviceBackend(Backend):
    name = "fakedevice"
    xp = np
    array_type = HostArray

    def asarray(self, data, dtype=None):
        return np.asarray(data, dtype=dtype).view(HostArray)

    def to_host(self, array):
        return np.asarray(array).view(np.ndarray)


@pytest.fixture
def fake_device(monkeypatch):
    monkeypatch.setitem(backends._factories, "fakedevice", FakeDeviceBackend)
    yield
    backends._built.pop("fakedevice", None)


def test_numpy_is_always_available():
    assert backends.available()[0] == "numpy"
    assert backends.get("numpy").xp is np


def test_use_backend_is_scoped(fake_device):
    start = mdl.get_backend()
    with mdl.use_backend("fakedevice") as chosen:
        assert mdl.get_backend() is chosen
        assert mdl.tensor([1.0]).device == "fakedevice"
    assert mdl.get_backend() is start
    assert mdl.tensor([1.0]).device == start.name


def test_set_backend(fake_device):
    try:
        assert mdl.set_backend("fakedevice").name == "fakedevice"
        assert mdl.tensor([1.0]).device == "fakedevice"
    finally:
        mdl.set_backend("numpy")


def test_register_a_third_party_backend(fake_device):
    assert "fakedevice" in backends.available()
    with pytest.raises(TypeError, match="expected a Backend"):
        backends.register("broken", 42)


def test_unknown_backend_lists_the_known_ones():
    with pytest.raises(ValueError, match=r"unknown backend 'tpu'.*'numpy'"):
        mdl.set_backend("tpu")


@pytest.mark.skipif("cupy" in backends.available(), reason="CuPy and a GPU are present")
def test_cupy_unavailable_says_what_is_missing_and_how_to_install():
    with pytest.raises(mdl.BackendUnavailableError) as error:
        mdl.set_backend("cupy")
    message = str(error.value)
    assert "CuPy, which is not installed" in message or "no GPU device" in message
    if "not installed" in message:
        assert "pip install minidl[gpu]" in message


def test_import_minidl_does_not_import_cupy():
    code = "import sys, minidl; print('cupy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# Runs in a fresh interpreter: records every C library minidl loads through ctypes and
# every function it looks up in one, then uses minidl (a conv net's training step on
# NumPy) and prints what was touched. `tune_malloc` is mallopt's only caller in minidl.
MALLOC_SPY = """
import ctypes, json, sys
touched = []
RealCDLL = ctypes.CDLL
class Spy:
    def __init__(self, name, *args, **kwargs):
        self._lib = RealCDLL(name, *args, **kwargs)
        touched.append(str(name))
    def __getattr__(self, attribute):
        touched.append(attribute)
        return getattr(self._lib, attribute)
ctypes.CDLL = Spy
import numpy as np
import minidl as mdl
from minidl import nn
model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(36, 2))
loss = nn.CrossEntropyLoss()(model(mdl.tensor(np.ones((2, 1, 8, 8), np.float32))), mdl.tensor([0, 1]))
loss.backward()
if sys.argv[1] == "opt-in":
    print(json.dumps({"tuned": mdl.backend.tune_malloc()}))
print(json.dumps(touched))
"""


def test_import_minidl_leaves_malloc_alone():
    env = {key: value for key, value in os.environ.items() if not key.startswith("MINIDL_")}
    out = subprocess.run(
        [sys.executable, "-c", MALLOC_SPY, "import-only"],
        capture_output=True, text=True, env=env, check=True,
    )  # fmt: skip
    assert "mallopt" not in json.loads(out.stdout.splitlines()[-1])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt: Linux only")
def test_tune_malloc_is_the_explicit_opt_in():
    # The spy sees mallopt when it is asked for: the test above would notice a call.
    out = subprocess.run(
        [sys.executable, "-c", MALLOC_SPY, "opt-in"], capture_output=True, text=True, check=True
    )
    tuned, touched = (json.loads(line) for line in out.stdout.splitlines()[-2:])
    assert "mallopt" in touched
    assert tuned == {"tuned": True} or not any("libc" in name for name in touched)


def test_environment_variable_sets_the_start_backend():
    code = "import minidl; print(minidl.get_backend().name)"
    env = dict(os.environ, MINIDL_BACKEND="numpy")
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert out.stdout.strip() == "numpy"
    env["MINIDL_BACKEND"] = "nonsense"
    failed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert failed.returncode != 0 and "unknown backend 'nonsense'" in failed.stderr


def test_to_moves_data_between_devices(fake_device):
    x = mdl.tensor([1.0, 2.0], requires_grad=True, device="numpy")
    moved = x.to("fakedevice")
    assert moved.device == "fakedevice" and type(moved.data) is HostArray
    assert moved.requires_grad and moved.dtype == np.float32
    back = moved.to("numpy")
    assert back.device == "numpy" and type(back.data) is np.ndarray
    np.testing.assert_array_equal(back.numpy(), [1.0, 2.0])
    assert x.to("numpy") is x
    assert type(moved.numpy()) is np.ndarray


def test_mixing_devices_in_one_op_names_both(fake_device):
    a = mdl.tensor([1.0, 2.0], device="numpy")
    b = mdl.tensor([1.0, 2.0]).to("fakedevice")
    with pytest.raises(mdl.DeviceMismatchError, match=r"'numpy'.*'fakedevice'"):
        a + b


def test_manual_seed_repeats_device_draws():
    backend = mdl.get_backend()
    mdl.manual_seed(7)
    first = backend.uniform((5,), np.float32)
    mdl.manual_seed(7)
    np.testing.assert_array_equal(
        backend.to_host(backend.uniform((5,), np.float32)), backend.to_host(first)
    )
    assert first.dtype == np.float32


def test_manual_seed_rejects_bad_seeds():
    with pytest.raises(ValueError, match="non-negative integer"):
        mdl.manual_seed(-1)

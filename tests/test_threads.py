"""Grad mode, anomaly mode and the current backend are per thread, as in PyTorch.

These run real threads. Each test repeats its trial ``TRIALS`` times in a loop (a race
that shows up one time in ten fails the test), with small work per trial so the whole
file stays fast.
"""

from __future__ import annotations

import sys
import threading

import numpy as np
import pytest

import minidl as mdl
from minidl import functional as F
from minidl import nn, optim
from minidl.backend.numpy_backend import NumpyBackend

TRIALS = 100


@pytest.fixture(autouse=True)
def _switch_threads_often():
    """Let the interpreter switch threads every microsecond (instead of every 5 ms), so
    the threads of a trial really interleave instead of running one after the other."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(interval)


def run_together(*targets):
    """Start one thread per target, released at once by a barrier; re-raise the first
    error a thread met, in this thread."""
    barrier = threading.Barrier(len(targets))
    errors = []

    def wrap(target):
        def run():
            try:
                barrier.wait()
                target()
            except BaseException as error:  # noqa: BLE001  (re-raised below)
                errors.append(error)

        return run

    threads = [threading.Thread(target=wrap(target)) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


def test_training_in_one_thread_while_another_infers_under_no_grad():
    w = mdl.tensor(np.ones(8), dtype="float32", requires_grad=True)
    x = mdl.tensor(np.arange(8), dtype="float32")
    steps = 20

    def train():
        for _ in range(steps):
            loss = (w * x).sum()
            assert loss.requires_grad, "grad mode was switched off by the other thread"
            loss.backward()

    def infer():
        for _ in range(steps):
            with mdl.no_grad():
                assert not mdl.is_grad_enabled()
                assert not (w * x).sum().requires_grad

    for _ in range(TRIALS):
        w.grad = None
        run_together(train, infer)
        np.testing.assert_array_equal(w.backend.to_host(w.grad), steps * np.arange(8))
    assert mdl.is_grad_enabled()


def test_concurrent_no_grad_blocks_leave_every_thread_as_it_was():
    seen = []

    x = mdl.tensor([1.0, 2.0], requires_grad=True)

    def block():
        with mdl.no_grad():
            inside = mdl.is_grad_enabled() or (x * x).requires_grad
            with mdl.enable_grad():
                nested = mdl.is_grad_enabled() and (x * x).requires_grad
        seen.append((inside, nested, mdl.is_grad_enabled()))

    for _ in range(TRIALS):
        seen.clear()
        run_together(*[block] * 4)
        assert seen == [(False, True, True)] * 4
        assert mdl.is_grad_enabled(), "a thread's no_grad leaked into the main thread"


def test_a_new_thread_starts_with_grad_mode_on_and_anomaly_mode_off():
    seen = []

    def look():
        seen.append((mdl.is_grad_enabled(), mdl.is_anomaly_enabled()))

    with mdl.no_grad(), mdl.detect_anomaly():
        run_together(look)
        assert not mdl.is_grad_enabled() and mdl.is_anomaly_enabled()
    assert seen == [(True, False)]


def test_no_grad_as_a_decorator_is_per_call_and_per_thread():
    x = mdl.tensor([1.0, 2.0], requires_grad=True)

    @mdl.no_grad()
    def inference():
        return mdl.is_grad_enabled() or (x * x).requires_grad

    results = []

    def call():
        results.append(inference())
        results.append(mdl.is_grad_enabled())

    for _ in range(TRIALS):
        results.clear()
        run_together(call, call, call)
        assert sorted(results) == [False] * 3 + [True] * 3


def test_anomaly_mode_in_one_thread_does_not_check_another():
    x = mdl.tensor([0.0, 1.0])

    def checked():
        with mdl.detect_anomaly(), pytest.raises(mdl.AnomalyError):
            with np.errstate(divide="ignore"):
                x.log()

    def unchecked():
        with np.errstate(divide="ignore"):
            assert np.isinf(x.log().numpy()[0])  # -inf, no AnomalyError here

    for _ in range(TRIALS):
        run_together(checked, unchecked)


def test_the_current_backend_is_per_thread():
    other = NumpyBackend()  # a distinct Backend object, so it can be told apart
    seen = []

    def look():
        seen.append(mdl.get_backend())

    default = mdl.get_backend()
    with mdl.use_backend(other):
        run_together(look)
        assert mdl.get_backend() is other
    assert seen == [default]


def _train(model, steps=5):
    rng = np.random.default_rng(1)
    x = mdl.tensor(rng.standard_normal((16, 4)), dtype="float32")
    y = mdl.tensor(rng.integers(0, 3, 16))
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    for _ in range(steps):
        optimizer.zero_grad()
        F.cross_entropy(model(x), y).backward()
        optimizer.step()
    return [p.numpy().copy() for p in model.parameters()]


def _model(seed):
    mdl.manual_seed(seed)  # in the main thread: the host generator is shared
    return nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3))


def test_two_models_trained_in_two_threads_equal_serial_runs_bit_for_bit():
    serial = [_train(_model(0)), _train(_model(1))]
    for _ in range(TRIALS):
        models = [_model(0), _model(1)]
        results = [None, None]

        def train(i, models=models, results=results):
            results[i] = _train(models[i])

        run_together(lambda: train(0), lambda: train(1))
        for ran_alone, ran_together in zip(serial, results):
            for a, b in zip(ran_alone, ran_together):
                np.testing.assert_array_equal(a, b)

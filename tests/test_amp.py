"""Mixed precision (FORMULAS T7): float16 compute, float32 master weights, a dynamic
loss scale that skips a step with inf/nan gradients and halves."""

from __future__ import annotations

import numpy as np
import pytest

import minidl as mdl
from minidl import functional as F
from minidl import nn, optim
from minidl.data import DataLoader, TensorDataset, datasets, train_test_split


def test_T7_layers_compute_in_float16_and_weights_get_float32_gradients(backend):
    layer = nn.Linear(3, 2)
    x = mdl.tensor(np.ones((4, 3), dtype=np.float32))
    with mdl.amp.autocast():
        out = layer(x)
        loss = F.cross_entropy(out, mdl.tensor(np.array([0, 1, 0, 1])))
    assert out.dtype == np.float16
    assert loss.dtype == np.float32  # the loss is computed in float32 (T7)
    loss.backward()
    assert layer.weight.dtype == np.float32 and layer.weight.grad.dtype == np.float32
    assert layer(x).dtype == np.float32  # outside the block: float32 again


def test_T7_a_step_with_an_inf_gradient_is_skipped_and_the_scale_halved(backend):
    w = mdl.tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    optimizer = optim.SGD([w], lr=0.1)
    scaler = mdl.amp.GradScaler(init_scale=1024.0, growth_interval=2)
    scaler.scale((w * w).sum()).backward()
    assert backend.to_host(w.grad).tolist() == [2048.0, 4096.0]  # S times the gradient
    assert scaler.step(optimizer)
    scaler.update()
    np.testing.assert_allclose(w.numpy(), [1.0 - 0.2, 2.0 - 0.4], rtol=1e-6)  # unscaled
    before = w.numpy().copy()
    optimizer.zero_grad()
    scaler.scale((w * mdl.tensor(np.array([np.inf, 1.0], dtype=np.float32))).sum()).backward()
    assert not scaler.step(optimizer)  # skipped
    scaler.update()
    np.testing.assert_array_equal(w.numpy(), before)
    assert scaler.get_scale() == 512.0
    for _ in range(2):  # two clean steps in a row double it
        optimizer.zero_grad()
        scaler.scale((w * w).sum()).backward()
        scaler.step(optimizer)
        scaler.update()
    assert scaler.get_scale() == 1024.0


def test_T7_bad_arguments_are_clear_errors():
    with pytest.raises(ValueError, match="half-precision"):
        with mdl.amp.autocast(dtype="float32"):
            pass
    with pytest.raises(ValueError, match="init_scale"):
        mdl.amp.GradScaler(init_scale=float("inf"))
    with pytest.raises(RuntimeError, match="must follow"):
        mdl.amp.GradScaler().update()


def test_T7_x4_mlp_under_autocast_reaches_the_float32_accuracy():
    """X4 on the bundled digits: float16 compute with loss scaling lands within 1 point."""
    x, y = datasets.load_digits()
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.25, seed=0)

    def train(mixed: bool) -> float:
        mdl.manual_seed(0)
        model = nn.Sequential(
            nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10)
        )
        optimizer = optim.Adam(model.parameters(), lr=1e-3)
        scaler = mdl.amp.GradScaler()
        loader = DataLoader(TensorDataset(x_train, y_train), batch_size=32, shuffle=True, seed=0)
        for _ in range(5):
            for inputs, labels in loader:
                optimizer.zero_grad()
                with mdl.amp.autocast(enabled=mixed):
                    loss = F.cross_entropy(model(inputs), labels)
                scaler.scale(loss).backward()
                scaler.step(optimizer)
                scaler.update()
        with mdl.no_grad():
            predicted = model(mdl.tensor(x_test)).numpy().argmax(axis=1)
        return float((predicted == y_test).mean())

    full, mixed = train(False), train(True)
    assert full > 0.9
    assert mixed >= full - 0.01, (mixed, full)

"""The documents' layer formula N4 and example networks X3–X6 (docs/formulas.md), built from nn.

Each network runs forward and backward on a small random batch; every parameter must
get a finite gradient of its own shape. Training on real data is the examples' job.
"""

from __future__ import annotations

import numpy as np

import minidl as mdl
from minidl import nn, optim

RNG = np.random.default_rng(2)


def images(shape):
    return mdl.tensor(RNG.uniform(0, 1, shape).astype(np.float32))  # pixels scaled to [0, 1] (D2)


def assert_all_parameters_have_finite_gradients(model):
    for name, parameter in model.named_parameters():
        assert parameter.grad is not None, f"{name} got no gradient"
        assert parameter.grad.shape == parameter.shape, name
        assert np.all(np.isfinite(parameter.backend.to_host(parameter.grad))), name


def loss_after_steps(model, loss_fn, optimizer, x, target, steps):
    for _ in range(steps):
        optimizer.zero_grad()
        loss = loss_fn(model(x), target)
        loss.backward()
        optimizer.step()
    return loss_fn(model(x), target).item()


def test_N4_fully_connected(backend):
    """N4: the flattened feature map goes through a dense layer, z = flatten(a)·Wᵀ + b."""
    feature_map = RNG.standard_normal((2, 4, 3, 3))
    model = nn.Sequential(nn.Flatten(), nn.Linear(36, 5, dtype=np.float64))
    nn.init.seed_normal(model[1].bias, fan_in=36)
    output = model(mdl.tensor(feature_map, requires_grad=True))
    weight, bias = model[1].weight.numpy(), model[1].bias.numpy()
    np.testing.assert_allclose(
        output.numpy(), feature_map.reshape(2, 36) @ weight.T + bias, rtol=1e-12
    )
    output.sum().backward()
    assert_all_parameters_have_finite_gradients(model)


def test_X3_mlp(backend):
    """X3: MLP 784–128–64–10 with ReLU, cross-entropy, SGD lr 0.001 with momentum 0.9."""
    model = nn.Sequential(
        nn.Linear(784, 128), nn.ReLU(),
        nn.Linear(128, 64), nn.ReLU(),
        nn.Linear(64, 10),
    )  # fmt: skip
    assert model.num_parameters() == 784 * 128 + 128 + 128 * 64 + 64 + 64 * 10 + 10
    x, labels = images((8, 784)), RNG.integers(0, 10, 8)
    loss_fn = nn.CrossEntropyLoss()
    loss = loss_fn(model(x), labels)
    assert model(x).shape == (8, 10)
    loss.backward()
    assert_all_parameters_have_finite_gradients(model)
    optimizer = optim.Momentum(model.parameters(), lr=0.001, momentum=0.9)
    assert loss_after_steps(model, loss_fn, optimizer, x, labels, steps=20) < loss.item()


def test_X4_mlp(backend):
    """X4: MLP 784–64–64–10 with ReLU, softmax + categorical CE on one-hot labels, Adam."""
    model = nn.Sequential(
        nn.Linear(784, 64), nn.ReLU(),
        nn.Linear(64, 64), nn.ReLU(),
        nn.Linear(64, 10),
    )  # fmt: skip
    assert model.num_parameters() == 55_050
    x = images((8, 784))
    one_hot = np.eye(10, dtype=np.float32)[RNG.integers(0, 10, 8)]  # D3
    loss_fn = nn.CrossEntropyLoss()
    loss = loss_fn(model(x), one_hot)
    loss.backward()
    assert_all_parameters_have_finite_gradients(model)
    optimizer = optim.Adam(model.parameters(), lr=1e-3)
    assert loss_after_steps(model, loss_fn, optimizer, x, one_hot, steps=10) < loss.item()


def test_X5_cnn(backend):
    """X5: Conv(32,3×3)–MaxPool2–Conv(64)–MaxPool2–Conv(128)–MaxPool2–Flatten–Dense(512)–
    Dropout(0.5)–Dense(1)–Sigmoid with BCE (on 32×32 inputs: 30→15→13→6→4→2)."""
    model = nn.Sequential(
        nn.Conv2d(3, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(64, 128, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(128 * 2 * 2, 512), nn.ReLU(),
        nn.Dropout(0.5),
        nn.Linear(512, 1), nn.Sigmoid(),
    )  # fmt: skip
    x, labels = images((2, 3, 32, 32)), np.array([[0.0], [1.0]], dtype=np.float32)
    probability = model(x)
    assert probability.shape == (2, 1)
    assert np.all((probability.numpy() > 0) & (probability.numpy() < 1))
    loss = nn.BCELoss()(probability, labels)
    loss.backward()
    assert np.isfinite(loss.item())
    assert_all_parameters_have_finite_gradients(model)
    conv_params = (32 * 3 * 9 + 32) + (64 * 32 * 9 + 64) + (128 * 64 * 9 + 128)
    dense_params = (512 * 512 + 512) + (512 + 1)
    assert f"Total params: {conv_params + dense_params:,}" in model.summary((1, 3, 32, 32))


def test_X6_cnn(backend):
    """X6: Conv–MaxPool–Flatten–Dense, softmax + categorical CE, Adam (8×8 digit-sized input)."""
    model = nn.Sequential(
        nn.Conv2d(1, 8, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(8 * 3 * 3, 10),
    )  # fmt: skip
    x = images((6, 1, 8, 8))
    one_hot = np.eye(10, dtype=np.float32)[RNG.integers(0, 10, 6)]
    loss_fn = nn.CrossEntropyLoss()
    loss = loss_fn(model(x), one_hot)
    loss.backward()
    assert_all_parameters_have_finite_gradients(model)
    optimizer = optim.Adam(model.parameters(), lr=1e-2)
    assert loss_after_steps(model, loss_fn, optimizer, x, one_hot, steps=10) < loss.item()


def test_same_seed_gives_identical_training():
    """Reproducible: the same seed gives bit-identical weights after training with dropout."""
    results = []
    for _ in range(2):
        mdl.manual_seed(7)
        model = nn.Sequential(nn.Linear(16, 8), nn.ReLU(), nn.Dropout(0.5), nn.Linear(8, 3))
        x = mdl.tensor(np.linspace(-1, 1, 64, dtype=np.float32).reshape(4, 16))
        optimizer = optim.Adam(model.parameters(), lr=1e-2)
        loss_after_steps(
            model, nn.CrossEntropyLoss(), optimizer, x, np.array([0, 1, 2, 0]), steps=3
        )
        results.append(model.state_dict())
    for name in results[0]:
        np.testing.assert_array_equal(results[0][name], results[1][name])

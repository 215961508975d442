"""The example networks X1/X2 and the errata E3, E4, E6, E8 (docs/formulas.md, docs/errata.md), each checked
against autograd: what the document says, what is true, and that minidl does the latter."""

from __future__ import annotations

import numpy as np
from strategies import leaf

import minidl as mdl
from minidl import functional as F
from minidl import nn, optim


def train(model, loss_fn, x, y, steps, lr):
    optimizer = optim.Adam(model.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def test_X1_network(backend):
    # 000 §4.3: 1–2–1 net, ReLU hidden, sigmoid out, MSE, Adam, on a binary task.
    rng = np.random.default_rng(0)
    x = rng.uniform(-2, 2, (64, 1)).astype(np.float32)
    y = (x > 0.3).astype(np.float32)
    model = nn.Sequential(nn.Linear(1, 2), nn.ReLU(), nn.Linear(2, 1), nn.Sigmoid())
    losses = train(model, nn.MSELoss(), mdl.tensor(x), mdl.tensor(y), steps=400, lr=0.05)
    predicted = model(mdl.tensor(x)).numpy() > 0.5
    assert losses[-1] < 0.5 * losses[0]
    assert (predicted == y.astype(bool)).mean() >= 0.9


def test_X2_network(backend):
    # 002 §4.1 / 003 §4.2.1: 2–3–1 net, ReLU hidden, sigmoid out; z = w·x + b per neuron.
    rng = np.random.default_rng(1)
    x = rng.uniform(-1, 1, (128, 2)).astype(np.float32)
    y = (x[:, :1] + x[:, 1:] > 0).astype(np.float32)
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1), nn.Sigmoid())
    hidden = model[1](model[0](mdl.tensor(x))).numpy()
    weight, bias = model[0].weight.numpy(), model[0].bias.numpy()
    np.testing.assert_allclose(hidden, np.maximum(0, x @ weight.T + bias), rtol=1e-6)
    losses = train(model, nn.BCELoss(), mdl.tensor(x), mdl.tensor(y), steps=300, lr=0.05)
    assert losses[-1] < 0.5 * losses[0]


def test_E3_hand_gradients(backend):
    # X1 with one hidden unit as the document writes it: a1 = max(0, w1·x + b1),
    # ŷ = σ(w2·a1 + b2), L = (1/n) Σ (ŷ − y)².
    x = np.array([0.5, 1.0, 2.0, -1.0])
    y = np.array([0.0, 1.0, 1.0, 0.0])
    w1, b1, w2, b2 = (leaf(v) for v in (0.8, 0.1, -0.6, 0.2))
    a1 = F.relu(w1 * mdl.tensor(x) + b1)
    y_hat = F.sigmoid(w2 * a1 + b2)
    loss = ((y_hat - mdl.tensor(y)) ** 2).mean()
    loss.backward()
    n, a, p = len(x), a1.numpy(), y_hat.numpy()
    correct = 2 / n * np.sum((p - y) * p * (1 - p) * a)
    document = 1 / n * np.sum((p - y) * a**2 * x)  # 000 §4.3
    assert np.isclose(float(w2.grad), correct, rtol=1e-12)
    assert not np.isclose(document, correct, rtol=0.1)
    assert mdl.gradcheck(
        lambda w: ((F.sigmoid(w * a1.detach() + b2.detach()) - mdl.tensor(y)) ** 2).mean(),
        [leaf(-0.6)],
    )


def test_E4_relu_derivative_is_a_step(backend):
    # 002 §4.2 writes ∂z3/∂z2 = ReLU(z2)(1 − ReLU(z2)), the sigmoid rule.
    z = leaf([-2.0, -0.5, 0.0, 0.5, 2.0])
    F.relu(z).sum().backward()
    step = np.array([0.0, 0.0, 1.0, 1.0, 1.0])  # A1: 1 for z ≥ 0
    relu = np.maximum(0, z.numpy())
    document = relu * (1 - relu)
    np.testing.assert_array_equal(mdl.Tensor(z.grad).numpy(), step)
    assert not np.allclose(document, step)  # e.g. at z = 2 the document gives −2


def test_E6_half_sse_gradient(backend):
    # 001: J = ½ Σ (y − (θ0 + θ1·x))²; the document's ∇θ0 J = +(1/n) Σ (y − ŷ).
    x = np.array([1.0, 2.0, 3.0, 4.0])
    y = np.array([2.0, 4.5, 5.5, 8.0])
    theta0, theta1 = leaf(0.5), leaf(1.2)
    y_hat = theta0 + theta1 * mdl.tensor(x)
    F.mse_loss(y_hat, mdl.tensor(y), reduction="half_sum").backward()
    residual = y - (0.5 + 1.2 * x)
    assert np.isclose(float(theta0.grad), -residual.sum(), rtol=1e-12)
    assert np.isclose(float(theta1.grad), -(residual * x).sum(), rtol=1e-12)
    document = residual.mean()
    assert np.sign(document) != np.sign(float(theta0.grad))


def test_E8_cross_entropy_is_a_mean_over_samples(backend):
    # 001: 100 samples, 60 of class A and 40 of class B; the document weights the whole sum
    # by the class counts: J = −(1/100) Σ_i (60·log ŷ_A⁽ⁱ⁾ + 40·log ŷ_B⁽ⁱ⁾).
    rng = np.random.default_rng(2)
    logits = rng.standard_normal((100, 2))
    labels = np.array([0] * 60 + [1] * 40)
    log_p = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    correct = -log_p[np.arange(100), labels].mean()
    document = -(60 * log_p[:, 0] + 40 * log_p[:, 1]).sum() / 100
    loss = F.cross_entropy(mdl.tensor(logits), mdl.tensor(labels))
    assert np.isclose(loss.item(), correct, rtol=1e-12)
    assert document > 10 * correct

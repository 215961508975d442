"""Optimizers: each update rule against a hand-written NumPy version of its formula.

The losses are quadratics L(w) = Σ a·(w − c)², whose gradient 2a(w − c) the NumPy
references compute by hand while minidl gets it from autograd; everything is float64 so
the trajectories agree to float64 precision.
"""

from __future__ import annotations

import numpy as np
import pytest

import minidl as mdl
from minidl import optim

CURVATURE = np.array([0.5, 1.0, 2.0, 3.0])
CENTER = np.array([3.0, -1.0, 0.5, 2.0])
START = np.array([2.0, 1.0, -1.0, 0.0])


def quadratic_loss(w):
    return (mdl.tensor(CURVATURE) * (w - mdl.tensor(CENTER)) ** 2).sum()


def quadratic_grad(w):
    return 2 * CURVATURE * (w - CENTER)


def run_minidl(make_optimizer, steps, start=START, loss_fn=quadratic_loss):
    w = mdl.tensor(start.copy(), requires_grad=True)
    opt = make_optimizer([w])
    trajectory = []
    for _ in range(steps):
        opt.zero_grad()
        loss_fn(w).backward()
        opt.step()
        trajectory.append(w.numpy().copy())
    return np.array(trajectory)


# --------------------------------------------------------------------------- formulas


def test_O1_gd(backend):
    lr, steps = 0.05, 60
    w, expected = START.copy(), []
    for _ in range(steps):
        w = w - lr * quadratic_grad(w)
        expected.append(w)
    got = run_minidl(lambda p: optim.GD(p, lr=lr), steps)
    np.testing.assert_allclose(got, np.array(expected), rtol=1e-13, atol=1e-13)


def test_O2_sgd(backend):
    """Mini-batch least squares: each step uses the gradient of one batch only."""
    rng = np.random.default_rng(1)
    inputs = rng.normal(size=(40, 3))
    targets = inputs @ np.array([1.0, -2.0, 0.5]) + 0.1 * rng.normal(size=40)
    lr, batch_size = 0.05, 8

    w_ref = np.zeros(3)
    w = mdl.tensor(np.zeros(3), requires_grad=True)
    opt = optim.SGD([w], lr=lr)
    for _epoch in range(5):
        for start in range(0, 40, batch_size):
            x, y = inputs[start : start + batch_size], targets[start : start + batch_size]
            w_ref = w_ref - lr * (2 / len(y)) * x.T @ (x @ w_ref - y)
            opt.zero_grad()
            residual = mdl.tensor(x) @ w - mdl.tensor(y)
            (residual * residual).mean().backward()
            opt.step()
        np.testing.assert_allclose(w.numpy(), w_ref, rtol=1e-12, atol=1e-13)


def test_O3_momentum(backend):
    lr, gamma, steps = 0.02, 0.9, 80
    w, velocity, expected = START.copy(), np.zeros(4), []
    for _ in range(steps):
        velocity = gamma * velocity + lr * quadratic_grad(w)
        w = w - velocity
        expected.append(w)
    got = run_minidl(lambda p: optim.Momentum(p, lr=lr, momentum=gamma), steps)
    np.testing.assert_allclose(got, np.array(expected), rtol=1e-12, atol=1e-12)


def test_E1_momentum_sign(backend):
    """Document 003's w + v climbs L = (w − 3)²; minidl's w − v descends."""
    lr, gamma, steps = 0.1, 0.9, 60

    def loss(w):
        return (w - 3.0) ** 2

    w_document, v = 2.0, 0.0
    losses_document = [loss(w_document)]
    for _ in range(steps):
        v = gamma * v + lr * 2 * (w_document - 3.0)
        w_document = w_document + v  # the document's sign
        losses_document.append(loss(w_document))
    assert losses_document[-1] > 1000 * losses_document[0]  # it runs away

    got = run_minidl(
        lambda p: optim.Momentum(p, lr=lr, momentum=gamma),
        steps,
        start=np.array([2.0]),
        loss_fn=lambda w: ((w - 3.0) ** 2).sum(),
    )[:, 0]
    assert loss(got[-1]) < 0.01 * loss(2.0)

    # PyTorch's SGD(momentum) rule, by hand: v' = γv' + g ; w ← w − α·v'.
    w_torch, v_torch, torch_trajectory = 2.0, 0.0, []
    for _ in range(steps):
        v_torch = gamma * v_torch + 2 * (w_torch - 3.0)
        w_torch = w_torch - lr * v_torch
        torch_trajectory.append(w_torch)
    np.testing.assert_allclose(got, torch_trajectory, rtol=1e-12)


def test_O4_adam(backend):
    lr, beta1, beta2, eps, steps = 0.05, 0.9, 0.999, 1e-8, 100
    w, m, v, expected = START.copy(), np.zeros(4), np.zeros(4), []
    for t in range(1, steps + 1):
        g = quadratic_grad(w)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        m_hat = m / (1 - beta1**t)
        v_hat = v / (1 - beta2**t)
        w = w - lr * m_hat / (np.sqrt(v_hat) + eps)
        expected.append(w)
    got = run_minidl(lambda p: optim.Adam(p, lr=lr, betas=(beta1, beta2), eps=eps), steps)
    np.testing.assert_allclose(got, np.array(expected), rtol=1e-12, atol=1e-12)


def test_O4_adam_step_counts_per_parameter(backend):
    """t counts each tensor's own updates: one that skipped a step starts its t later."""
    a = mdl.tensor(np.array([1.0]), requires_grad=True)
    b = mdl.tensor(np.array([1.0]), requires_grad=True)
    opt = optim.Adam([a, b], lr=0.1)
    (a * a).sum().backward()  # only a has a gradient
    opt.step()
    opt.zero_grad()
    ((a * a) + (b * b)).sum().backward()
    opt.step()
    assert opt.state[0]["step"] == 2 and opt.state[1]["step"] == 1
    # On its first step, Adam moves by lr·g/(|g| + ε) ≈ lr whatever the gradient.
    assert b.numpy()[0] == pytest.approx(0.9, abs=1e-6)


def test_O5_worked_example(backend):
    """Document 002: L = (w − 3)², w₀ = 2, α = 0.1 → w₁ = 2.2, w₂ = 2.36."""
    w = mdl.tensor(np.array(2.0), requires_grad=True)
    opt = optim.GD([w], lr=0.1)
    values = []
    for _ in range(2):
        opt.zero_grad()
        ((w - 3.0) ** 2).backward()
        opt.step()
        values.append(w.item())
    assert values == pytest.approx([2.2, 2.36], abs=1e-12)


def test_E2_second_step(backend):
    """The document's second step uses ∂L/∂w = −1.2 and gets 2.34; it is −1.6 and 2.36."""
    w = mdl.tensor(np.array(2.2), requires_grad=True)
    ((w - 3.0) ** 2).backward()
    assert float(w.grad) == pytest.approx(-1.6, abs=1e-12)
    optim.GD([w], lr=0.1).step()
    assert w.item() == pytest.approx(2.36, abs=1e-12)
    assert w.item() != pytest.approx(2.34, abs=1e-6)


# --------------------------------------------------------------------------- mechanics

ALL_OPTIMIZERS = {
    "GD": lambda p: optim.GD(p, lr=0.05),
    "SGD": lambda p: optim.SGD(p, lr=0.05),
    "Momentum": lambda p: optim.Momentum(p, lr=0.02, momentum=0.8),
    "Adam": lambda p: optim.Adam(p, lr=0.05),
    "RMSprop": lambda p: optim.RMSprop(p, lr=0.01, alpha=0.9),
    "Adam+L2": lambda p: optim.Adam(p, lr=0.05, weight_decay=0.1),
}


@pytest.mark.parametrize("name", ALL_OPTIMIZERS)
def test_updates_in_place_and_keeps_float32(backend, name):
    w = mdl.tensor(START.astype(np.float32), requires_grad=True)
    array_before = w.data
    opt = ALL_OPTIMIZERS[name]([w])
    for _ in range(3):
        opt.zero_grad()
        (w * w).sum().backward()
        opt.step()
    assert w.data is array_before
    assert w.dtype == np.float32
    for value in opt.state[0].values():
        if not isinstance(value, int):
            assert value.dtype == np.float32


def test_numpy_float64_hyperparameters_do_not_promote(backend):
    """lr=np.float64(0.1) gives the same float32 numbers as lr=0.1."""
    results = []
    for lr in (0.1, np.float64(0.1)):
        w = mdl.tensor(START.astype(np.float32), requires_grad=True)
        opt = optim.Adam([w], lr=lr, betas=(np.float64(0.9), 0.999))
        for _ in range(5):
            opt.zero_grad()
            (w * w * w).sum().backward()
            opt.step()
        results.append(w.numpy())
    assert results[0].dtype == np.float32
    np.testing.assert_array_equal(results[0], results[1])


def test_params_without_grad_are_skipped(backend):
    a = mdl.tensor(np.array([1.0]), requires_grad=True)
    b = mdl.tensor(np.array([5.0]), requires_grad=True)
    opt = optim.Momentum([a, b], lr=0.1)
    (a * a).sum().backward()
    opt.step()
    assert b.numpy()[0] == 5.0 and opt.state[1] == {}
    assert a.numpy()[0] == pytest.approx(0.8)


def test_zero_grad_clears_gradients(backend):
    w = mdl.tensor(np.array([1.0, 2.0]), requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    (w * w).sum().backward()
    assert w.grad is not None
    opt.zero_grad()
    assert w.grad is None


def test_generator_of_params_is_read_once(backend):
    tensors = [mdl.tensor(np.ones(2), requires_grad=True) for _ in range(3)]
    opt = optim.SGD((t for t in tensors), lr=0.1)
    assert len(opt.params) == 3 and all(p is t for p, t in zip(opt.params, tensors))


@pytest.mark.parametrize("name", ALL_OPTIMIZERS)
def test_state_dict_resume_is_bit_identical(backend, name, tmp_path):
    def steps(w, opt, count):
        for _ in range(count):
            opt.zero_grad()
            (quadratic_loss(w) + 0.1 * w.exp().sum()).backward()  # not quadratic
            opt.step()

    start = START.astype(np.float32)
    w_straight = mdl.tensor(start, requires_grad=True)
    opt_straight = ALL_OPTIMIZERS[name]([w_straight])
    steps(w_straight, opt_straight, 10)

    w_first = mdl.tensor(start, requires_grad=True)
    opt_first = ALL_OPTIMIZERS[name]([w_first])
    steps(w_first, opt_first, 4)
    saved_weights, saved_state = w_first.numpy().copy(), opt_first.state_dict()
    for entry in saved_state["state"].values():  # host NumPy copies only
        assert all(isinstance(v, (int, np.ndarray)) for v in entry.values())

    mdl.save({"optimizer": saved_state}, tmp_path / "optimizer.npz")  # through a file too
    w_resumed = mdl.tensor(saved_weights, requires_grad=True)
    opt_resumed = ALL_OPTIMIZERS[name]([w_resumed])
    opt_resumed.load_state_dict(mdl.load(tmp_path / "optimizer.npz")["optimizer"])
    steps(w_resumed, opt_resumed, 6)
    np.testing.assert_array_equal(w_resumed.numpy(), w_straight.numpy())


def test_load_state_dict_restores_hyperparameters(backend):
    w = mdl.tensor(np.ones(3), requires_grad=True)
    source = optim.Adam([w], lr=0.01, betas=(0.8, 0.99), eps=1e-6)
    target = optim.Adam([mdl.tensor(np.ones(3), requires_grad=True)])
    target.load_state_dict(source.state_dict())
    assert (target.lr, target.betas, target.eps) == (0.01, (0.8, 0.99), 1e-6)


def test_load_state_dict_checks_and_changes_nothing_on_error(backend):
    a = mdl.tensor(np.ones(3), requires_grad=True)
    b = mdl.tensor(np.ones(2), requires_grad=True)
    source = optim.Momentum([a, b], lr=0.1)
    (a.sum() + b.sum()).backward()
    source.step()
    good = source.state_dict()

    other_a = mdl.tensor(np.ones(3), requires_grad=True)
    other_b = mdl.tensor(np.ones(4), requires_grad=True)  # wrong shape
    target = optim.Momentum([other_a, other_b], lr=0.5, momentum=0.5)
    with pytest.raises(ValueError, match=r"shape \(2,\).*shape \(4,\)"):
        target.load_state_dict(good)
    assert target.lr == 0.5 and target.state == [{}, {}]

    with pytest.raises(ValueError, match="2 parameters, this one has 1"):
        optim.Momentum([other_a], lr=0.1).load_state_dict(good)
    with pytest.raises(ValueError, match="another kind of optimizer"):
        optim.Adam([a, b]).load_state_dict(good)
    with pytest.raises(ValueError, match="lacks"):
        target.load_state_dict({"state": {}})


def test_bad_parameters_are_clear_errors():
    w = mdl.tensor(np.ones(2), requires_grad=True)
    with pytest.raises(TypeError, match="single Tensor"):
        optim.SGD(w, lr=0.1)
    with pytest.raises(ValueError, match="empty"):
        optim.SGD([], lr=0.1)
    with pytest.raises(ValueError, match="empty"):
        optim.SGD(iter([]), lr=0.1)
    with pytest.raises(TypeError, match="parameter 1 is a ndarray"):
        optim.SGD([w, np.ones(2)], lr=0.1)
    with pytest.raises(ValueError, match="requires_grad=False"):
        optim.SGD([mdl.tensor(np.ones(2))], lr=0.1)
    with pytest.raises(ValueError, match="more than once"):
        optim.SGD([w, w], lr=0.1)
    with pytest.raises(TypeError, match="iterable"):
        optim.SGD(3, lr=0.1)


@pytest.mark.parametrize("lr", [0, -0.1, float("nan"), float("inf")])
def test_bad_learning_rate_is_named(lr):
    w = mdl.tensor(np.ones(2), requires_grad=True)
    with pytest.raises(ValueError, match=rf"lr must be a finite number > 0, got lr={lr}"):
        optim.Adam([w], lr=lr)


def test_bad_hyperparameters():
    w = mdl.tensor(np.ones(2), requires_grad=True)
    with pytest.raises(ValueError, match=r"momentum must be in \[0, 1\)"):
        optim.Momentum([w], lr=0.1, momentum=1.0)
    with pytest.raises(ValueError, match="beta2"):
        optim.Adam([w], betas=(0.9, 1.5))
    with pytest.raises(ValueError, match="eps"):
        optim.Adam([w], eps=-1.0)
    with pytest.raises(TypeError, match="lr must be a number"):
        optim.SGD([w], lr="0.1")


def test_adam_with_zero_gradients_stays_finite(backend):
    # m = v = 0 gives m_hat / (√v_hat + ε) = 0 / ε = 0: ε outside the root keeps it finite.
    weight = mdl.tensor([1.0, -2.0], requires_grad=True)
    optimizer = optim.Adam([weight], lr=0.1)
    for _ in range(50):
        weight.grad = weight.backend.xp.zeros_like(weight.data)
        optimizer.step()
    np.testing.assert_array_equal(weight.numpy(), [1.0, -2.0])


# --------------------------------------------------------------------------- T1, T2


def test_T1_rmsprop(backend):
    lr, alpha, eps, steps = 0.01, 0.9, 1e-8, 60
    w, square_avg, expected = START.copy(), np.zeros(4), []
    for _ in range(steps):
        grad = quadratic_grad(w)
        square_avg = alpha * square_avg + (1 - alpha) * grad**2
        w = w - lr * grad / (np.sqrt(square_avg) + eps)
        expected.append(w)
    got = run_minidl(lambda p: optim.RMSprop(p, lr=lr, alpha=alpha, eps=eps), steps)
    np.testing.assert_allclose(got, np.array(expected), rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("name", ["GD", "Momentum", "Adam", "RMSprop"])
def test_T2_weight_decay(backend, name):
    """g ← g + λ·w before each rule: the same walk as the rule on L + λ/2·‖w‖²."""
    decay = 0.3
    rules = {
        "GD": lambda p, **k: optim.GD(p, lr=0.05, **k),
        "Momentum": lambda p, **k: optim.Momentum(p, lr=0.02, momentum=0.8, **k),
        "Adam": lambda p, **k: optim.Adam(p, lr=0.05, **k),
        "RMSprop": lambda p, **k: optim.RMSprop(p, lr=0.01, **k),
    }
    with_decay = run_minidl(lambda p: rules[name](p, weight_decay=decay), 40)
    penalised = run_minidl(
        lambda p: rules[name](p),
        40,
        loss_fn=lambda w: quadratic_loss(w) + decay / 2 * (w * w).sum(),
    )
    np.testing.assert_allclose(with_decay, penalised, rtol=1e-12, atol=1e-13)
    assert not np.allclose(with_decay, run_minidl(lambda p: rules[name](p), 40))


def test_T2_weight_decay_leaves_grad_alone(backend):
    w = mdl.tensor(np.array([1.0, -2.0]), requires_grad=True)
    opt = optim.SGD([w], lr=0.1, weight_decay=0.5)
    (w * w).sum().backward()
    opt.step()
    np.testing.assert_array_equal(
        backend.to_host(w.grad), [2.0, -4.0]
    )  # backward's gradient, not g + λw
    np.testing.assert_allclose(w.numpy(), [1.0 - 0.1 * 2.5, -2.0 + 0.1 * 5.0])


def _non_quadratic_loss(w, lib):
    curvature, center = lib.tensor(CURVATURE), lib.tensor(CENTER)
    return (curvature * (w - center) ** 2).sum() + 0.1 * w.exp().sum()


# minidl optimizer, the same rule in torch.optim (float64, 50 steps)
TORCH_PAIRS = {
    "SGD": (
        lambda p: optim.SGD(p, lr=0.03),
        lambda torch, p: torch.optim.SGD(p, lr=0.03),
    ),
    "SGD+L2": (
        lambda p: optim.SGD(p, lr=0.03, weight_decay=0.2),
        lambda torch, p: torch.optim.SGD(p, lr=0.03, weight_decay=0.2),
    ),
    "Momentum+L2": (  # E1: the same walk as SGD(momentum) without dampening
        lambda p: optim.Momentum(p, lr=0.02, momentum=0.8, weight_decay=0.2),
        lambda torch, p: torch.optim.SGD(p, lr=0.02, momentum=0.8, weight_decay=0.2),
    ),
    "Adam+L2": (
        lambda p: optim.Adam(p, lr=0.05, weight_decay=0.2),
        lambda torch, p: torch.optim.Adam(p, lr=0.05, weight_decay=0.2),
    ),
    "RMSprop": (
        lambda p: optim.RMSprop(p),
        lambda torch, p: torch.optim.RMSprop(p),
    ),
    # lr small enough that the walk converges: at lr=0.02 it bounces around the minimum
    # with steps of ±lr, where the last-bit differences of any two correct codes grow.
    "RMSprop+L2": (
        lambda p: optim.RMSprop(p, lr=0.005, alpha=0.95, eps=1e-6, weight_decay=0.2),
        lambda torch, p: torch.optim.RMSprop(p, lr=0.005, alpha=0.95, eps=1e-6, weight_decay=0.2),
    ),
}


@pytest.mark.parametrize("name", TORCH_PAIRS)
def test_T1_T2_agree_with_torch(backend, name):
    torch = pytest.importorskip("torch")
    make_minidl, make_torch = TORCH_PAIRS[name]
    got = run_minidl(make_minidl, 50, loss_fn=lambda w: _non_quadratic_loss(w, mdl))

    w = torch.tensor(START.copy(), dtype=torch.float64, requires_grad=True)
    opt = make_torch(torch, [w])
    expected = []
    for _ in range(50):
        opt.zero_grad()
        _non_quadratic_loss(w, torch).backward()
        opt.step()
        expected.append(w.detach().numpy().copy())
    np.testing.assert_allclose(got, np.array(expected), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("decay", [-0.1, float("nan"), float("inf")])
@pytest.mark.parametrize("name", ["GD", "SGD", "Momentum", "Adam", "RMSprop"])
def test_bad_weight_decay_is_named(name, decay):
    w = mdl.tensor(np.ones(2), requires_grad=True)
    with pytest.raises(ValueError, match=rf"{name}: weight_decay must be a finite number >= 0"):
        getattr(optim, name)([w], lr=0.1, weight_decay=decay)
    with pytest.raises(TypeError, match="weight_decay must be a number"):
        getattr(optim, name)([w], lr=0.1, weight_decay="0.1")


def test_bad_rmsprop_hyperparameters():
    w = mdl.tensor(np.ones(2), requires_grad=True)
    with pytest.raises(ValueError, match=r"alpha must be in \[0, 1\)"):
        optim.RMSprop([w], alpha=1.0)
    with pytest.raises(ValueError, match="eps must be a finite number >= 0"):
        optim.RMSprop([w], eps=float("nan"))
    with pytest.raises(ValueError, match="eps must be a finite number >= 0"):
        optim.Adam([w], eps=float("inf"))
    with pytest.raises(ValueError, match=r"lr must be a finite number > 0, got lr=inf"):
        optim.RMSprop([w], lr=float("inf"))


def test_state_dict_without_weight_decay_loads_as_zero(backend):
    """A checkpoint written before weight decay existed still loads (λ = 0)."""
    w = mdl.tensor(np.ones(3), requires_grad=True)
    saved = optim.Momentum([w], lr=0.1, momentum=0.5).state_dict()
    del saved["hyperparameters"]["weight_decay"]
    target = optim.Momentum([mdl.tensor(np.ones(3), requires_grad=True)], lr=0.3, weight_decay=1.0)
    target.load_state_dict(saved)
    assert (target.lr, target.momentum, target.weight_decay) == (0.1, 0.5, 0.0)

"""Learning-rate schedules (FORMULAS T3): the formulas, PyTorch's values, fit, resume."""

from __future__ import annotations

import math

import numpy as np
import pytest

import minidl as mdl
from minidl import models, nn, optim
from minidl.data import DataLoader, TensorDataset
from minidl.optim import lr_scheduler
from minidl.train import fit

BASE_LR = 0.1


def make_optimizer(lr=BASE_LR):
    return optim.SGD([mdl.tensor(np.ones(3), requires_grad=True)], lr=lr)


def rates(scheduler, steps):
    """[α_0, α_1, ..., α_steps]: the optimizer's rate before and after each step()."""
    values = [scheduler.optimizer.lr]
    for _ in range(steps):
        scheduler.step()
        values.append(scheduler.optimizer.lr)
    return values


# --------------------------------------------------------------------------- formulas


def test_T3_step_lr():
    got = rates(lr_scheduler.StepLR(make_optimizer(), step_size=3, gamma=0.5), 10)
    expected = [BASE_LR * 0.5 ** (t // 3) for t in range(11)]
    np.testing.assert_allclose(got, expected, rtol=1e-15)
    assert got[:4] == [0.1, 0.1, 0.1, 0.05]


def test_T3_exponential_lr():
    got = rates(lr_scheduler.ExponentialLR(make_optimizer(), gamma=0.9), 10)
    np.testing.assert_allclose(got, [BASE_LR * 0.9**t for t in range(11)], rtol=1e-15)


def test_T3_cosine_annealing_lr():
    scheduler = lr_scheduler.CosineAnnealingLR(make_optimizer(), T_max=8, eta_min=0.01)
    got = rates(scheduler, 12)
    expected = [0.01 + (BASE_LR - 0.01) * (1 + math.cos(math.pi * t / 8)) / 2 for t in range(13)]
    np.testing.assert_allclose(got, expected, rtol=1e-15)
    assert got[0] == BASE_LR and got[8] == pytest.approx(0.01, abs=1e-17)
    assert got[9] > got[8]  # past T_max the wave climbs again, as PyTorch's does


def test_T3_linear_warmup():
    got = rates(lr_scheduler.LinearWarmup(make_optimizer(), warmup_steps=4), 6)
    np.testing.assert_allclose(got, [0.025, 0.05, 0.075, 0.1, 0.1, 0.1, 0.1], rtol=1e-15)


TORCH_SCHEDULES = {
    "StepLR": (
        lambda opt: lr_scheduler.StepLR(opt, step_size=4, gamma=0.3),
        lambda torch, opt: torch.optim.lr_scheduler.StepLR(opt, step_size=4, gamma=0.3),
    ),
    "ExponentialLR": (
        lambda opt: lr_scheduler.ExponentialLR(opt, gamma=0.8),
        lambda torch, opt: torch.optim.lr_scheduler.ExponentialLR(opt, gamma=0.8),
    ),
    "CosineAnnealingLR": (
        lambda opt: lr_scheduler.CosineAnnealingLR(opt, T_max=10, eta_min=0.001),
        lambda torch, opt: torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=10, eta_min=0.001),
    ),
    "LinearWarmup": (  # PyTorch's LinearLR from 1/W to 1 over W − 1 steps
        lambda opt: lr_scheduler.LinearWarmup(opt, warmup_steps=5),
        lambda torch, opt: torch.optim.lr_scheduler.LinearLR(
            opt, start_factor=1 / 5, end_factor=1.0, total_iters=4
        ),
    ),
}


@pytest.mark.parametrize("name", TORCH_SCHEDULES)
def test_T3_agrees_with_torch_step_by_step(name):
    torch = pytest.importorskip("torch")
    make_minidl, make_torch = TORCH_SCHEDULES[name]
    got = rates(make_minidl(make_optimizer()), 25)

    torch_optimizer = torch.optim.SGD([torch.zeros(3, requires_grad=True)], lr=BASE_LR)
    torch_scheduler = make_torch(torch, torch_optimizer)
    expected = [torch_optimizer.param_groups[0]["lr"]]
    for _ in range(25):
        torch_optimizer.step()
        torch_scheduler.step()
        expected.append(torch_scheduler.get_last_lr()[0])
    # PyTorch multiplies the previous rate (chained form); minidl evaluates the closed
    # form, so the two differ only by rounding.
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)


# --------------------------------------------------------------------------- state


@pytest.mark.parametrize("name", TORCH_SCHEDULES)
def test_state_dict_resumes_the_same_rates(name, tmp_path):
    make = TORCH_SCHEDULES[name][0]
    straight = rates(make(make_optimizer()), 12)

    first = make(make_optimizer())
    rates(first, 5)
    mdl.save({"scheduler": first.state_dict()}, tmp_path / "s.npz")
    resumed = make(make_optimizer())
    resumed.load_state_dict(mdl.load(tmp_path / "s.npz")["scheduler"])
    assert resumed.optimizer.lr == straight[5]
    assert rates(resumed, 7) == straight[5:]


def test_load_state_dict_checks_and_changes_nothing_on_error():
    source = lr_scheduler.StepLR(make_optimizer(), step_size=2)
    target = lr_scheduler.ExponentialLR(make_optimizer(0.5), gamma=0.9)
    target.step()
    with pytest.raises(ValueError, match="saved from StepLR, not from ExponentialLR"):
        target.load_state_dict(source.state_dict())
    bad = lr_scheduler.ExponentialLR(make_optimizer(), gamma=0.5).state_dict()
    bad["settings"]["gamma"] = -1.0
    with pytest.raises(ValueError, match="gamma must be a finite number > 0"):
        target.load_state_dict(bad)
    with pytest.raises(ValueError, match="lacks"):
        target.load_state_dict({"kind": "ExponentialLR"})
    assert (target.last_epoch, target.gamma, target.optimizer.lr) == (1, 0.9, 0.5 * 0.9)


def test_get_last_lr_and_repr():
    scheduler = lr_scheduler.StepLR(make_optimizer(), step_size=1, gamma=0.5)
    scheduler.step()
    assert scheduler.get_last_lr() == [0.05]
    assert "StepLR(step_size=1, gamma=0.5, last_epoch=1" in repr(scheduler)


# --------------------------------------------------------------------------- errors


def test_scheduler_on_a_foreign_optimizer_is_a_clear_error():
    with pytest.raises(TypeError, match="expected a minidl optimizer"):
        lr_scheduler.StepLR(object(), step_size=2)
    torch = pytest.importorskip("torch")
    torch_optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    with pytest.raises(TypeError, match=r"got torch\.optim\.sgd\.SGD"):
        lr_scheduler.ExponentialLR(torch_optimizer, gamma=0.9)


@pytest.mark.parametrize(
    "build, message",
    [
        (lambda o: lr_scheduler.StepLR(o, step_size=0), "step_size must be >= 1"),
        (lambda o: lr_scheduler.StepLR(o, step_size=2.5), "step_size must be an int"),
        (lambda o: lr_scheduler.StepLR(o, 2, gamma=float("nan")), "gamma must be a finite"),
        (lambda o: lr_scheduler.ExponentialLR(o, gamma=-0.5), "gamma must be a finite number > 0"),
        (lambda o: lr_scheduler.ExponentialLR(o, gamma=float("inf")), "gamma must be a finite"),
        (lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=0), "T_max must be >= 1"),
        (lambda o: lr_scheduler.CosineAnnealingLR(o, 5, eta_min=-1), "eta_min must be a finite"),
        (lambda o: lr_scheduler.LinearWarmup(o, warmup_steps=-3), "warmup_steps must be >= 1"),
    ],
)
def test_bad_arguments_are_named_and_leave_the_optimizer_alone(build, message):
    optimizer = make_optimizer()
    with pytest.raises((ValueError, TypeError), match=message):
        build(optimizer)
    assert optimizer.lr == BASE_LR


# --------------------------------------------------------------------------- fit


def _setup():
    mdl.manual_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 4))
    y = (x[:, 0] + x[:, 1] > 0).astype(np.int64)
    loader = DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True, seed=0)
    model = models.mlp(4, (8,), 2)
    optimizer = optim.SGD(model.parameters(), lr=0.2)
    return model, optimizer, loader


def test_fit_steps_the_scheduler_per_epoch_or_per_batch():
    model, optimizer, loader = _setup()
    scheduler = lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
    fit(model, nn.CrossEntropyLoss(), optimizer, loader, 5, progress=False, scheduler=scheduler)
    assert scheduler.last_epoch == 5 and optimizer.lr == 0.2 * 0.5**2

    model, optimizer, loader = _setup()
    warmup = lr_scheduler.LinearWarmup(optimizer, warmup_steps=10)
    seen = []
    original_step = optimizer.step
    optimizer.step = lambda: (seen.append(optimizer.lr), original_step())[1]
    fit(model, nn.CrossEntropyLoss(), optimizer, loader, 2, progress=False,
        scheduler=warmup, scheduler_interval="batch")  # fmt: skip
    assert warmup.last_epoch == 2 * len(loader) == 8
    np.testing.assert_allclose(seen, [0.2 * (t + 1) / 10 for t in range(8)], rtol=1e-15)


def test_fit_resumes_the_schedule_bit_identically(tmp_path):
    def run(epochs, resume, path):
        model, optimizer, loader = _setup()
        scheduler = lr_scheduler.CosineAnnealingLR(optimizer, T_max=6)
        history = fit(model, nn.CrossEntropyLoss(), optimizer, loader, epochs, progress=False,
                      checkpoint_path=path, resume=resume, scheduler=scheduler,
                      scheduler_interval="batch")  # fmt: skip
        return model, optimizer, history

    straight_model, straight_optimizer, straight_history = run(6, False, tmp_path / "a.npz")
    run(2, False, tmp_path / "b.npz")
    model, optimizer, history = run(6, True, tmp_path / "b.npz")
    assert history == straight_history
    assert optimizer.lr == straight_optimizer.lr
    for got, expected in zip(model.parameters(), straight_model.parameters()):
        np.testing.assert_array_equal(got.numpy(), expected.numpy())


def test_fit_refuses_a_scheduler_of_another_optimizer(tmp_path):
    model, optimizer, loader = _setup()
    other = lr_scheduler.StepLR(optim.SGD(model.parameters(), lr=0.1), step_size=1)
    with pytest.raises(ValueError, match="built on another optimizer"):
        fit(model, nn.CrossEntropyLoss(), optimizer, loader, 1, progress=False, scheduler=other)
    with pytest.raises(ValueError, match="scheduler_interval must be 'epoch' or 'batch'"):
        fit(model, nn.CrossEntropyLoss(), optimizer, loader, 1, progress=False,
            scheduler=lr_scheduler.StepLR(optimizer, 1), scheduler_interval="step")  # fmt: skip
    with pytest.raises(TypeError, match="must be a learning-rate schedule"):
        fit(model, nn.CrossEntropyLoss(), optimizer, loader, 1, progress=False, scheduler=0.5)

    path = tmp_path / "plain.npz"
    fit(model, nn.CrossEntropyLoss(), optimizer, loader, 1, progress=False, checkpoint_path=path)
    with pytest.raises(ValueError, match="saved without a scheduler"):
        fit(model, nn.CrossEntropyLoss(), optimizer, loader, 2, progress=False,
            checkpoint_path=path, resume=True,
            scheduler=lr_scheduler.StepLR(optimizer, 1))  # fmt: skip

"""Learning-rate schedules (FORMULAS T3): the rate α_t after t calls of ``step()``.

    scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=10, gamma=0.5)
    for epoch in range(epochs):
        train_one_epoch(...)          # optimizer.step() uses optimizer.lr
        scheduler.step()              # t ← t + 1 ; optimizer.lr ← α_t

A scheduler owns nothing but a counter t (``last_epoch``, PyTorch's name, though it
counts whatever you step it by: epochs or batches) and the optimizer's starting rate α₀
(``base_lr``). Each rate is computed from t by its closed form, never by multiplying the
previous rate, so a schedule resumed from ``state_dict()`` gives bit-identical rates.
``fit(..., scheduler=...)`` steps it once per epoch, or once per batch with
``scheduler_interval="batch"``.

The names, arguments and values are PyTorch's ``torch.optim.lr_scheduler``;
``LinearWarmup(W)`` is PyTorch's ``LinearLR(start_factor=1/W, total_iters=W-1)``.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

from minidl.optim.optimizer import Optimizer

# --------------------------------------------------------------------------- checks
# Each check takes (scheduler name, setting name, value) and returns the value as a
# Python int or float, or raises an error that names all three.


def _count(scheduler_name: str, name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{scheduler_name}: {name} must be an int, got {value!r}")
    if value < minimum:
        raise ValueError(f"{scheduler_name}: {name} must be >= {minimum}, got {name}={value!r}")
    return int(value)


def _number(scheduler_name: str, name: str, value: Any, low: float, closed: bool) -> float:
    """A finite float above ``low`` (or equal to it when ``closed``)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{scheduler_name}: {name} must be a number, got {value!r}")
    above_low = value >= low if closed else value > low
    if not (above_low and value < math.inf):  # also false for NaN
        bound = ">=" if closed else ">"
        raise ValueError(
            f"{scheduler_name}: {name} must be a finite number {bound} {low}, got {name}={value!r}"
        )
    return float(value)


def _positive_int(scheduler_name: str, name: str, value: Any) -> int:
    return _count(scheduler_name, name, value, minimum=1)


def _positive(scheduler_name: str, name: str, value: Any) -> float:
    return _number(scheduler_name, name, value, low=0, closed=False)


def _non_negative(scheduler_name: str, name: str, value: Any) -> float:
    return _number(scheduler_name, name, value, low=0, closed=True)


def _plain(value: Any) -> Any:
    """A saved number back as a Python int or float (a checkpoint gives 0-d arrays)."""
    return value.item() if hasattr(value, "item") else value


# --------------------------------------------------------------------------- schedules


class LRScheduler:
    """Base class: sets ``optimizer.lr`` to ``lr_at(t)`` at t = 0 and after every ``step()``.

    Subclasses pass their settings (step_size, gamma, ...) to ``__init__``, name how to
    check each one in ``setting_checks``, and implement ``lr_at(t)``.
    """

    setting_checks: dict[str, Any] = {}

    def __init__(self, optimizer: Optimizer, **settings: Any) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(
                f"{type(self).__name__} expected a minidl optimizer (e.g. optim.SGD(...)), "
                f"got {type(optimizer).__module__}.{type(optimizer).__name__}; a scheduler "
                "changes the lr of the optimizer it was built on"
            )
        for key, value in self._checked_settings(settings).items():
            setattr(self, key, value)
        self.optimizer = optimizer
        self.base_lr = optimizer.lr
        self.last_epoch = 0
        optimizer.lr = self.lr_at(0)

    def lr_at(self, step: int) -> float:
        """The learning rate after ``step`` calls of ``step()``."""
        raise NotImplementedError

    def step(self) -> None:
        """Advance t by one and set the optimizer's learning rate to α_t."""
        self.last_epoch += 1
        self.optimizer.lr = self.lr_at(self.last_epoch)

    def get_last_lr(self) -> list[float]:
        """The rate the optimizer uses now, as a one-element list (PyTorch's form)."""
        return [self.optimizer.lr]

    # ------------------------------------------------------------------ saving
    def state_dict(self) -> dict[str, Any]:
        """``{"kind": "StepLR", "last_epoch": t, "base_lr": α₀, "settings": {...}}``."""
        return {
            "kind": type(self).__name__,
            "last_epoch": self.last_epoch,
            "base_lr": self.base_lr,
            "settings": {name: getattr(self, name) for name in self.setting_checks},
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what ``state_dict()`` returned and set the optimizer's rate to match.

        Checks everything before changing anything.
        """
        name = type(self).__name__
        if not isinstance(state_dict, dict):
            raise TypeError(
                f"{name}.load_state_dict expected a dict, got {type(state_dict).__name__}"
            )
        missing = {"kind", "last_epoch", "base_lr", "settings"} - set(state_dict)
        if missing:
            raise ValueError(
                f"{name}.load_state_dict: the dict lacks {sorted(missing)}; expected the keys "
                f"of {name}.state_dict(): ['base_lr', 'kind', 'last_epoch', 'settings']"
            )
        if str(state_dict["kind"]) != name:
            raise ValueError(
                f"{name}.load_state_dict: the state was saved from {state_dict['kind']}, "
                f"not from {name}"
            )
        settings = dict(state_dict["settings"])
        if set(settings) != set(self.setting_checks):
            raise ValueError(
                f"{name}.load_state_dict: expected settings {sorted(self.setting_checks)}, "
                f"got {sorted(settings)}"
            )
        checked = self._checked_settings({key: _plain(value) for key, value in settings.items()})
        last_epoch = _count(name, "last_epoch", _plain(state_dict["last_epoch"]), minimum=0)
        base_lr = _number(name, "base_lr", _plain(state_dict["base_lr"]), low=0, closed=False)
        # Everything checked: now change the scheduler and the optimizer's rate.
        for key, value in checked.items():
            setattr(self, key, value)
        self.last_epoch, self.base_lr = last_epoch, base_lr
        self.optimizer.lr = self.lr_at(last_epoch)

    def _checked_settings(self, settings: dict[str, Any]) -> dict[str, Any]:
        """Each setting checked by its rule in ``setting_checks`` (a clear error if bad)."""
        return {
            key: check(type(self).__name__, key, settings[key])
            for key, check in self.setting_checks.items()
        }

    def __repr__(self) -> str:
        settings = ", ".join(f"{key}={getattr(self, key)}" for key in self.setting_checks)
        return f"{type(self).__name__}({settings}, last_epoch={self.last_epoch}, lr={self.optimizer.lr:g})"


class StepLR(LRScheduler):
    """FORMULAS T3, step decay: α_t = α₀ · γ^⌊t / s⌋ (s = ``step_size``, γ = ``gamma``).

    The rate is multiplied by γ every s steps: with s = 10, γ = 0.5 it halves at t = 10, 20, ...
    """

    setting_checks = {"step_size": _positive_int, "gamma": _positive}

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        super().__init__(optimizer, step_size=step_size, gamma=gamma)

    def lr_at(self, step: int) -> float:
        return self.base_lr * self.gamma ** (step // self.step_size)


class ExponentialLR(LRScheduler):
    """FORMULAS T3, exponential decay: α_t = α₀ · γ^t (γ = ``gamma``, usually just below 1)."""

    setting_checks = {"gamma": _positive}

    def __init__(self, optimizer: Optimizer, gamma: float) -> None:
        super().__init__(optimizer, gamma=gamma)

    def lr_at(self, step: int) -> float:
        return self.base_lr * self.gamma**step


class CosineAnnealingLR(LRScheduler):
    """FORMULAS T3, cosine annealing: α_t = α_min + (α₀ − α_min) · (1 + cos(π t / T)) / 2.

    T is ``T_max`` and α_min is ``eta_min`` (PyTorch's names). The rate falls from α₀ at
    t = 0 to α_min at t = T along half a cosine wave; past T it follows the wave back up,
    as PyTorch's does.
    """

    setting_checks = {"T_max": _positive_int, "eta_min": _non_negative}

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0) -> None:
        super().__init__(optimizer, T_max=T_max, eta_min=eta_min)

    def lr_at(self, step: int) -> float:
        cosine = math.cos(math.pi * step / self.T_max)
        return self.eta_min + (self.base_lr - self.eta_min) * (1 + cosine) / 2


class LinearWarmup(LRScheduler):
    """FORMULAS T3, linear warm-up: α_t = α₀ · min(1, (t + 1) / W), W = ``warmup_steps``.

    The first step runs at α₀/W, the rate grows by α₀/W per step and stays at α₀ from
    t = W − 1 on. Large rates at the start, when the weights are random, can throw a
    network far off; warming up avoids that (usually stepped per batch).
    """

    setting_checks = {"warmup_steps": _positive_int}

    def __init__(self, optimizer: Optimizer, warmup_steps: int) -> None:
        super().__init__(optimizer, warmup_steps=warmup_steps)

    def lr_at(self, step: int) -> float:
        return self.base_lr * min(1.0, (step + 1) / self.warmup_steps)

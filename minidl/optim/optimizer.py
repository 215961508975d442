"""The base class every optimizer builds on.

An optimizer holds a list of parameters (tensors with ``requires_grad=True``) and, for
each one, whatever state its update rule needs (a velocity, moving averages, a step
count). ``step()`` applies the rule to every parameter that has a gradient;
``zero_grad()`` forgets the gradients so the next ``backward()`` starts from zero.

Every optimizer takes ``weight_decay`` λ (FORMULAS T2, L2 regularization): before the
rule, each gradient becomes g + λ·w, the gradient of the loss plus λ/2·‖w‖². The
parameter's own ``.grad`` is left as backward() made it.

The update happens in place on the parameter's own array (NumPy or CuPy), under
``no_grad()``, with one array expression per parameter: no copy to the host, no Python
loop over elements.

``state_dict()`` returns host NumPy copies of all of that state plus the
hyper-parameters, and ``load_state_dict()`` puts them back, so that a run saved and
resumed continues with exactly the same numbers as one that never stopped.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from typing import Any

import numpy as np

from minidl.autograd import no_grad
from minidl.backend import backend_of
from minidl.tensor import Tensor


class Optimizer:
    """Base class: validates the parameters and runs ``update`` on each one.

    Subclasses set ``hyperparameter_names`` and implement ``update(param, grad, state)``,
    where ``param`` is the tensor, ``grad`` its gradient array (weight decay already
    added) and ``state`` a dict of this parameter's arrays and counters that persists
    between steps.
    """

    hyperparameter_names: tuple[str, ...] = ("lr", "weight_decay")

    def __init__(self, params: Iterable[Tensor], lr: float, weight_decay: float = 0.0) -> None:
        self.params: list[Tensor] = _checked_params(params, type(self).__name__)
        self.lr = _positive_number("lr", lr, type(self).__name__)
        self.weight_decay = _non_negative_number("weight_decay", weight_decay, type(self).__name__)
        # One dict per parameter, filled the first time that parameter is updated.
        self.state: list[dict[str, Any]] = [{} for _ in self.params]

    # ------------------------------------------------------------------ the update
    def update(self, param: Tensor, grad: Any, state: dict[str, Any]) -> None:
        raise NotImplementedError

    def step(self) -> None:
        """Apply the update rule once to every parameter whose ``grad`` is not None."""
        with no_grad():
            for param, state in zip(self.params, self.state):
                if param.grad is not None:
                    _follow_device(param, state)
                    self.update(param, self.decayed_gradient(param), state)

    def decayed_gradient(self, param: Tensor) -> Any:
        """FORMULAS T2: g + λ·w (a new array; ``param.grad`` stays as it is), or g if λ = 0."""
        if self.weight_decay == 0:
            return param.grad
        return param.grad + self.weight_decay * param.data

    def zero_grad(self) -> None:
        """Set every parameter's gradient to None (the next backward() starts afresh)."""
        for param in self.params:
            param.grad = None

    # ------------------------------------------------------------------ saving
    def hyperparameters(self) -> dict[str, float]:
        """The numbers that define the rule (lr, momentum, ...), as Python floats."""
        return {name: getattr(self, name) for name in self.hyperparameter_names}

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to continue: hyper-parameters and per-parameter state.

        ``{"hyperparameters": {"lr": 0.1, ...}, "num_params": n,
        "state": {"0": {"velocity": array, ...}, ...}}``; arrays are host NumPy copies,
        keyed by the parameter's position in the list the optimizer was given.
        """
        state = {}
        for index, param_state in enumerate(self.state):
            if param_state:
                state[str(index)] = {
                    name: value
                    if isinstance(value, int)
                    else backend_of(value).to_host(value).copy()
                    for name, value in param_state.items()
                }
        return {
            "hyperparameters": self.hyperparameters(),
            "num_params": len(self.params),
            "state": state,
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what ``state_dict()`` returned. Checks everything before changing anything."""
        name = type(self).__name__
        if not isinstance(state_dict, dict):
            raise TypeError(
                f"{name}.load_state_dict expected a dict, got {type(state_dict).__name__}"
            )
        missing = {"hyperparameters", "num_params", "state"} - set(state_dict)
        if missing:
            raise ValueError(
                f"{name}.load_state_dict: the dict lacks {sorted(missing)}; expected the "
                f"keys of {name}.state_dict(): ['hyperparameters', 'num_params', 'state']"
            )
        num_params = int(state_dict["num_params"])
        if num_params != len(self.params):
            raise ValueError(
                f"{name}.load_state_dict: the saved optimizer had {num_params} parameters, "
                f"this one has {len(self.params)}; build it from the same model"
            )
        saved_hyper = dict(state_dict["hyperparameters"])
        saved_hyper.setdefault("weight_decay", 0.0)  # saved before weight decay existed
        if set(saved_hyper) != set(self.hyperparameter_names):
            raise ValueError(
                f"{name}.load_state_dict: expected hyper-parameters "
                f"{sorted(self.hyperparameter_names)}, got {sorted(saved_hyper)} "
                "(was it saved from another kind of optimizer?)"
            )
        new_hyper = {key: float(value) for key, value in saved_hyper.items()}

        new_state: list[dict[str, Any]] = [{} for _ in self.params]
        for key, saved in dict(state_dict["state"]).items():
            index = int(key)
            if not 0 <= index < len(self.params):
                raise ValueError(
                    f"{name}.load_state_dict: state for parameter {index}, but there are "
                    f"only {len(self.params)} parameters"
                )
            param = self.params[index]
            new_state[index] = {
                entry: self._restored(entry, value, param, index)
                for entry, value in dict(saved).items()
            }
        # Everything checked: now change the optimizer, all at once.
        for key, value in new_hyper.items():
            setattr(self, key, value)
        self.state = new_state

    def _restored(self, entry: str, value: Any, param: Tensor, index: int) -> Any:
        """One saved state entry, back on the parameter's device (arrays) or as an int."""
        array = np.asarray(value)
        if array.ndim == 0 and array.dtype.kind in "iu":
            return int(array)
        if array.shape != param.shape:
            raise ValueError(
                f"{type(self).__name__}.load_state_dict: {entry!r} of parameter {index} has "
                f"shape {array.shape}, but the parameter has shape {param.shape}"
            )
        return param.backend.to_device(array.astype(param.dtype, copy=True))

    def __repr__(self) -> str:
        settings = ", ".join(f"{key}={value}" for key, value in self.hyperparameters().items())
        return f"{type(self).__name__}({len(self.params)} parameters, {settings})"


# --------------------------------------------------------------------------- checks


def _checked_params(params: Any, optimizer_name: str) -> list[Tensor]:
    """The parameters as a list, after checking they are tensors that require grad."""
    if isinstance(params, Tensor):
        raise TypeError(
            f"{optimizer_name} expected an iterable of tensors (e.g. model.parameters()), "
            "got a single Tensor; wrap it in a list: [w]"
        )
    if not isinstance(params, Iterable):
        raise TypeError(
            f"{optimizer_name} expected an iterable of tensors (e.g. model.parameters()), "
            f"got {type(params).__name__}"
        )
    params = list(params)  # a generator can be read only once: read it here, once
    if not params:
        raise ValueError(
            f"{optimizer_name} got an empty list of parameters; pass model.parameters() of a "
            "model that has layers (a generator that was already used up is empty too)"
        )
    seen: set[int] = set()
    for position, param in enumerate(params):
        if not isinstance(param, Tensor):
            raise TypeError(
                f"{optimizer_name} expected tensors, but parameter {position} is a "
                f"{type(param).__name__}"
            )
        if not param.requires_grad:
            raise ValueError(
                f"{optimizer_name}: parameter {position} (shape {param.shape}) has "
                "requires_grad=False, so it would never get a gradient; create it with "
                "requires_grad=True or leave it out"
            )
        if id(param) in seen:
            raise ValueError(
                f"{optimizer_name}: parameter {position} (shape {param.shape}) appears more "
                "than once; it would be updated twice per step"
            )
        seen.add(id(param))
    return params


def _positive_number(name: str, value: Any, optimizer_name: str) -> float:
    """``value`` as a finite Python float, which must be > 0.

    A Python float keeps float32 arrays float32 in ``w -= lr * g``; a NumPy float64
    scalar would compute in float64 first, so it is converted here.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{optimizer_name}: {name} must be a number, got {value!r}")
    if not 0 < value < math.inf:  # also false for NaN
        raise ValueError(
            f"{optimizer_name}: {name} must be a finite number > 0, got {name}={value!r}"
        )
    return float(value)


def _non_negative_number(name: str, value: Any, optimizer_name: str) -> float:
    """``value`` as a finite Python float, which must be >= 0."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{optimizer_name}: {name} must be a number, got {value!r}")
    if not 0 <= value < math.inf:  # also false for NaN
        raise ValueError(
            f"{optimizer_name}: {name} must be a finite number >= 0, got {name}={value!r}"
        )
    return float(value)


def _fraction(name: str, value: Any, optimizer_name: str) -> float:
    """``value`` as a Python float in [0, 1)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{optimizer_name}: {name} must be a number, got {value!r}")
    if not 0 <= value < 1:
        raise ValueError(f"{optimizer_name}: {name} must be in [0, 1), got {name}={value!r}")
    return float(value)


def _follow_device(param: Tensor, state: dict[str, Any]) -> None:
    """Move a parameter's state arrays to its device if ``model.to(...)`` moved it."""
    for name, value in state.items():
        if not isinstance(value, int) and type(value) is not type(param.data):
            state[name] = param.backend.to_device(value)

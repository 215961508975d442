"""Loss modules: ``loss_fn(prediction, target)`` returns a one-element tensor to ``backward()``.

Each is a thin Module over the matching ``minidl.functional`` loss, which holds the
formula; the module keeps the settings (``reduction``) and checks the shapes, since a
(64, 1) prediction against a (64,) target would otherwise broadcast into a (64, 64)
loss without any error.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from minidl import functional as F
from minidl.nn.module import Module
from minidl.tensor import Tensor

__all__ = ["BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "MSELoss"]

MSE_REDUCTIONS = ("mean", "half_sum", "sum")


def _shape(value: Any) -> tuple[int, ...]:
    return tuple(value.shape) if hasattr(value, "shape") else np.shape(value)


def _check_same_shape(loss_name: str, prediction: Any, target: Any) -> None:
    prediction_shape, target_shape = _shape(prediction), _shape(target)
    if prediction_shape == target_shape:
        return
    hint = ""
    if prediction_shape == (*target_shape, 1):
        hint = "; reshape the target to match, e.g. target.reshape(-1, 1)"
    elif target_shape == (*prediction_shape, 1):
        hint = "; reshape the prediction to match, e.g. prediction.reshape(-1)"
    raise ValueError(
        f"{loss_name} expected prediction and target of the same shape, got prediction "
        f"{prediction_shape} and target {target_shape}{hint}"
    )


class MSELoss(Module):
    """Mean squared error between prediction ŷ and target y (same shape).

    reduction="mean":     L = (1/n)·Σ(y − ŷ)²   (FORMULAS L1)
    reduction="half_sum": J = (1/2)·Σ(y − ŷ)²   (FORMULAS L2)
    reduction="sum":      Σ(y − ŷ)²
    """

    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        if reduction not in MSE_REDUCTIONS:
            raise ValueError(
                f"MSELoss reduction must be one of {MSE_REDUCTIONS}, got {reduction!r}"
            )
        self.reduction = reduction

    def forward(self, prediction: Tensor, target: Any) -> Tensor:
        _check_same_shape("MSELoss", prediction, target)
        return F.mse_loss(prediction, target, reduction=self.reduction)

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}"


class CrossEntropyLoss(Module):
    """Softmax + cross-entropy on logits, mean over samples (FORMULAS L3–L5, L7).

    J = −(1/m)·Σ_i Σ_k y_k⁽ⁱ⁾ log softmax(z⁽ⁱ⁾)_k. ``prediction``: logits (batch, classes),
    not probabilities (no Softmax layer before it). ``target``: class indices (batch,)
    or one-hot/probabilities (batch, classes).
    """

    def forward(self, prediction: Tensor, target: Any) -> Tensor:
        return F.cross_entropy(prediction, target)


class BCELoss(Module):
    """Binary cross-entropy on probabilities ŷ ∈ (0, 1), mean (FORMULAS L6).

    J = −[y·log ŷ + (1 − y)·log(1 − ŷ)]. ``prediction`` comes from a Sigmoid; prefer
    BCEWithLogitsLoss on the raw logits, which is stable for large logits.
    """

    def forward(self, prediction: Tensor, target: Any) -> Tensor:
        _check_same_shape("BCELoss", prediction, target)
        return F.binary_cross_entropy(prediction, target)


class BCEWithLogitsLoss(Module):
    """Sigmoid + binary cross-entropy on logits z, mean (FORMULAS A2 then L6), computed
    stably as max(z, 0) − z·y + log(1 + e^(−|z|))."""

    def forward(self, prediction: Tensor, target: Any) -> Tensor:
        _check_same_shape("BCEWithLogitsLoss", prediction, target)
        return F.binary_cross_entropy_with_logits(prediction, target)

"""Loss modules: ``loss_fn(prediction, target)`` returns a one-element tensor to ``backward()``.

Each is a thin Module over the matching ``minidl.functional`` loss, which holds the
formula and checks the arguments (a (64, 1) prediction against a (64,) target is an
error there, not a silent (64, 64) broadcast); the module keeps the settings.
"""

from __future__ import annotations

from typing import Any

from minidl import functional as F
from minidl.nn.module import Module
from minidl.tensor import Tensor

__all__ = ["BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "MSELoss"]


class MSELoss(Module):
    """Mean squared error between prediction ŷ and target y (same shape).

    reduction="mean":     L = (1/n)·Σ(y − ŷ)²   (FORMULAS L1)
    reduction="half_sum": J = (1/2)·Σ(y − ŷ)²   (FORMULAS L2)
    reduction="sum":      Σ(y − ŷ)²
    """

    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        if reduction not in F.MSE_REDUCTIONS:  # refused when the loss is made, not at use
            raise ValueError(
                f"MSELoss reduction must be one of {F.MSE_REDUCTIONS}, got {reduction!r}"
            )
        self.reduction = reduction

    def forward(self, prediction: Tensor, target: Any) -> Tensor:
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
        return F.binary_cross_entropy(prediction, target)


class BCEWithLogitsLoss(Module):
    """Sigmoid + binary cross-entropy on logits z, mean (FORMULAS A2 then L6).

    Computed stably as max(z, 0) − z·y + log(1 + e^(−|z|)), finite for logits of ±1000;
    use it instead of Sigmoid followed by BCELoss when training.
    """

    def forward(self, prediction: Tensor, target: Any) -> Tensor:
        return F.binary_cross_entropy_with_logits(prediction, target)

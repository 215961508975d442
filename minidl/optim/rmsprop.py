"""RMSprop: steps scaled by a moving average of the squared gradient (FORMULAS T1)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from minidl.optim.optimizer import Optimizer, _fraction, _non_negative_number
from minidl.tensor import Tensor


class RMSprop(Optimizer):
    """RMSprop, FORMULAS T1, for each parameter tensor with gradient g:

        v ← α · v + (1 − α) · g²       (v starts at 0: a moving average of g²)
        w ← w − lr · g / (√v + ε)

    α is ``alpha`` and ε is ``eps``, outside the square root as in PyTorch's
    ``RMSprop`` (whose defaults these are). Each weight's step is divided by the recent
    size of its own gradient, so steep and flat directions move at similar speeds. With
    ``weight_decay`` λ, g is ∂L/∂w + λ·w (FORMULAS T2).
    """

    hyperparameter_names = ("lr", "alpha", "eps", "weight_decay")

    def __init__(
        self,
        params: Iterable[Tensor],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr, weight_decay)
        name = type(self).__name__
        self.alpha = _fraction("alpha", alpha, name)
        self.eps = _non_negative_number("eps", eps, name)

    def update(self, param: Tensor, grad: Any, state: dict[str, Any]) -> None:
        xp = param.backend.xp
        if "square_avg" not in state:
            state["square_avg"] = xp.zeros_like(param.data)
        square_avg = state["square_avg"]
        square_avg *= self.alpha
        square_avg += (1 - self.alpha) * (grad * grad)
        denominator = xp.sqrt(square_avg)
        denominator += self.eps
        param.data -= self.lr * grad / denominator

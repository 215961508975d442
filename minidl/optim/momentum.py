"""Gradient descent with momentum (FORMULAS O3, erratum E1)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from minidl.optim.optimizer import Optimizer, _fraction
from minidl.tensor import Tensor


class Momentum(Optimizer):
    """Momentum, FORMULAS O3:

        v ← γ · v + α · ∂J/∂w        (v starts at 0)
        w ← w − v

    α is ``lr`` and γ is ``momentum``. Erratum E1: document 003 writes ``w + v``, which
    moves *up* the gradient and climbs the loss; minidl subtracts. For a constant α this
    is the same walk as PyTorch's ``SGD(momentum=γ)`` (v' = γv' + g, w ← w − αv', with
    v = αv'). With ``weight_decay`` λ, ∂J/∂w is replaced by ∂J/∂w + λ·w (FORMULAS T2).
    """

    hyperparameter_names = ("lr", "momentum", "weight_decay")

    def __init__(
        self, params: Iterable[Tensor], lr: float, momentum: float = 0.9, weight_decay: float = 0.0
    ) -> None:
        super().__init__(params, lr, weight_decay)
        self.momentum = _fraction("momentum", momentum, type(self).__name__)

    def update(self, param: Tensor, grad: Any, state: dict[str, Any]) -> None:
        if "velocity" not in state:
            state["velocity"] = param.backend.xp.zeros_like(param.data)
        velocity = state["velocity"]
        velocity *= self.momentum
        velocity += self.lr * grad
        param.data -= velocity

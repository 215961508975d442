"""Gradient descent: full-batch GD and mini-batch SGD (FORMULAS O1, O2)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from minidl.optim.optimizer import Optimizer
from minidl.tensor import Tensor


class GD(Optimizer):
    """Gradient descent, FORMULAS O1:

        w_{t+1} = w_t − α · ∂L/∂w_t

    α is ``lr``. "GD" means the gradient is of the loss over the whole training set
    (one step per epoch); the rule itself is the same as SGD's. With ``weight_decay`` λ
    the gradient is g + λ·w (FORMULAS T2), as in PyTorch's ``SGD(weight_decay=λ)``.
    """

    def __init__(self, params: Iterable[Tensor], lr: float, weight_decay: float = 0.0) -> None:
        super().__init__(params, lr, weight_decay)

    def update(self, param: Tensor, grad: Any, state: dict[str, Any]) -> None:
        param.data -= self.lr * grad


class SGD(GD):
    """Stochastic gradient descent, FORMULAS O2: the rule of O1,

        w_{t+1} = w_t − α · ∂L/∂w_t

    with the gradient of one sample or one mini-batch (one step per batch).
    """

    def __init__(
        self,
        params: Iterable[Tensor],
        lr: float,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
    ) -> None:
        # PyTorch's SGD takes momentum=; minidl keeps FORMULAS O3 in its own class.
        if momentum != 0:
            raise TypeError(
                f"optim.SGD is plain gradient descent (FORMULAS O2) and takes no momentum; "
                f"use optim.Momentum(params, lr, momentum={momentum!r}) for momentum (O3)"
            )
        super().__init__(params, lr, weight_decay)

"""Adam: adaptive moment estimation (FORMULAS O4)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from minidl.optim.optimizer import Optimizer, _fraction, _non_negative_number
from minidl.tensor import Tensor


class Adam(Optimizer):
    """Adam, FORMULAS O4, for each parameter tensor with gradient g:

        t ← t + 1                       (t counts this tensor's updates, from 1)
        m ← β1 · m + (1 − β1) · g       (moving average of the gradient)
        v ← β2 · v + (1 − β2) · g²      (moving average of its square)
        m_hat = m / (1 − β1^t)          (bias correction: m and v start at 0)
        v_hat = v / (1 − β2^t)
        w ← w − α · m_hat / (√v_hat + ε)

    α is ``lr``, (β1, β2) are ``betas``, ε is ``eps`` (outside the square root). With
    ``weight_decay`` λ, g is ∂L/∂w + λ·w (FORMULAS T2), as in PyTorch's
    ``Adam(weight_decay=λ)`` (L2 in the gradient, not AdamW's decoupled decay).
    """

    hyperparameter_names = ("lr", "beta1", "beta2", "eps", "weight_decay")

    def __init__(
        self,
        params: Iterable[Tensor],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr, weight_decay)
        name = type(self).__name__
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"{name}: betas must be a pair (beta1, beta2), got {betas!r}")
        self.beta1 = _fraction("beta1", betas[0], name)
        self.beta2 = _fraction("beta2", betas[1], name)
        self.eps = _non_negative_number("eps", eps, name)

    @property
    def betas(self) -> tuple[float, float]:
        return (self.beta1, self.beta2)

    def update(self, param: Tensor, grad: Any, state: dict[str, Any]) -> None:
        xp = param.backend.xp
        if "step" not in state:
            state["step"] = 0
            state["m"] = xp.zeros_like(param.data)
            state["v"] = xp.zeros_like(param.data)
        state["step"] += 1
        t, m, v = state["step"], state["m"], state["v"]

        m *= self.beta1
        m += (1 - self.beta1) * grad
        v *= self.beta2
        v += (1 - self.beta2) * (grad * grad)
        m_hat = m / (1 - self.beta1**t)
        v_hat = v / (1 - self.beta2**t)
        denominator = xp.sqrt(v_hat, out=v_hat)
        denominator += self.eps
        param.data -= self.lr * m_hat / denominator

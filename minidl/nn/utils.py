"""Helpers for training loops: gradient clipping."""

from __future__ import annotations

import math
from collections.abc import Iterable

from minidl.tensor import Tensor

__all__ = ["clip_grad_norm"]


def clip_grad_norm(parameters: Iterable[Tensor], max_norm: float) -> float:
    """Scale all gradients together so that their joint L2 norm is at most ``max_norm``.

        total = √(Σ over every parameter p of ‖∂L/∂p‖²)
        if total > max_norm:  ∂L/∂p ← ∂L/∂p · max_norm / total   (for every p)

    Returns ``total``, the norm before clipping. Scaling every gradient by one factor
    keeps the direction of the step and only shortens it: the usual guard against the
    exploding gradients of backpropagation through time. Parameters without a gradient
    are skipped. (PyTorch's ``clip_grad_norm_`` adds 1e-6 to the divisor; this does not,
    so a clipped norm is exactly ``max_norm``.)
    """
    if isinstance(max_norm, bool) or not isinstance(max_norm, (int, float)) or max_norm <= 0:
        raise ValueError(f"clip_grad_norm max_norm must be a positive number, got {max_norm!r}")
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    grads = [parameter.grad for parameter in parameters if parameter.grad is not None]
    if not grads:
        return 0.0
    total = math.sqrt(sum(float((grad * grad).sum(dtype="float64")) for grad in grads))
    if total > max_norm:
        scale = max_norm / total
        for grad in grads:
            grad *= grad.dtype.type(scale)  # in place: .grad stays the same array
    return total

"""Reductions: sum, mean, max, min, logsumexp, var over an axis (or all axes), with
``keepdims``."""

from __future__ import annotations

import numpy as np

from minidl.autograd import Function
from minidl.backend import backend_of


def _normalise_axes(axis, ndim):
    """``axis`` (None, int or tuple, negatives allowed) as a sorted tuple of axes."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    for a in axes:
        if not -ndim <= a < ndim:  # a 0-d tensor has no axis at all, as in NumPy
            raise ValueError(f"axis {a} is out of range for a tensor with {ndim} dimensions")
    return tuple(sorted(a % ndim for a in axes))


def _expand_like_keepdims(grad_output, input_shape, axes, keepdims):
    """Put back the reduced axes (as size 1) so the gradient broadcasts over the input."""
    if keepdims or not axes:
        return grad_output
    kept_shape = tuple(1 if i in axes else n for i, n in enumerate(input_shape))
    return grad_output.reshape(kept_shape)


class Sum(Function):
    """y = Σ x over ``axis``.   ∂y/∂xᵢ = 1: the gradient is copied to every summed element."""

    def forward(self, x, axis=None, keepdims=False):
        self.shape, self.axes, self.keepdims = x.shape, _normalise_axes(axis, x.ndim), keepdims
        return x.sum(axis=self.axes, keepdims=keepdims)

    def backward(self, grad_output):
        grad = _expand_like_keepdims(grad_output, self.shape, self.axes, self.keepdims)
        return backend_of(grad).xp.broadcast_to(grad, self.shape)


class Mean(Function):
    """y = (1/n) Σ x over ``axis``.   ∂y/∂xᵢ = 1/n."""

    def forward(self, x, axis=None, keepdims=False):
        self.shape, self.axes, self.keepdims = x.shape, _normalise_axes(axis, x.ndim), keepdims
        self.count = 1
        for a in self.axes:
            self.count *= x.shape[a]
        return x.mean(axis=self.axes, keepdims=keepdims)

    def backward(self, grad_output):
        grad = _expand_like_keepdims(grad_output, self.shape, self.axes, self.keepdims)
        return backend_of(grad).xp.broadcast_to(grad / self.count, self.shape)


class Max(Function):
    """y = max x over ``axis``.   ∂y/∂xᵢ = 1 at the maximum, 0 elsewhere.

    When several elements tie for the maximum the gradient is shared equally among
    them (as ``torch.amax`` does), so the total is still 1.
    """

    def forward(self, x, axis=None, keepdims=False):
        self.shape, self.axes, self.keepdims = x.shape, _normalise_axes(axis, x.ndim), keepdims
        if x.size == 0:
            raise ValueError(f"max() of an empty tensor of shape {x.shape}")
        largest = x.max(axis=self.axes, keepdims=True)
        self.is_max = x == largest
        if keepdims:
            return largest
        return largest.reshape(tuple(n for i, n in enumerate(x.shape) if i not in self.axes))

    def backward(self, grad_output):
        grad = _expand_like_keepdims(grad_output, self.shape, self.axes, self.keepdims)
        ties = self.is_max.sum(axis=self.axes, keepdims=True)
        return self.is_max * (grad / ties)


class Min(Function):
    """y = min x over ``axis``.   ∂y/∂xᵢ = 1 at the minimum, 0 elsewhere.

    Ties share the gradient equally, as in ``Max`` (and ``torch.amin``).
    """

    def forward(self, x, axis=None, keepdims=False):
        self.shape, self.axes, self.keepdims = x.shape, _normalise_axes(axis, x.ndim), keepdims
        if x.size == 0:
            raise ValueError(f"min() of an empty tensor of shape {x.shape}")
        smallest = x.min(axis=self.axes, keepdims=True)
        self.is_min = x == smallest
        if keepdims:
            return smallest
        return smallest.reshape(tuple(n for i, n in enumerate(x.shape) if i not in self.axes))

    def backward(self, grad_output):
        grad = _expand_like_keepdims(grad_output, self.shape, self.axes, self.keepdims)
        ties = self.is_min.sum(axis=self.axes, keepdims=True)
        return self.is_min * (grad / ties)


class LogSumExp(Function):
    """y = log Σ eˣ over ``axis``, computed as m + log Σ e^(x − m) with m = max x, so no
    exponent is positive (finite for x of ±1000).

    ∂y/∂xᵢ = e^(xᵢ − y) = softmax(x)ᵢ.  A slice that is all −∞ gives −∞ (m is taken as 0
    there, so −∞ − m is not NaN).
    """

    def forward(self, x, axis=None, keepdims=False):
        xp = backend_of(x).xp
        self.x, self.shape = x, x.shape
        self.axes, self.keepdims = _normalise_axes(axis, x.ndim), keepdims
        shift = x.max(axis=self.axes, keepdims=True) if x.size else xp.zeros((1,) * x.ndim, x.dtype)
        shift = xp.where(xp.isfinite(shift), shift, 0)
        with np.errstate(divide="ignore"):  # log 0 = −∞ for an all −∞ slice
            self.output = shift + xp.log(xp.exp(x - shift).sum(axis=self.axes, keepdims=True))
        if keepdims:
            return self.output
        return self.output.reshape(tuple(n for i, n in enumerate(x.shape) if i not in self.axes))

    def backward(self, grad_output):
        xp = backend_of(grad_output).xp
        grad = _expand_like_keepdims(grad_output, self.shape, self.axes, self.keepdims)
        return grad * xp.exp(self.x - self.output)


class Var(Function):
    """Variance over ``axis`` with Bessel's correction c (PyTorch's ``correction``, 1 by
    default; 0 gives the population variance):

        v = Σ (xᵢ − x̄)² / max(n − c, 0)        ∂v/∂xᵢ = 2 (xᵢ − x̄) / max(n − c, 0)

    (the x̄ terms of the derivative sum to 0). n − c ≤ 0 divides by 0: inf or NaN, as in
    PyTorch.
    """

    def forward(self, x, axis=None, keepdims=False, correction=1):
        self.shape, self.axes, self.keepdims = x.shape, _normalise_axes(axis, x.ndim), keepdims
        count = 1
        for a in self.axes:
            count *= x.shape[a]
        self.divisor = max(count - correction, 0)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = x.sum(axis=self.axes, keepdims=True) / max(count, 1)
            self.centred = x - mean
            squares = (self.centred * self.centred).sum(axis=self.axes, keepdims=keepdims)
            return squares / self.divisor

    def backward(self, grad_output):
        grad = _expand_like_keepdims(grad_output, self.shape, self.axes, self.keepdims)
        with np.errstate(invalid="ignore", divide="ignore"):
            return grad * (2 * self.centred) / self.divisor

"""Reductions: sum, mean, max over an axis (or all axes), with ``keepdims``."""

from __future__ import annotations

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

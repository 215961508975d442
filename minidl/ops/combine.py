"""Ops of several tensors: concatenate, select (where), elementwise max and min.
(Stacking along a new axis is ``shape.Stack``.)

Each backward hands every input the part of the gradient that came from it: a slice of it
(cat), or the gradient where that input was chosen (where, maximum, minimum).
"""

from __future__ import annotations

from minidl.autograd import Function, unbroadcast
from minidl.backend import backend_of


def _shape_of(operand):
    """The shape of an array, or () for a Python number."""
    return getattr(operand, "shape", ())


class Cat(Function):
    """y = [x₁, x₂, ...] joined along ``axis``.   ∂L/∂xₖ is ∂L/∂y's slice where xₖ went."""

    def forward(self, *arrays, axis=0):
        self.axis = axis % arrays[0].ndim
        self.sizes = [array.shape[self.axis] for array in arrays]
        return backend_of(arrays[0]).xp.concatenate(arrays, axis=self.axis)

    def backward(self, grad_output):
        grads, start = [], 0
        for size, needed in zip(self.sizes, self.needs_input_grad):
            index = (slice(None),) * self.axis + (slice(start, start + size),)
            grads.append(grad_output[index] if needed else None)
            start += size
        return tuple(grads)


class Where(Function):
    """y = a where cond, else b (broadcast together).

    ∂y/∂a = 1 where cond, 0 elsewhere; ∂y/∂b the opposite. cond gets no gradient.
    """

    def forward(self, cond, a, b):
        self.cond, self.a_shape, self.b_shape = cond, _shape_of(a), _shape_of(b)
        return backend_of(cond).xp.where(cond, a, b)

    def backward(self, grad_output):
        xp = backend_of(grad_output).xp
        grad_a = grad_b = None
        if self.needs_input_grad[1]:
            grad_a = unbroadcast(xp.where(self.cond, grad_output, 0), self.a_shape)
        if self.needs_input_grad[2]:
            grad_b = unbroadcast(xp.where(self.cond, 0, grad_output), self.b_shape)
        return None, grad_a, grad_b


def _share_of_first(first_wins, tie, dtype):
    """The first operand's part of the gradient: 1 where it wins, ½ at a tie, else 0."""
    xp = backend_of(first_wins).xp
    return xp.where(tie, 0.5, first_wins).astype(dtype, copy=False)


class Maximum(Function):
    """y = max(a, b) elementwise (broadcast).   ∂y/∂a = 1 where a > b, 0 where a < b.

    Where a = b the gradient is shared, ½ each (PyTorch does the same), so the total
    is still 1 and the rule agrees with the mean of the two one-sided derivatives.
    """

    def forward(self, a, b):
        output = backend_of(a if hasattr(a, "shape") else b).xp.maximum(a, b)
        if any(self.needs_input_grad):
            self.share_a = _share_of_first(a > b, a == b, output.dtype)
            self.a_shape, self.b_shape = _shape_of(a), _shape_of(b)
        return output

    def backward(self, grad_output):
        grad_a = grad_b = None
        if self.needs_input_grad[0]:
            grad_a = unbroadcast(grad_output * self.share_a, self.a_shape)
        if self.needs_input_grad[1]:
            grad_b = unbroadcast(grad_output * (1 - self.share_a), self.b_shape)
        return grad_a, grad_b


class Minimum(Maximum):
    """y = min(a, b) elementwise (broadcast).   ∂y/∂a = 1 where a < b, 0 where a > b, ½ at
    a tie; the backward is ``Maximum``'s, with the first operand winning where it is
    smaller."""

    def forward(self, a, b):
        output = backend_of(a if hasattr(a, "shape") else b).xp.minimum(a, b)
        if any(self.needs_input_grad):
            self.share_a = _share_of_first(a < b, a == b, output.dtype)
            self.a_shape, self.b_shape = _shape_of(a), _shape_of(b)
        return output

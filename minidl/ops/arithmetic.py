"""Arithmetic: + - * / ** neg and matrix product, with broadcasting.

For a broadcasting op the gradient of each input is summed back to that input's shape
(``unbroadcast``): an input copied along an axis receives the sum of the copies' gradients.
An operand may be a Python number (a constant: ``needs_input_grad`` is False for it).
"""

from __future__ import annotations

import numpy as np

from minidl.autograd import Function, unbroadcast
from minidl.backend import backend_of


def shape_of(operand):
    """The shape of an array, or () for a Python number."""
    return getattr(operand, "shape", ())


class Add(Function):
    """z = a + b.   ∂z/∂a = 1, ∂z/∂b = 1."""

    def forward(self, a, b):
        self.a_shape, self.b_shape = shape_of(a), shape_of(b)
        return a + b

    def backward(self, grad_output):
        grad_a = unbroadcast(grad_output, self.a_shape) if self.needs_input_grad[0] else None
        grad_b = unbroadcast(grad_output, self.b_shape) if self.needs_input_grad[1] else None
        return grad_a, grad_b


class Sub(Function):
    """z = a − b.   ∂z/∂a = 1, ∂z/∂b = −1."""

    def forward(self, a, b):
        self.a_shape, self.b_shape = shape_of(a), shape_of(b)
        return a - b

    def backward(self, grad_output):
        grad_a = unbroadcast(grad_output, self.a_shape) if self.needs_input_grad[0] else None
        grad_b = -unbroadcast(grad_output, self.b_shape) if self.needs_input_grad[1] else None
        return grad_a, grad_b


class Mul(Function):
    """z = a·b (elementwise).   ∂z/∂a = b, ∂z/∂b = a."""

    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, grad_output):
        grad_a = (
            unbroadcast(grad_output * self.b, self.a.shape) if self.needs_input_grad[0] else None
        )
        grad_b = (
            unbroadcast(grad_output * self.a, self.b.shape) if self.needs_input_grad[1] else None
        )
        return grad_a, grad_b


class Div(Function):
    """z = a / b.   ∂z/∂a = 1/b, ∂z/∂b = −a/b²."""

    def forward(self, a, b):
        self.a, self.b = a, b
        return a / b

    def backward(self, grad_output):
        grad_a = grad_b = None
        if self.needs_input_grad[0]:
            grad_a = unbroadcast(grad_output / self.b, shape_of(self.a))
        if self.needs_input_grad[1]:
            grad_b = unbroadcast(-grad_output * self.a / (self.b * self.b), shape_of(self.b))
        return grad_a, grad_b


class Neg(Function):
    """z = −x.   ∂z/∂x = −1."""

    def forward(self, x):
        return -x

    def backward(self, grad_output):
        return -grad_output


class Pow(Function):
    """z = aᵇ.   ∂z/∂a = b·aᵇ⁻¹,  ∂z/∂b = aᵇ·ln a  (only asked for when b needs a gradient).

    At a zero base the formulas give 0·∞ = NaN or −∞; minidl takes PyTorch's values there:

    - where b = 0, ∂z/∂a = 0 (z = a⁰ = 1 does not depend on a, even at a = 0);
    - where a = 0 and b ≥ 0, ∂z/∂b = 0 (z = 0ᵇ is 0, or 1 at b = 0, whatever b does).

    Elsewhere the formulas apply as they are (a negative base with a fractional b is NaN).
    """

    def forward(self, a, b):
        self.a, self.b = a, b
        self.output = a**b
        return self.output

    def backward(self, grad_output):
        xp = backend_of(self.output).xp
        a, b = self.a, self.b
        grad_a = grad_b = None
        # The masked-out boundary values (0·∞, log 0) are computed and then discarded.
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.needs_input_grad[0]:
                d_base = xp.where(b == 0, 0, b * a ** (b - 1))
                grad_a = unbroadcast(grad_output * d_base, shape_of(a))
            if self.needs_input_grad[1]:
                d_exponent = xp.where((a == 0) & (b >= 0), 0, self.output * xp.log(a))
                grad_b = unbroadcast(grad_output * d_exponent, shape_of(b))
        return grad_a, grad_b


class MatMul(Function):
    """Z = A @ B (batched over leading axes, like ``numpy.matmul``).

    ∂L/∂A = ∂L/∂Z @ Bᵀ,   ∂L/∂B = Aᵀ @ ∂L/∂Z  (summed over broadcast batch axes).
    A 1-D operand is treated as a row (for A) or a column (for B) and the added axis
    removed again, as NumPy does.
    """

    def forward(self, a, b):
        if a.ndim == 0 or b.ndim == 0:
            raise ValueError(
                f"matmul needs operands with at least 1 dimension, got shapes {a.shape} and {b.shape}"
            )
        if a.shape[-1] != b.shape[-2 if b.ndim > 1 else 0]:
            raise ValueError(
                f"matmul shapes do not fit: {a.shape} @ {b.shape}; the last axis of the left "
                f"({a.shape[-1]}) must equal the {'second-to-last' if b.ndim > 1 else 'only'} "
                f"axis of the right ({b.shape[-2 if b.ndim > 1 else 0]})"
            )
        self.a, self.b = a, b
        return a @ b

    def backward(self, grad_output):
        a, b = self.a, self.b
        # Lift 1-D operands to matrices so one rule covers every case.
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        batch_shape = np.broadcast_shapes(a2.shape[:-2], b2.shape[:-2])
        grad2 = grad_output.reshape(batch_shape + (a2.shape[-2], b2.shape[-1]))
        grad_a = grad_b = None
        if self.needs_input_grad[0]:
            grad_a = unbroadcast(grad2 @ b2.swapaxes(-1, -2), a2.shape).reshape(a.shape)
        if self.needs_input_grad[1]:
            grad_b = unbroadcast(a2.swapaxes(-1, -2) @ grad2, b2.shape).reshape(b.shape)
        return grad_a, grad_b

"""Casting a tensor to another float dtype, differentiably (used by mixed precision)."""

from __future__ import annotations

from minidl.autograd import Function


class Cast(Function):
    """y = x as ``dtype``.   ∂L/∂x = ∂L/∂y cast back to x's dtype.

    Mixed precision (FORMULAS T7) computes a layer in float16 from float32 master weights:
    the weights are cast down on the way in, and their gradients come back up to float32.
    """

    def forward(self, x, dtype):
        self.source_dtype = x.dtype
        return x.astype(dtype)

    def backward(self, grad_output):
        return grad_output.astype(self.source_dtype)

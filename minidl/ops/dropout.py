"""Inverted dropout: zero random elements while training, rescale the rest."""

from __future__ import annotations

from minidl.autograd import Function
from minidl.backend import backend_of


class Dropout(Function):
    """y = x · mask / (1 − p), with mask_i = 1 with probability 1 − p, else 0.

    Dividing by the keep probability 1 − p while training keeps the expected value of
    every element unchanged (E[y] = x), so at evaluation time dropout is simply the
    identity: nothing needs rescaling ("inverted" dropout).

    Backward: ∂y/∂x = mask / (1 − p), the same scaled mask.
    """

    def forward(self, x, p=0.5):
        backend = backend_of(x)
        # The draw happens on x's device (no host round-trip); float32 uniforms are
        # plenty to compare against p, whatever x's dtype.
        keep = backend.uniform(x.shape, backend.xp.float32) >= p
        self.scaled_mask = keep.astype(x.dtype) * x.dtype.type(1 / (1 - p))
        return x * self.scaled_mask

    def backward(self, grad_output):
        return grad_output * self.scaled_mask

"""Activations: ReLU, sigmoid, tanh, softmax and log-softmax.

Each backward is written in terms of what forward already computed (the mask, or the
output itself), so nothing is evaluated twice.
"""

from __future__ import annotations

from minidl.autograd import Function
from minidl.backend import backend_of
from minidl.ops.layout import memory_order


def _zeros_along_innermost_axis(x):
    """Zeros that broadcast against x: 0 for max(0, x), but as an array, not a scalar.

    NumPy's maximum against a scalar runs a loop without SIMD (measured 2x slower on a
    conv output); against an array that is contiguous along x's innermost memory axis it
    takes the vectorised one. The array is one row long, so it costs nothing to make.
    """
    shape = [1] * x.ndim
    if x.ndim:
        innermost = memory_order(x)[-1]
        shape[innermost] = x.shape[innermost]
    return backend_of(x).xp.zeros(shape, dtype=x.dtype)


class ReLU(Function):
    """FORMULAS A1: f(x) = max(0, x).   f'(x) = 1 for x ≥ 0, 0 for x < 0.

    At exactly 0 the derivative is taken as 1, the documents' convention (PyTorch uses 0;
    both are valid subgradients).
    """

    def forward(self, x):
        if self.needs_input_grad[0]:  # inference (no_grad) skips the mask
            self.passes = x >= 0  # where the gradient flows: x ≥ 0, the documents' A1
        # out= keeps x's memory layout (a convolution's batch-innermost output) on every
        # backend: CuPy's ufuncs would otherwise return C order.
        xp = backend_of(x).xp
        return xp.maximum(x, _zeros_along_innermost_axis(x), out=xp.empty_like(x))

    def backward(self, grad_output):
        return grad_output * self.passes


def stable_sigmoid(x, exp_neg_abs):
    """σ(x) from x and e^(−|x|), without overflow (see ``Sigmoid``); shared with the
    binary cross-entropy of logits, which needs e^(−|x|) as well."""
    return backend_of(x).xp.where(x >= 0, 1, exp_neg_abs) / (1 + exp_neg_abs)


def log_softmax(x, axis):
    """log softmax(x) along ``axis`` on arrays, stably (see ``LogSoftmax``); shared with
    the fused cross-entropy."""
    xp = backend_of(x).xp
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - xp.log(xp.exp(shifted).sum(axis=axis, keepdims=True))


class Sigmoid(Function):
    """FORMULAS A2: σ(x) = 1 / (1 + e^(−x)).   σ'(x) = σ(x)(1 − σ(x)).

    e^(−x) overflows for x ≪ 0 (at x = −1000 it is e^1000). Both branches below only ever
    exponentiate −|x| ≤ 0, which at worst underflows to 0 harmlessly:

        x ≥ 0:  1 / (1 + e^(−|x|))
        x < 0:  e^(−|x|) / (1 + e^(−|x|))   (the same σ, multiplied through by eˣ)
    """

    def forward(self, x):
        xp = backend_of(x).xp
        self.output = stable_sigmoid(x, xp.exp(-xp.abs(x)))
        return self.output

    def backward(self, grad_output):
        return grad_output * self.output * (1 - self.output)


class Tanh(Function):
    """FORMULAS A3: tanh(x) = (eˣ − e^(−x)) / (eˣ + e^(−x)).   tanh'(x) = 1 − tanh²(x)."""

    def forward(self, x):
        self.output = backend_of(x).xp.tanh(x)
        return self.output

    def backward(self, grad_output):
        return grad_output * (1 - self.output * self.output)


class Softmax(Function):
    """FORMULAS A4: softmax(z)_i = e^(z_i) / Σ_j e^(z_j) along ``axis``.

    Subtracting max(z) first leaves the value unchanged (the factor e^(−max) cancels) but
    keeps every exponent ≤ 0, so nothing overflows even for logits of ±1000.

    Backward (y = softmax(z), g = ∂L/∂y):  ∂L/∂z_i = y_i · (g_i − Σ_j g_j y_j).
    """

    def forward(self, x, axis=-1):
        xp = backend_of(x).xp
        self.axis = axis
        exps = xp.exp(x - x.max(axis=axis, keepdims=True))
        self.output = exps / exps.sum(axis=axis, keepdims=True)
        return self.output

    def backward(self, grad_output):
        y = self.output
        return y * (grad_output - (grad_output * y).sum(axis=self.axis, keepdims=True))


class LogSoftmax(Function):
    """log softmax(z)_i = z_i − log Σ_j e^(z_j)  (the log of FORMULAS A4).

    Computed as (z_i − m) − log Σ_j e^(z_j − m) with m = max(z): every exponent is ≤ 0
    and the largest is exactly 0, so the sum is ≥ 1 and its log is finite.

    Backward (g = ∂L/∂y):  ∂L/∂z_i = g_i − softmax(z)_i · Σ_j g_j.
    """

    def forward(self, x, axis=-1):
        self.axis = axis
        self.output = log_softmax(x, axis)
        return self.output

    def backward(self, grad_output):
        softmax = backend_of(self.output).xp.exp(self.output)
        return grad_output - softmax * grad_output.sum(axis=self.axis, keepdims=True)

"""Elementwise math: exp, log, sqrt, abs, clip."""

from __future__ import annotations

from minidl.autograd import Function
from minidl.backend import backend_of


class Exp(Function):
    """y = eˣ.   ∂y/∂x = eˣ = y."""

    def forward(self, x):
        self.output = backend_of(x).xp.exp(x)
        return self.output

    def backward(self, grad_output):
        return grad_output * self.output


class Log(Function):
    """y = ln x.   ∂y/∂x = 1/x."""

    def forward(self, x):
        self.x = x
        return backend_of(x).xp.log(x)

    def backward(self, grad_output):
        return grad_output / self.x


class Sqrt(Function):
    """y = √x.   ∂y/∂x = 1/(2√x) = 1/(2y)."""

    def forward(self, x):
        self.output = backend_of(x).xp.sqrt(x)
        return self.output

    def backward(self, grad_output):
        return grad_output / (2 * self.output)


class Abs(Function):
    """y = |x|.   ∂y/∂x = sign(x)  (0 at x = 0, as in PyTorch)."""

    def forward(self, x):
        self.x = x
        return backend_of(x).xp.abs(x)

    def backward(self, grad_output):
        return grad_output * backend_of(self.x).xp.sign(self.x)


class Clip(Function):
    """y = min(max(x, low), high).   ∂y/∂x = 1 where low ≤ x ≤ high, else 0.

    At exactly a bound the gradient is 1 (PyTorch's clamp does the same).
    """

    def forward(self, x, low=None, high=None):
        xp = backend_of(x).xp
        self.inside = xp.ones(x.shape, dtype=bool)
        if low is not None:
            self.inside &= x >= low
        if high is not None:
            self.inside &= x <= high
        return xp.clip(x, low, high)

    def backward(self, grad_output):
        return grad_output * self.inside

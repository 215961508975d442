"""Layers: Modules that hold their weights and call ``minidl.functional`` in ``forward``.

Each layer checks the shape of its input first and says what it expected and what
came, because a shape mistake is the most common bug when building a network.

Default initialisation of Linear and Conv2d: weights He-normal, σ = √(2/fan_in);
biases zero. The documents' example networks (FORMULAS X3–X6) use ReLU hidden layers,
and He's factor 2 makes up for ReLU zeroing half of its inputs, so the activations
keep their size through the layers. The documents' own rule, N(0, 1/√fan_in) (D4), is
``nn.init.seed_normal``; use it to reproduce them exactly::

    layer = nn.Linear(784, 128)
    nn.init.seed_normal(layer.weight)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from minidl import backend as backends
from minidl import functional as F
from minidl.nn import init
from minidl.nn.module import Module, Parameter
from minidl.ops.conv import Conv2d as Conv2dOp
from minidl.ops.conv import as_pair, check_window_fits
from minidl.ops.linear import Linear as LinearOp
from minidl.tensor import DEFAULT_FLOAT, Tensor

__all__ = [
    "AvgPool2d", "Conv2d", "Dropout", "Flatten", "Linear", "MaxPool2d", "ReLU", "Sigmoid",
    "Softmax", "Tanh",
]  # fmt: skip


def _new_parameter(shape: tuple[int, ...], dtype: Any) -> Parameter:
    """A zero-filled parameter on the current backend, for an initialiser to fill."""
    return Parameter(backends.get_backend().xp.zeros(shape, dtype=dtype))


# ---------------------------------------------------------------------------- dense


class Linear(Module):
    """Fully connected layer, FORMULAS N1: z = x·Wᵀ + b, i.e. z_j = Σ_i w_ji·x_i + b_j.

    ``weight`` has shape (out_features, in_features), like PyTorch; ``bias`` (out_features,).
    Input: (batch, in_features) (any leading axes). Output: (batch, out_features).
    Initialisation: weight He-normal σ = √(2/in_features) (ReLU networks, see the module
    docstring), bias zeros.
    """

    def __init__(
        self, in_features: int, out_features: int, bias: bool = True, dtype: Any = DEFAULT_FLOAT
    ) -> None:
        super().__init__()
        _check_positive(in_features=in_features, out_features=out_features)
        self.in_features, self.out_features = in_features, out_features
        self.weight = init.he_normal(_new_parameter((out_features, in_features), dtype))
        self.bias = init.zeros(_new_parameter((out_features,), dtype)) if bias else None

    def forward(self, x: Tensor) -> Tensor:
        x = F._as_tensor(x, f"Linear(in_features={self.in_features})")
        F._require_float("linear", "input", x)
        shape = tuple(x.shape)
        if len(shape) == 0 or shape[-1] != self.in_features:
            raise ValueError(self._shape_error(shape))
        # The layer made its weight and bias, so only the input needed checking (above,
        # once, with the layer's own words): the op runs directly, not through F.linear.
        parameters = (self.weight,) if self.bias is None else (self.weight, self.bias)
        return LinearOp.apply(*F.autocast_operands(x, *parameters))

    def _shape_error(self, shape: tuple[int, ...]) -> str:
        name = f"Linear(in_features={self.in_features})"
        if len(shape) > 2 and math.prod(shape[1:]) == self.in_features:
            return f"{name} got input of shape {shape}; flatten it first, e.g. nn.Flatten()"
        if len(shape) > 2:
            return (
                f"{name} got input of shape {shape}: {math.prod(shape[1:])} features per "
                f"sample after flattening, but it expects {self.in_features}; flatten it "
                f"(nn.Flatten()) and set in_features={math.prod(shape[1:])}"
            )
        got = shape[-1] if shape else "a 0-d tensor"
        return (
            f"{name} expected input of shape (batch, {self.in_features}), got {shape} "
            f"({got} features); the previous layer's output size must equal in_features"
        )

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


# ---------------------------------------------------------------------------- convolution


class Conv2d(Module):
    """2-D convolution, FORMULAS N2: output = Σ weight·input over each kernel window, + bias.

    A cross-correlation (the kernel is not flipped), "valid" unless ``padding`` is given.
    Input: (batch, in_channels, H, W) (NCHW). Weight: (out_channels, in_channels, kH, kW).
    Output: (batch, out_channels, H_out, W_out) with H_out = (H + 2·padding − kH)//stride + 1.
    Initialisation: weight He-normal σ = √(2/(in_channels·kH·kW)), bias zeros.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] = 1,
        padding: int | tuple[int, int] = 0,
        bias: bool = True,
        dtype: Any = DEFAULT_FLOAT,
    ) -> None:
        super().__init__()
        _check_positive(in_channels=in_channels, out_channels=out_channels)
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = as_pair(kernel_size, "kernel_size")
        self.stride = as_pair(stride, "stride")
        self.padding = as_pair(padding, "padding")
        _check_positive(kernel_size=min(self.kernel_size), stride=min(self.stride))
        if min(self.padding) < 0:
            raise ValueError(f"padding must be >= 0, got {padding!r}")
        shape = (out_channels, in_channels, *self.kernel_size)
        self.weight = init.he_normal(_new_parameter(shape, dtype))
        self.bias = init.zeros(_new_parameter((out_channels,), dtype)) if bias else None

    def forward(self, x: Tensor) -> Tensor:
        name = f"Conv2d(in_channels={self.in_channels})"
        x = F._as_tensor(x, name)
        F._require_float("conv2d", "input", x)
        shape = tuple(x.shape)
        check_window_fits(name, shape, self.kernel_size, self.stride, self.padding)
        if shape[1] != self.in_channels:
            hint = ""
            if shape[3] == self.in_channels:
                hint = "; it looks channels-last (NHWC): use x.permute(0, 3, 1, 2)"
            raise ValueError(
                f"{name} expected {self.in_channels} input channels, got input of shape "
                f"{shape} with {shape[1]} channels (axis 1){hint}"
            )
        # As in Linear: only the input needed checking, so the op runs directly.
        parameters = (self.weight,) if self.bias is None else (self.weight, self.bias)
        operands = F.autocast_operands(x, *parameters)  # float16 inside amp.autocast
        return Conv2dOp.apply(*operands, stride=self.stride, padding=self.padding)

    def extra_repr(self) -> str:
        text = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}"
        )
        if self.padding != (0, 0):
            text += f", padding={self.padding}"
        if self.bias is None:
            text += ", bias=False"
        return text


# ---------------------------------------------------------------------------- pooling


class _Pool2d(Module):
    """Shared set-up of MaxPool2d and AvgPool2d (F checks the input and names the problem)."""

    def __init__(
        self, kernel_size: int | tuple[int, int], stride: int | tuple[int, int] | None = None
    ) -> None:
        super().__init__()
        self.kernel_size = as_pair(kernel_size, "kernel_size")
        self.stride = self.kernel_size if stride is None else as_pair(stride, "stride")
        _check_positive(kernel_size=min(self.kernel_size), stride=min(self.stride))

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}"


class MaxPool2d(_Pool2d):
    """Max pooling, FORMULAS N3: each output is the largest value in its window.

    ``stride`` defaults to ``kernel_size`` (windows side by side, no overlap), so
    MaxPool2d(2) halves height and width, as in the documents' networks.
    """

    def forward(self, x: Tensor) -> Tensor:
        return F.max_pool2d(x, self.kernel_size, self.stride)


class AvgPool2d(_Pool2d):
    """Average pooling: each output is the mean of its window (stride defaults to kernel_size)."""

    def forward(self, x: Tensor) -> Tensor:
        return F.avg_pool2d(x, self.kernel_size, self.stride)


# ---------------------------------------------------------------------------- activations


class ReLU(Module):
    """FORMULAS A1: f(x) = max(0, x)."""

    def forward(self, x: Tensor) -> Tensor:
        return F.relu(x)


class Sigmoid(Module):
    """FORMULAS A2: f(x) = 1 / (1 + e^(−x))."""

    def forward(self, x: Tensor) -> Tensor:
        return F.sigmoid(x)


class Tanh(Module):
    """FORMULAS A3: f(x) = (eˣ − e^(−x)) / (eˣ + e^(−x))."""

    def forward(self, x: Tensor) -> Tensor:
        return F.tanh(x)


class Softmax(Module):
    """FORMULAS A4: P(y=i) = e^(z_i) / Σ_j e^(z_j) along ``axis``.

    For training, feed logits to ``CrossEntropyLoss`` instead: it applies softmax itself
    in a numerically stable way.
    """

    def __init__(self, axis: int = -1) -> None:
        super().__init__()
        self.axis = axis

    def forward(self, x: Tensor) -> Tensor:
        return F.softmax(x, axis=self.axis)

    def extra_repr(self) -> str:
        return f"axis={self.axis}"


# ---------------------------------------------------------------------------- shape and regularisation


class Flatten(Module):
    """(batch, d1, d2, ...) → (batch, d1·d2·...): a feature map becomes a vector per sample (N4)."""

    def forward(self, x: Tensor) -> Tensor:
        return F.flatten(x)  # which checks that x has a batch axis


class Dropout(Module):
    """Inverted dropout: in training, zero each value with probability ``p`` and scale the
    rest by 1/(1−p), so the expected value is unchanged; in eval mode, pass x through."""

    def __init__(self, p: float = 0.5) -> None:
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise ValueError(f"Dropout probability p must be in [0, 1), got {p!r}")
        self.p = p

    def forward(self, x: Tensor) -> Tensor:
        return F.dropout(x, p=self.p, training=self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}"


# ---------------------------------------------------------------------------- checks


def _check_positive(**sizes: int) -> None:
    for name, size in sizes.items():
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size <= 0:
            raise ValueError(f"{name} must be a positive integer, got {size!r}")

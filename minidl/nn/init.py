"""Weight initialisation: fill a tensor with random starting values.

Each initialiser fills a tensor (usually a Parameter) in place and returns it; given a
shape instead, it returns a new float32 tensor of that shape on the current backend::

    nn.init.he_normal(layer.weight)
    W = nn.init.seed_normal((128, 784))

The numbers are drawn on the host from ``minidl.random.host_rng()`` in float64, then
cast to the tensor's dtype and put on its device, so the same ``manual_seed`` gives the
same weights on NumPy and on CuPy.

fan_in is the number of inputs each output unit sums over, fan_out the number of units
each input feeds. For a dense weight of shape (out, in): fan_in = in, fan_out = out; for
a conv weight (C_out, C_in, kH, kW): fan_in = C_in·kH·kW, fan_out = C_out·kH·kW.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from minidl import random
from minidl.tensor import DEFAULT_FLOAT, Tensor
from minidl.tensor import tensor as new_tensor

__all__ = ["fan_in_and_fan_out", "he_normal", "seed_normal", "xavier_uniform", "zeros"]


def fan_in_and_fan_out(shape: tuple[int, ...]) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight of ``shape``: (out, in) dense or (C_out, C_in, kH, kW) conv."""
    if len(shape) < 2:
        raise ValueError(
            f"cannot work out fan_in/fan_out of a tensor of shape {tuple(shape)}: that needs "
            "a weight with at least 2 axes (out, in, ...); pass fan_in=... explicitly "
            "(e.g. for a bias, the fan_in of its layer's weight)"
        )
    receptive_field = math.prod(shape[2:])
    return shape[1] * receptive_field, shape[0] * receptive_field


def seed_normal(tensor_or_shape: Tensor | tuple[int, ...], fan_in: int | None = None) -> Tensor:
    """FORMULAS D4: w ~ N(0, 1/√fan_in), read as standard deviation 1/√fan_in.

    The documents' own initialisation. ``fan_in`` defaults to the one of the tensor's
    shape; pass it for a bias (the document draws b ~ N(0, 1/n) with n its layer's fan_in).
    """
    tensor = _target(tensor_or_shape)
    fan_in = fan_in if fan_in is not None else fan_in_and_fan_out(tensor.shape)[0]
    return _fill(
        tensor,
        random.host_rng().standard_normal(tensor.shape) / math.sqrt(_positive(fan_in, "fan_in")),
    )


def he_normal(tensor_or_shape: Tensor | tuple[int, ...], fan_in: int | None = None) -> Tensor:
    """He (Kaiming) normal: w ~ N(0, σ²) with σ = √(2 / fan_in).

    Made for ReLU layers: ReLU zeroes half of its inputs on average, and the factor 2
    makes up for it, so the variance of the activations stays the same layer after layer.
    """
    tensor = _target(tensor_or_shape)
    fan_in = fan_in if fan_in is not None else fan_in_and_fan_out(tensor.shape)[0]
    std = math.sqrt(2.0 / _positive(fan_in, "fan_in"))
    return _fill(tensor, random.host_rng().standard_normal(tensor.shape) * std)


def xavier_uniform(
    tensor_or_shape: Tensor | tuple[int, ...],
    fan_in: int | None = None,
    fan_out: int | None = None,
) -> Tensor:
    """Xavier (Glorot) uniform: w ~ U(−a, a) with a = √(6 / (fan_in + fan_out)).

    Its variance a²/3 = 2/(fan_in + fan_out) keeps signals and gradients the same size
    through tanh/sigmoid layers.
    """
    tensor = _target(tensor_or_shape)
    if fan_in is None or fan_out is None:
        shape_fan_in, shape_fan_out = fan_in_and_fan_out(tensor.shape)
        fan_in = shape_fan_in if fan_in is None else fan_in
        fan_out = shape_fan_out if fan_out is None else fan_out
    bound = math.sqrt(6.0 / (_positive(fan_in, "fan_in") + _positive(fan_out, "fan_out")))
    return _fill(tensor, random.host_rng().uniform(-bound, bound, size=tensor.shape))


def zeros(tensor_or_shape: Tensor | tuple[int, ...]) -> Tensor:
    """Every value 0 (the default for biases; draws nothing from the generator)."""
    tensor = _target(tensor_or_shape)
    return _fill(tensor, np.zeros(tensor.shape))


def _target(tensor_or_shape: Any) -> Tensor:
    """The tensor to fill: the one given, or a new float32 tensor of the given shape."""
    if isinstance(tensor_or_shape, Tensor):
        if tensor_or_shape.dtype.kind != "f":
            raise TypeError(
                f"an initialiser fills floating-point tensors, got dtype {tensor_or_shape.dtype}"
            )
        return tensor_or_shape
    if isinstance(tensor_or_shape, int):
        tensor_or_shape = (tensor_or_shape,)
    if isinstance(tensor_or_shape, (tuple, list)) and all(
        isinstance(size, (int, np.integer)) and size >= 0 for size in tensor_or_shape
    ):
        shape = tuple(int(size) for size in tensor_or_shape)
        return new_tensor(np.zeros(shape, dtype=DEFAULT_FLOAT))  # on the current backend
    raise TypeError(
        f"an initialiser expected a Tensor/Parameter or a shape such as (128, 784), "
        f"got {tensor_or_shape!r}"
    )


def _fill(tensor: Tensor, values: np.ndarray) -> Tensor:
    """Replace the tensor's values (float64 host draws) with its dtype, on its device.

    Only ``data`` is replaced, so a Parameter keeps its identity (optimizers hold it).
    """
    tensor.data = tensor.backend.asarray(values.astype(tensor.dtype))
    return tensor


def _positive(count: int, name: str) -> int:
    if count <= 0:
        raise ValueError(f"{name} must be a positive number of units, got {count}")
    return count

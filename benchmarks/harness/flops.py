"""Floating-point operations of the matrix work in a step, counted from the shapes.

Only GEMMs and convolutions are counted (a multiply-add is 2 FLOPs); elementwise work
(ReLU, softmax, the optimizer update) is left out, as is usual when GFLOP/s is compared
with a GEMM peak. A training step does the forward products, one product per weight
gradient, and one per input gradient, except at the first layer, whose input (the data)
needs no gradient: about 3× the forward work.
"""

from __future__ import annotations


def linear_flops(batch: int, in_features: int, out_features: int) -> int:
    """One dense layer's forward product, (batch, in) @ (in, out)."""
    return 2 * batch * in_features * out_features


def conv2d_flops(
    batch: int, in_channels: int, out_channels: int, kernel: int, out_height: int, out_width: int
) -> int:
    """One convolution's forward work: every output pixel is a C_in·k·k dot product."""
    return 2 * batch * out_channels * out_height * out_width * in_channels * kernel * kernel


def training_flops(forward_flops_per_layer: list[int]) -> int:
    """Forward + weight gradients + input gradients of every layer but the first."""
    forward = sum(forward_flops_per_layer)
    return forward + forward + (forward - forward_flops_per_layer[0])

"""Workload (d): conv2d and max_pool2d alone, forward + backward.

The size of the first conv block of a small CNN after its first layer: a batch of 64
maps of 32 channels, 28×28. The convolution is 32→32 channels, 3×3, padding 1 (so the
output is 28×28 again); the pooling is 2×2 with stride 2. Backward gets a fixed upstream
gradient, and the gradients of the input (and the conv's weight and bias) are computed.
"""

from __future__ import annotations

import functools

import numpy as np

from benchmarks.harness.case import (
    Case,
    Prepared,
    minidl_synchronizer,
    minidl_tensor,
    random_batch,
    torch_synchronizer,
    torch_tensor,
)
from benchmarks.harness.flops import conv2d_flops

BATCH, CHANNELS, SIZE, KERNEL = 64, 32, 28, 3


@functools.cache
def conv_arrays() -> dict[str, np.ndarray]:
    """Input, weight, bias and upstream gradient of the conv (seeded, shared by both sides)."""
    rng = np.random.default_rng(4)
    fan_in = CHANNELS * KERNEL * KERNEL
    return {
        "x": random_batch(1, (BATCH, CHANNELS, SIZE, SIZE))[0],
        "weight": (
            rng.standard_normal((CHANNELS, CHANNELS, KERNEL, KERNEL)) / np.sqrt(fan_in)
        ).astype(np.float32),
        "bias": rng.standard_normal(CHANNELS).astype(np.float32),
        "grad_output": rng.standard_normal((BATCH, CHANNELS, SIZE, SIZE)).astype(np.float32),
    }


@functools.cache
def pool_arrays() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(5)
    return {
        "x": random_batch(2, (BATCH, CHANNELS, SIZE, SIZE))[0],
        "grad_output": rng.standard_normal((BATCH, CHANNELS, SIZE // 2, SIZE // 2)).astype(
            np.float32
        ),
    }


def _forget_grads(*tensors) -> None:
    # Each step starts from no gradient, so neither side pays for accumulating into one.
    for tensor in tensors:
        tensor.grad = None


def minidl_conv(backend_name: str) -> Prepared:
    from minidl import functional as F

    arrays = conv_arrays()
    x, weight, bias = (
        minidl_tensor(arrays[k], backend_name, requires_grad=True) for k in ("x", "weight", "bias")
    )
    grad_output = minidl_tensor(arrays["grad_output"], backend_name).data

    def step() -> None:
        _forget_grads(x, weight, bias)
        F.conv2d(x, weight, bias, stride=1, padding=1).backward(grad_output)

    step()
    return Prepared(step, minidl_synchronizer(backend_name), float(weight.grad.sum()))


def torch_conv(device: str) -> Prepared:
    import torch.nn.functional as F

    arrays = conv_arrays()
    x, weight, bias = (
        torch_tensor(arrays[k], device, requires_grad=True) for k in ("x", "weight", "bias")
    )
    grad_output = torch_tensor(arrays["grad_output"], device)

    def step() -> None:
        _forget_grads(x, weight, bias)
        F.conv2d(x, weight, bias, stride=1, padding=1).backward(grad_output)

    step()
    return Prepared(step, torch_synchronizer(device), float(weight.grad.sum()))


def minidl_pool(backend_name: str) -> Prepared:
    from minidl import functional as F

    arrays = pool_arrays()
    x = minidl_tensor(arrays["x"], backend_name, requires_grad=True)
    grad_output = minidl_tensor(arrays["grad_output"], backend_name).data

    def step() -> None:
        _forget_grads(x)
        F.max_pool2d(x, 2).backward(grad_output)

    step()
    return Prepared(step, minidl_synchronizer(backend_name), float((x.grad * x.data).sum()))


def torch_pool(device: str) -> Prepared:
    import torch.nn.functional as F

    arrays = pool_arrays()
    x = torch_tensor(arrays["x"], device, requires_grad=True)
    grad_output = torch_tensor(arrays["grad_output"], device)

    def step() -> None:
        _forget_grads(x)
        F.max_pool2d(x, 2).backward(grad_output)

    step()
    return Prepared(step, torch_synchronizer(device), float((x.grad * x.detach()).sum()))


def conv_case() -> Case:
    forward = conv2d_flops(BATCH, CHANNELS, CHANNELS, KERNEL, SIZE, SIZE)
    return Case(
        key="d-conv2d-fwd-bwd",
        group="d",
        title=f"conv2d {CHANNELS}→{CHANNELS} 3×3 pad 1 on {BATCH}×{CHANNELS}×{SIZE}×{SIZE}, fwd+bwd",
        build_minidl=minidl_conv,
        build_torch=torch_conv,
        flops=3 * forward,  # forward, ∂W and ∂x: three products of the same size
    )


def pool_case() -> Case:
    return Case(
        key="d-maxpool2d-fwd-bwd",
        group="d",
        title=f"max_pool2d 2×2 on {BATCH}×{CHANNELS}×{SIZE}×{SIZE}, fwd+bwd",
        build_minidl=minidl_pool,
        build_torch=torch_pool,
    )

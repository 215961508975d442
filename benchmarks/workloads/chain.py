"""Workload (f): autograd overhead, a chain of 1,000 tiny elementwise ops.

On a 16-element tensor the arithmetic costs nearly nothing, so the time per step is what
the framework spends per op: building a graph node, dispatching, and walking the node in
backward. The chain cycles through ×w, +b, −c, ÷d with constant 16-element tensors
(values near 1, so nothing overflows), then sums, and backpropagates to the input.
"""

from __future__ import annotations

import functools

import numpy as np

from benchmarks.harness.case import (
    Case,
    Prepared,
    minidl_synchronizer,
    minidl_tensor,
    torch_synchronizer,
    torch_tensor,
)

CHAIN_LENGTH = 1000
ELEMENTS = 16


@functools.cache
def chain_arrays() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(6)
    near_one = lambda: (1 + 0.01 * rng.standard_normal(ELEMENTS)).astype(np.float32)  # noqa: E731
    return {
        "x": rng.standard_normal(ELEMENTS).astype(np.float32),
        "w": near_one(),
        "b": (0.01 * rng.standard_normal(ELEMENTS)).astype(np.float32),
        "c": (0.01 * rng.standard_normal(ELEMENTS)).astype(np.float32),
        "d": near_one(),
    }


def run_chain(x, w, b, c, d):
    """The 1,000 ops (framework-neutral: only operators are used), summed to a scalar."""
    y = x
    for _ in range(CHAIN_LENGTH // 4):
        y = ((y * w + b) - c) / d
    return y.sum()


def minidl_chain(backend_name: str) -> Prepared:
    arrays = chain_arrays()
    x = minidl_tensor(arrays["x"], backend_name, requires_grad=True)
    constants = [minidl_tensor(arrays[k], backend_name) for k in "wbcd"]

    def step() -> None:
        x.grad = None
        run_chain(x, *constants).backward()

    step()
    return Prepared(step, minidl_synchronizer(backend_name), float(x.grad.sum()))


def torch_chain(device: str) -> Prepared:
    arrays = chain_arrays()
    x = torch_tensor(arrays["x"], device, requires_grad=True)
    constants = [torch_tensor(arrays[k], device) for k in "wbcd"]

    def step() -> None:
        x.grad = None
        run_chain(x, *constants).backward()

    step()
    return Prepared(step, torch_synchronizer(device), float(x.grad.sum()))


def chain_case() -> Case:
    return Case(
        key="f-autograd-chain-1000",
        group="f",
        title=f"autograd overhead: {CHAIN_LENGTH} elementwise ops on {ELEMENTS} elements, fwd+bwd",
        build_minidl=minidl_chain,
        build_torch=torch_chain,
        targets={"ratio": ("<=", 2.0)},
        note=(
            "memory not compared: with 64-byte arrays the peak is minidl's graph of Python "
            "objects (seen by tracemalloc), while PyTorch's C++ graph nodes are invisible "
            "to its profiler"
        ),
        memory_comparable=False,
    )

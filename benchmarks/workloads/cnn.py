"""Workload (b): a small CNN's training step with Adam, on 28×28 single-channel images.

``minidl.recipes.small_cnn``: Conv(1→32, 3×3) – ReLU – MaxPool 2 – Conv(32→64, 3×3) –
ReLU – MaxPool 2 – Flatten – Linear(1600→128) – ReLU – Linear(128→10), cross-entropy,
Adam (lr 0.001). Shapes: 28 → 26 → 13 → 11 → 5, so the flattened map has 64·5·5 = 1600
features.

Batch 64 is the CPU comparison; batch 256 is the GPU speed-up comparison (numpy vs cupy).
"""

from __future__ import annotations

import functools

import numpy as np

import minidl as mdl
from benchmarks.harness.case import (
    Case,
    Prepared,
    copy_weights_into_torch,
    minidl_classifier_step,
    random_batch,
    torch_classifier_step,
)
from benchmarks.harness.flops import conv2d_flops, linear_flops, training_flops
from minidl import recipes


def torch_cnn():
    """``minidl.recipes.small_cnn`` in PyTorch."""
    from torch import nn

    return nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(1600, 128), nn.ReLU(), nn.Linear(128, 10),
    )  # fmt: skip


@functools.cache
def cnn_weights() -> dict[str, np.ndarray]:
    """The initial weights both frameworks start from (minidl's own init, seed 0)."""
    mdl.manual_seed(0)
    with mdl.use_backend("numpy"):
        return recipes.small_cnn().state_dict()


def cnn_forward_flops(batch: int) -> list[int]:
    return [
        conv2d_flops(batch, 1, 32, 3, 26, 26),
        conv2d_flops(batch, 32, 64, 3, 11, 11),
        linear_flops(batch, 1600, 128),
        linear_flops(batch, 128, 10),
    ]


def minidl_train_step(batch: int, backend_name: str) -> Prepared:
    inputs, labels = random_batch(batch, (batch, 1, 28, 28), classes=10)
    model = recipes.small_cnn()
    model.load_state_dict(cnn_weights())
    model.to(backend_name)
    optimizer = recipes.small_cnn_optimizer(model.parameters())
    return minidl_classifier_step(model, optimizer, inputs, labels, backend_name)


def torch_train_step(batch: int, device: str) -> Prepared:
    import torch

    inputs, labels = random_batch(batch, (batch, 1, 28, 28), classes=10)
    model = torch_cnn()
    copy_weights_into_torch(model, cnn_weights())
    model.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=recipes.DEFAULT_LR["adam"])
    return torch_classifier_step(model, optimizer, inputs, labels, device)


def training_case(batch: int) -> Case:
    gpu_size = batch >= 256
    return Case(
        key=f"b-cnn-train-b{batch}",
        group="b",
        title=f"CNN training step, batch {batch} (Adam)",
        build_minidl=functools.partial(minidl_train_step, batch),
        build_torch=functools.partial(torch_train_step, batch),
        flops=training_flops(cnn_forward_flops(batch)),
        quick=not gpu_size,
        targets={} if gpu_size else {"ratio": ("<=", 1.5), "memory_ratio": ("<=", 1.5)},
        note="the GPU speed-up size: compare minidl/cupy with minidl/numpy" if gpu_size else None,
    )

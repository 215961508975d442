"""Workloads (a) and (c): the documents' X3 MLP, 784–128–64–10 with ReLU.

(a) one training step: forward, cross-entropy, backward, Momentum update (lr 0.001,
    momentum 0.9, the X3 settings; PyTorch's SGD with momentum is the same rule, E1);
(c) inference: the forward pass alone, under no_grad, at batch 4096.
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
    minidl_synchronizer,
    minidl_tensor,
    random_batch,
    torch_classifier_step,
    torch_synchronizer,
    torch_tensor,
)
from benchmarks.harness.flops import linear_flops, training_flops
from minidl import recipes

X3_SIZES = recipes.X3_SIZES


def torch_x3():
    """``minidl.recipes.x3_mlp`` in PyTorch."""
    from torch import nn

    return nn.Sequential(
        nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10)
    )


@functools.cache
def x3_weights() -> dict[str, np.ndarray]:
    """The initial weights both frameworks start from (minidl's own init, seed 0)."""
    mdl.manual_seed(0)
    with mdl.use_backend("numpy"):
        return recipes.x3_mlp().state_dict()


def x3_forward_flops(batch: int) -> list[int]:
    return [linear_flops(batch, n_in, n_out) for n_in, n_out in zip(X3_SIZES, X3_SIZES[1:])]


# --------------------------------------------------------------------------- (a) training


def minidl_train_step(batch: int, backend_name: str) -> Prepared:
    inputs, labels = random_batch(batch, (batch, 784), classes=10)
    model = recipes.x3_mlp()
    model.load_state_dict(x3_weights())
    model.to(backend_name)
    optimizer = recipes.x3_optimizer(model.parameters())
    return minidl_classifier_step(model, optimizer, inputs, labels, backend_name)


def torch_train_step(batch: int, device: str) -> Prepared:
    import torch

    inputs, labels = random_batch(batch, (batch, 784), classes=10)
    model = torch_x3()
    copy_weights_into_torch(model, x3_weights())
    model.to(device)
    optimizer = torch.optim.SGD(
        model.parameters(), lr=recipes.X3_LEARNING_RATE, momentum=recipes.X3_MOMENTUM
    )
    return torch_classifier_step(model, optimizer, inputs, labels, device)


def training_case(batch: int) -> Case:
    return Case(
        key=f"a-mlp-train-b{batch}",
        group="a",
        title=f"X3 MLP training step, batch {batch} (Momentum)",
        build_minidl=functools.partial(minidl_train_step, batch),
        build_torch=functools.partial(torch_train_step, batch),
        flops=training_flops(x3_forward_flops(batch)),
        targets={"ratio": ("<=", 1.0)},
    )


# --------------------------------------------------------------------------- (c) inference


def minidl_inference(batch: int, backend_name: str) -> Prepared:
    inputs, _ = random_batch(batch, (batch, 784))
    model = recipes.x3_mlp()
    model.load_state_dict(x3_weights())
    model.to(backend_name)
    model.eval()
    x = minidl_tensor(inputs, backend_name)

    def step():
        with mdl.no_grad():
            return model(x)

    return Prepared(step, minidl_synchronizer(backend_name), float(step().sum().item()))


def torch_inference(batch: int, device: str) -> Prepared:
    import torch

    inputs, _ = random_batch(batch, (batch, 784))
    model = torch_x3()
    copy_weights_into_torch(model, x3_weights())
    model.to(device).eval()
    x = torch_tensor(inputs, device)

    def step():
        with torch.no_grad():
            return model(x)

    return Prepared(step, torch_synchronizer(device), float(step().sum().item()))


def inference_case(batch: int) -> Case:
    return Case(
        key=f"c-mlp-infer-b{batch}",
        group="c",
        title=f"X3 MLP inference (no_grad), batch {batch}",
        build_minidl=functools.partial(minidl_inference, batch),
        build_torch=functools.partial(torch_inference, batch),
        flops=sum(x3_forward_flops(batch)),
        targets={"peak_fraction": (">=", 0.70)},
    )

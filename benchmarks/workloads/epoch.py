"""Workload (e): one full epoch of ``minidl train``'s default model on the digits data.

The defaults are read from ``minidl train`` itself (its parser and data preparation) and
from the recipes it builds its model and optimizer with (``minidl.recipes``), so this
workload follows them if they change: today an MLP 64–64–64–10 with Adam at batch 32
over the digits training split, shuffled.

minidl runs ``minidl.train.fit`` for one epoch (DataLoader, forward, loss, backward,
step, and the ``loss.item()`` that fit reads per batch). PyTorch runs the idiomatic loop
over the same training data on the device: a fresh permutation per epoch, slicing,
the same four calls per batch, and ``loss.item()`` per batch as well.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

import minidl as mdl
from benchmarks.harness.case import (
    Case,
    Prepared,
    copy_weights_into_torch,
    minidl_synchronizer,
    torch_synchronizer,
    torch_tensor,
)
from benchmarks.harness.flops import linear_flops, training_flops
from minidl import recipes


@functools.cache
def default_training() -> tuple[Any, Any]:
    """``minidl train``'s parsed default arguments and its prepared data (loaded once)."""
    from minidl import cli

    args = cli.build_parser().parse_args(["train"])
    return args, cli.load_task(args)


@functools.cache
def default_weights() -> dict[str, np.ndarray]:
    """The initial weights of the default model, as ``minidl train`` makes them."""

    args, task = default_training()
    mdl.manual_seed(args.seed)
    with mdl.use_backend("numpy"):
        return default_model(args, task).state_dict()


def default_model(args: Any, task: Any):
    return recipes.model_for(args.model, task.x_train.shape[1:], task.num_outputs)


def layer_sizes() -> list[int]:
    """[in, hidden..., out] of the default model, read from its weights."""
    weights = [array for name, array in default_weights().items() if array.ndim == 2]
    return [weights[0].shape[1], *(weight.shape[0] for weight in weights)]


def minidl_epoch(backend_name: str) -> Prepared:
    from minidl import nn, train
    from minidl.data import DataLoader, TensorDataset

    args, task = default_training()
    model = default_model(args, task)
    model.load_state_dict(default_weights())
    model.to(backend_name)
    optimizer = recipes.optimizer(args.optimizer, model.parameters(), args.lr)
    loss_fn = nn.CrossEntropyLoss()
    loader = DataLoader(
        TensorDataset(task.x_train, task.y_train),
        batch_size=args.batch_size,
        shuffle=True,
        seed=args.seed,
    )

    def step() -> None:
        with mdl.use_backend(backend_name):
            train.fit(model, loss_fn, optimizer, loader, 1, metrics=(), progress=False)

    with mdl.no_grad():
        x = mdl.tensor(task.x_train[: args.batch_size], device=backend_name)
        y = mdl.tensor(task.y_train[: args.batch_size], device=backend_name)
        check = loss_fn(model(x), y).item()
    return Prepared(step, minidl_synchronizer(backend_name), check)


def torch_epoch(device: str) -> Prepared:
    import torch
    from torch import nn

    args, task = default_training()
    sizes = layer_sizes()
    layers: list[Any] = []
    for n_in, n_out in zip(sizes, sizes[1:]):
        layers += [nn.Linear(n_in, n_out), nn.ReLU()]
    model = nn.Sequential(*layers[:-1])
    copy_weights_into_torch(model, default_weights())
    model.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=recipes.DEFAULT_LR[args.optimizer])
    loss_fn = nn.CrossEntropyLoss()
    x_train = torch_tensor(task.x_train.astype(np.float32), device)
    y_train = torch_tensor(task.y_train.astype(np.int64), device)
    generator = torch.Generator().manual_seed(args.seed)

    def step() -> None:
        order = torch.randperm(len(x_train), generator=generator).to(device)
        for start in range(0, len(x_train), args.batch_size):
            batch = order[start : start + args.batch_size]
            optimizer.zero_grad()
            loss = loss_fn(model(x_train[batch]), y_train[batch])
            loss.backward()
            optimizer.step()
            loss.item()  # fit reads every batch's loss too

    with torch.no_grad():
        check = loss_fn(model(x_train[: args.batch_size]), y_train[: args.batch_size]).item()
    return Prepared(step, torch_synchronizer(device), check)


def epoch_flops() -> int | None:
    """GEMM work of one epoch (None when the data cannot be loaded here, e.g. no scikit-learn)."""
    try:
        default_training()
    except Exception:
        return None
    samples = len(default_training()[1].x_train)
    sizes = layer_sizes()
    return training_flops([linear_flops(samples, a, b) for a, b in zip(sizes, sizes[1:])])


def epoch_case() -> Case:
    return Case(
        key="e-train-epoch-digits",
        group="e",
        title="one epoch of `minidl train` defaults on digits (MLP, Adam, batch 32)",
        build_minidl=minidl_epoch,
        build_torch=torch_epoch,
        flops=epoch_flops(),
        note="minidl: train.fit with its DataLoader; PyTorch: randperm + slicing, loss.item() per batch",
    )

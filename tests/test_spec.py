"""The public API: its names and parameter names are a contract with outside code."""

from __future__ import annotations

import inspect

import pytest

import minidl as mdl
from minidl import functional as F
from minidl import nn, optim

# (callable, its parameters in order, as the API contract names them)
SIGNATURES = [
    (F.softmax, ["x", "axis"]),
    (F.log_softmax, ["x", "axis"]),
    (F.linear, ["x", "W", "b"]),
    (F.conv2d, ["x", "W", "b", "stride", "padding"]),
    (F.max_pool2d, ["x", "kernel_size", "stride"]),
    (F.avg_pool2d, ["x", "kernel_size", "stride"]),
    (F.dropout, ["x", "p", "training"]),
    (F.mse_loss, ["pred", "target", "reduction"]),
    (F.cross_entropy, ["logits", "target"]),
    (F.binary_cross_entropy, ["prob", "target"]),
    (F.binary_cross_entropy_with_logits, ["logits", "target"]),
    (nn.Linear, ["in_features", "out_features", "bias"]),
    (nn.Conv2d, ["in_channels", "out_channels", "kernel_size", "stride", "padding", "bias"]),
    (nn.MaxPool2d, ["kernel_size", "stride"]),
    (nn.AvgPool2d, ["kernel_size", "stride"]),
    (nn.Softmax, ["axis"]),
    (nn.Dropout, ["p"]),
    (nn.MSELoss, ["reduction"]),
    (optim.GD, ["params", "lr"]),
    (optim.SGD, ["params", "lr"]),
    (optim.Momentum, ["params", "lr", "momentum"]),
    (optim.Adam, ["params", "lr", "betas", "eps", "weight_decay"]),
    (optim.RMSprop, ["params", "lr", "alpha", "eps", "weight_decay"]),
    (optim.GD, ["params", "lr", "weight_decay"]),
    (optim.SGD, ["params", "lr", "weight_decay"]),
    (optim.Momentum, ["params", "lr", "momentum", "weight_decay"]),
    (mdl.data.DataLoader, ["dataset", "batch_size", "shuffle", "seed"]),
    (mdl.data.standardize, ["x", "mean", "std"]),
    (mdl.data.one_hot, ["labels", "num_classes"]),
    (mdl.data.datasets.mnist, ["root", "train", "download"]),
    (mdl.data.datasets.fashion_mnist, ["root", "train", "download"]),
    (
        mdl.train.fit,
        [
            "model",
            "loss_fn",
            "optimizer",
            "train_loader",
            "epochs",
            "val_loader",
            "metrics",
            "progress",
        ],
    ),
    (mdl.gradcheck, ["fn", "inputs", "eps", "atol", "rtol"]),
    (mdl.save, ["obj", "path"]),
    (mdl.load, ["path"]),
]


@pytest.mark.parametrize(
    "function, expected", SIGNATURES, ids=lambda v: getattr(v, "__qualname__", "")
)
def test_spec_parameter_names(function, expected):
    parameters = [name for name in inspect.signature(function).parameters if name != "self"]
    assert parameters[: len(expected)] == expected


def test_spec_defaults():
    assert inspect.signature(F.conv2d).parameters["stride"].default == 1
    assert inspect.signature(F.max_pool2d).parameters["stride"].default is None
    assert inspect.signature(optim.Momentum).parameters["momentum"].default == 0.9
    adam = inspect.signature(optim.Adam).parameters
    assert (adam["lr"].default, adam["betas"].default, adam["eps"].default) == (
        1e-3,
        (0.9, 0.999),
        1e-8,
    )
    rmsprop = inspect.signature(optim.RMSprop).parameters
    assert (rmsprop["lr"].default, rmsprop["alpha"].default, rmsprop["eps"].default) == (
        1e-2,
        0.99,
        1e-8,
    )
    for optimizer in (optim.GD, optim.SGD, optim.Momentum, optim.Adam, optim.RMSprop):
        assert inspect.signature(optimizer).parameters["weight_decay"].default == 0.0
    gradcheck = inspect.signature(mdl.gradcheck).parameters
    assert (gradcheck["eps"].default, gradcheck["atol"].default, gradcheck["rtol"].default) == (
        1e-6,
        1e-5,
        1e-3,
    )

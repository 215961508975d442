"""Recipes: which network and which optimizer, with which settings, by name.

``minidl train`` builds its model and optimizer here, and so do the benchmarks (the
installed ``minidl bench`` and the comparison with PyTorch under benchmarks/ in the
repository): a changed default shows up in all of them at once.

    OPTIMIZERS, DEFAULT_LR               the optimizers by name, each with its default rate
    optimizer("adam", params, lr=None)   one of them, built
    model_for("mlp", input_shape, 10)    the network ``minidl train --model mlp`` trains
    x3_mlp(), x3_optimizer(params)       the documents' X3: MLP 784–128–64–10, Momentum
    small_cnn(), small_cnn_optimizer(p)  the CNN the benchmarks time (Adam)

Networks end in raw scores (logits): pair them with CrossEntropyLoss.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from minidl import models, nn, optim

OPTIMIZERS = ("gd", "sgd", "momentum", "adam", "rmsprop")
DEFAULT_LR = {"gd": 0.5, "sgd": 0.05, "momentum": 0.01, "adam": 1e-3, "rmsprop": 1e-3}


def optimizer(
    name: str,
    parameters: Iterable[nn.Parameter],
    lr: float | None = None,
    weight_decay: float = 0.0,
):
    """The optimizer called ``name`` (one of OPTIMIZERS) over ``parameters``, at ``lr``
    (default: DEFAULT_LR[name]), with L2 ``weight_decay`` (FORMULAS T2)."""
    make = {
        "gd": optim.GD,
        "sgd": optim.SGD,
        "momentum": optim.Momentum,
        "adam": optim.Adam,
        "rmsprop": optim.RMSprop,
    }
    if name not in make:
        raise ValueError(f"unknown optimizer {name!r}; choose one of {', '.join(OPTIMIZERS)}")
    return make[name](
        parameters, lr=DEFAULT_LR[name] if lr is None else lr, weight_decay=weight_decay
    )


def model_for(kind: str, input_shape: Sequence[int], num_outputs: int) -> nn.Sequential:
    """The network ``minidl train --model kind`` trains on samples of ``input_shape``.

    "mlp": two hidden layers of 64 (the documents' X4 shape) on flat samples (features,);
    "cnn": ``models.cnn`` on images (channels, size, size).
    """
    if kind == "cnn":
        channels, size = input_shape[0], input_shape[1]
        return models.cnn(channels, size, num_outputs)
    if kind == "mlp":
        return models.mlp(input_shape[0], (64, 64), num_outputs)
    raise ValueError(f"unknown model {kind!r}; choose 'mlp' or 'cnn'")


# --------------------------------------------------------------------------- benchmarked

X3_SIZES = (784, 128, 64, 10)
X3_LEARNING_RATE, X3_MOMENTUM = 0.001, 0.9


def x3_mlp() -> nn.Sequential:
    """The documents' X3: an MLP 784–128–64–10 with ReLU, for 28×28 images, flattened."""
    return models.mlp(X3_SIZES[0], X3_SIZES[1:-1], X3_SIZES[-1])


def x3_optimizer(parameters: Iterable[nn.Parameter]) -> optim.Momentum:
    """X3's optimizer: SGD with momentum, lr 0.001, momentum 0.9 (PyTorch's rule, E1)."""
    return optim.Momentum(parameters, lr=X3_LEARNING_RATE, momentum=X3_MOMENTUM)


def small_cnn() -> nn.Sequential:
    """The CNN the benchmarks time, for 28×28 single-channel images and 10 classes:
    the first two blocks of the documents' X5 (Conv 32 and Conv 64, 3×3, each followed by
    ReLU and 2×2 max pooling), then Dense 128 and the output. Shapes: 28 → 26 → 13 → 11 → 5,
    so the flattened map has 64·5·5 = 1600 features."""
    return nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(1600, 128), nn.ReLU(), nn.Linear(128, 10),
    )  # fmt: skip


def small_cnn_optimizer(parameters: Iterable[nn.Parameter]) -> optim.Adam:
    """Adam at its default rate 0.001, as X5 trains."""
    return optimizer("adam", parameters)

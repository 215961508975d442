"""minidl: a small deep learning library whose every line a learner can read.

    import minidl as mdl
    from minidl import nn, optim, functional as F

The layers, from the bottom up: ``backend`` (NumPy or CuPy arrays), ``tensor`` and
``autograd`` (the graph and backward), ``ops`` (differentiable primitives),
``functional``, ``nn``, ``optim``, then ``data``, ``metrics``, ``train`` and ``cli``.
"""

from minidl import amp, backend, data, distributed, functional, metrics, nn, optim, train, viz
from minidl.autograd import (
    detect_anomaly,
    enable_grad,
    is_anomaly_enabled,
    is_grad_enabled,
    no_grad,
)
from minidl.backend import get_backend, set_backend, use_backend
from minidl.creation import (
    arange,
    cat,
    eye,
    from_numpy,
    full,
    maximum,
    minimum,
    ones,
    ones_like,
    rand,
    randn,
    stack,
    where,
    zeros,
    zeros_like,
)
from minidl.errors import (
    AnomalyError,
    BackendUnavailableError,
    CheckpointError,
    DeviceMismatchError,
    GradcheckError,
    GraphFreedError,
)
from minidl.gradcheck import gradcheck
from minidl.random import manual_seed
from minidl.serialization import load, save
from minidl.tensor import Tensor, tensor

__version__ = "0.1.0"

__all__ = [
    "AnomalyError", "BackendUnavailableError", "amp", "CheckpointError", "DeviceMismatchError",
    "GradcheckError", "GraphFreedError", "Tensor", "backend", "data", "detect_anomaly", "distributed",
    "enable_grad", "functional", "get_backend", "gradcheck", "is_anomaly_enabled", "is_grad_enabled",
    "manual_seed", "metrics", "nn", "no_grad", "optim", "set_backend", "tensor", "train",
    "use_backend", "save", "load", "viz",
    "arange", "cat", "eye", "from_numpy", "full", "maximum", "minimum", "ones", "ones_like",
    "rand", "randn", "stack", "where", "zeros", "zeros_like",
]  # fmt: skip

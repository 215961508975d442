"""minidl: a small deep learning library whose every line a learner can read.

    import minidl as mdl
    from minidl import nn, optim, functional as F

The layers, from the bottom up: ``backend`` (NumPy or CuPy arrays), ``tensor`` and
``autograd`` (the graph and backward), ``ops`` (differentiable primitives),
``functional``, ``nn``, ``optim``, then ``data``, ``metrics``, ``train`` and ``cli``.
"""

# The layers above the core (imported after it: each builds on what comes before).
from minidl import backend, data, functional, metrics, nn, optim, train  # noqa: E402,I001  # noqa: E402
from minidl.autograd import detect_anomaly, enable_grad, is_grad_enabled, no_grad
from minidl.backend import get_backend, set_backend, use_backend
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
from minidl.serialization import *  # noqa: E402,F403  (save, load)
from minidl.tensor import Tensor, tensor

__version__ = "0.1.0"

__all__ = [
    "AnomalyError", "BackendUnavailableError", "CheckpointError", "DeviceMismatchError",
    "GradcheckError", "GraphFreedError", "Tensor", "backend", "data", "functional", "metrics", "nn", "optim", "train", "detect_anomaly",
    "enable_grad", "get_backend", "gradcheck", "is_grad_enabled", "manual_seed", "no_grad",
    "set_backend", "tensor", "use_backend",
]  # fmt: skip

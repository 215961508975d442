"""What a workload is, and the plumbing shared by all of them.

A ``Case`` is one fixed computation (an MLP training step at batch 64, say) that can be
built for minidl on any backend and, when PyTorch is installed, for PyTorch on the CPU
or CUDA, from the same input data and the same initial weights. Building returns a
``Prepared``: the step to time, how to wait for the device, and a ``check`` number
(a loss or an output sum computed once from the initial state) that shows both
frameworks really start from the same weights and data.

The cases themselves live in ``benchmarks/workloads/``, one file per kind of network,
the minidl and PyTorch versions side by side.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import minidl as mdl
from minidl import backend as backends
from minidl.bench import random_batch, training_step

__all__ = [
    "Case", "Prepared", "copy_weights_into_torch", "minidl_classifier_step",
    "minidl_synchronizer", "minidl_tensor", "random_batch", "torch_classifier_step",
    "torch_synchronizer", "torch_tensor",
]  # fmt: skip


@dataclass
class Prepared:
    """A built contender: ``step()`` runs one unit of work; ``check`` is a sanity value."""

    step: Callable[[], Any]
    synchronize: Callable[[], None]
    check: float | None = None


@dataclass(frozen=True)
class Case:
    """One benchmark workload.

    ``build_minidl(backend_name)`` and ``build_torch(device)`` return a ``Prepared``;
    ``flops`` is the GEMM/conv work of one step (None where there is none to speak of).
    ``quick`` says whether ``--quick`` runs it; ``memory_comparable`` is False where
    the two memory measurements would not count the same things (see memory.py); ``targets`` maps a measure ("ratio",
    "peak_fraction", "memory_ratio") to the goal it should meet, as stated in the issue.
    """

    key: str
    group: str
    title: str
    build_minidl: Callable[[str], Prepared]
    build_torch: Callable[[str], Prepared] | None
    flops: int | None = None
    quick: bool = True
    targets: Mapping[str, tuple[str, float]] = field(default_factory=dict)
    note: str | None = None
    memory_comparable: bool = True


def minidl_synchronizer(backend_name: str) -> Callable[[], None]:
    """The function that waits for a minidl backend's queued work."""
    return backends.get(backend_name).synchronize


def torch_synchronizer(device: str) -> Callable[[], None]:
    """The function that waits for PyTorch's queued work on ``device``."""
    if device == "cuda":
        import torch

        return torch.cuda.synchronize
    return lambda: None


def minidl_tensor(array: np.ndarray, backend_name: str, requires_grad: bool = False) -> mdl.Tensor:
    """A minidl tensor holding a copy of ``array`` on the given backend."""
    return mdl.tensor(array, requires_grad=requires_grad, device=backend_name)


def torch_tensor(array: np.ndarray, device: str, requires_grad: bool = False) -> Any:
    """A PyTorch tensor holding a copy of ``array`` on ``device``."""
    import torch

    return torch.tensor(array, device=device, requires_grad=requires_grad)


def copy_weights_into_torch(torch_model: Any, state: Mapping[str, np.ndarray]) -> None:
    """Load minidl's ``state_dict()`` into an equivalent PyTorch model.

    The two models list their parameters in the same order (weight then bias, layer by
    layer) and use the same layouts (Linear (out, in); Conv2d (C_out, C_in, kH, kW)), so
    the arrays are paired by position; every pair's shape is checked.
    """
    import torch

    torch_names = list(torch_model.state_dict())
    arrays = list(state.values())
    if len(torch_names) != len(arrays):
        raise ValueError(
            f"the PyTorch model has {len(torch_names)} tensors in its state_dict but the "
            f"minidl model has {len(arrays)}: the two networks are not the same"
        )
    converted = {}
    for (minidl_name, array), torch_name in zip(state.items(), torch_names):
        expected = tuple(torch_model.state_dict()[torch_name].shape)
        if tuple(array.shape) != expected:
            raise ValueError(
                f"minidl's {minidl_name} has shape {array.shape} but PyTorch's "
                f"{torch_name} has {expected}"
            )
        converted[torch_name] = torch.from_numpy(np.ascontiguousarray(array, dtype=np.float32))
    torch_model.load_state_dict(converted)


def minidl_classifier_step(
    model: Any, optimizer: Any, inputs: np.ndarray, labels: np.ndarray, backend_name: str
) -> Prepared:
    """One cross-entropy training step of ``model`` on a fixed batch, as ``minidl bench``
    times it (``minidl.bench.training_step``): zero_grad, forward, loss, backward, step."""
    loss_fn = mdl.nn.CrossEntropyLoss()
    x, y = minidl_tensor(inputs, backend_name), minidl_tensor(labels, backend_name)
    step = training_step(model, optimizer, loss_fn, x, y)
    with mdl.no_grad():
        check = loss_fn(model(x), y).item()
    return Prepared(step, minidl_synchronizer(backend_name), check)


def torch_classifier_step(
    model: Any, optimizer: Any, inputs: np.ndarray, labels: np.ndarray, device: str
) -> Prepared:
    """The same step in PyTorch, for ``model`` and ``optimizer`` already on ``device``."""
    import torch

    loss_fn = torch.nn.CrossEntropyLoss()
    x, y = torch_tensor(inputs, device), torch_tensor(labels, device)
    step = training_step(model, optimizer, loss_fn, x, y)  # the loop reads the same in both
    with torch.no_grad():
        check = loss_fn(model(x), y).item()
    return Prepared(step, torch_synchronizer(device), check)

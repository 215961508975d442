"""Keeping P replicas of a model equal: the data-parallel rule of FORMULAS T8.

    P replicas start from rank 0's weights          broadcast_parameters
    each rank computes g_r on its shard of the batch  (its own forward/backward)
    every replica applies ḡ = (1/P)·Σ_r g_r           allreduce_gradients
                                                      DistributedOptimizer = both + the rule

Because the loss is a mean over samples, the gradient of a batch of P·b samples is the
mean of the P gradients over b samples each; so P ranks with batch b take exactly the
steps of one process with batch P·b (docs/distributed.md).

Each function packs all of its tensors into one flat buffer per dtype (usually one in
all), makes one collective call on it and unpacks the result in place: a model of
dozens of small tensors costs one message, not dozens (Horovod's "tensor fusion",
ChainerMN's packed buffers).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from minidl.backend import backend_of
from minidl.distributed.communicator import Communicator, get_communicator
from minidl.tensor import Tensor

ParameterSource = Any  # a Module, {name: Tensor}, [(name, Tensor)], or [Tensor]


def broadcast_parameters(
    params: ParameterSource, root: int = 0, communicator: Communicator | None = None
) -> None:
    """Overwrite every rank's parameters with rank ``root``'s values (T8's common start).

    ``params``: a Module, a dict or list of (name, Tensor) pairs, or a list of Tensors;
    the same on every rank. First every rank's names, shapes and dtypes are compared; a
    difference raises the same ValueError on every rank (never a hang). Then rank
    ``root``'s values travel in one fused buffer per dtype and are written in place.
    """
    communicator = communicator or get_communicator()
    named = _named_tensors(params, "broadcast_parameters")
    _require_same_parameters(communicator, named, root)
    for group in _same_dtype_groups([tensor for _, tensor in named]):
        buffer = _pack([tensor.data for tensor in group])
        communicator.broadcast_(buffer, root, "broadcast_parameters")
        _unpack(buffer, [tensor.data for tensor in group])


def broadcast_optimizer_state(
    optimizer: Any, root: int = 0, communicator: Communicator | None = None
) -> None:
    """Give every rank rank ``root``'s optimizer state (velocities, moments, step counts)."""
    communicator = communicator or get_communicator()
    state = optimizer.state_dict() if communicator.rank == root else None
    state = communicator.broadcast_object(state, root, "broadcast_optimizer_state")
    if communicator.rank != root:
        optimizer.load_state_dict(state)


def allreduce_gradients(params: ParameterSource, communicator: Communicator | None = None) -> None:
    """Replace every rank's gradients by their mean over the ranks, ḡ = (1/P)·Σ_r g_r (T8).

    One Allreduce per dtype on a flat buffer: all the gradients, then one flag per
    parameter saying whether this rank has a gradient for it. A rank whose batch did
    not reach a parameter (``grad is None``) adds zeros; a parameter that no rank has a
    gradient for keeps ``grad = None``. The result is written into the existing
    gradient arrays.
    """
    communicator = communicator or get_communicator()
    tensors = [tensor for _, tensor in _named_tensors(params, "allreduce_gradients")]
    for group in _same_dtype_groups(tensors):
        xp, dtype = group[0].backend.xp, group[0].dtype
        grads = [
            xp.zeros(param.shape, dtype) if param.grad is None else param.grad for param in group
        ]
        has_grad = xp.asarray([param.grad is not None for param in group], dtype=dtype)
        buffer = _pack([*grads, has_grad])
        communicator.allreduce_sum_(buffer, "allreduce_gradients")
        buffer *= 1.0 / communicator.world_size  # T8: the mean over the P ranks
        ranks_with_grad = group[0].backend.to_host(buffer[-len(group) :])
        offset = 0
        for param, flag in zip(group, ranks_with_grad):
            mean = buffer[offset : offset + param.data.size].reshape(param.shape)
            offset += param.data.size
            if flag == 0:
                continue
            if param.grad is None:
                param.grad = mean.copy()
            else:
                param.grad[...] = mean


class DistributedOptimizer:
    """An optimizer whose ``step()`` first averages the gradients over the ranks (T8).

    ``DistributedOptimizer(optim.SGD(model.parameters(), lr=0.1))``. Building it is a
    collective: it broadcasts rank 0's parameters and optimizer state, so the replicas
    start equal (pass ``broadcast=False`` to skip that). ``step()`` is
    ``allreduce_gradients`` then the wrapped optimizer's own rule, unchanged. Every
    other attribute (``lr``, ``params``, ``state_dict()`` ...) is the wrapped
    optimizer's, so learning-rate schedulers and checkpoints work through it.
    """

    def __init__(
        self, optimizer: Any, communicator: Communicator | None = None, broadcast: bool = True
    ) -> None:
        if not callable(getattr(optimizer, "step", None)) or not hasattr(optimizer, "params"):
            raise TypeError(
                f"DistributedOptimizer expected a minidl optimizer (e.g. optim.SGD(...)), got "
                f"{type(optimizer).__name__}"
            )
        if isinstance(optimizer, DistributedOptimizer):
            raise TypeError("DistributedOptimizer: this optimizer is already distributed")
        object.__setattr__(self, "optimizer", optimizer)
        object.__setattr__(self, "communicator", communicator or get_communicator())
        if broadcast:
            broadcast_parameters(optimizer.params, 0, self.communicator)
            broadcast_optimizer_state(optimizer, 0, self.communicator)

    def step(self) -> None:
        allreduce_gradients(self.optimizer.params, self.communicator)
        self.optimizer.step()

    def zero_grad(self) -> None:
        self.optimizer.zero_grad()

    def state_dict(self) -> dict[str, Any]:
        return self.optimizer.state_dict()

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.optimizer.load_state_dict(state_dict)

    def __getattr__(self, name: str) -> Any:
        if name == "optimizer":  # not set yet (e.g. while unpickling)
            raise AttributeError(name)
        return getattr(self.optimizer, name)

    def __setattr__(self, name: str, value: Any) -> None:
        # The wrapped optimizer's own settings (a scheduler's lr) go to it; anything else,
        # such as a replaced step method, stays on this wrapper.
        if name in vars(self.optimizer):
            setattr(self.optimizer, name, value)
        else:
            object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        if name in vars(self):
            object.__delattr__(self, name)
        else:
            delattr(self.optimizer, name)

    def __repr__(self) -> str:
        return f"DistributedOptimizer({self.optimizer!r}, {self.communicator!r})"


# --------------------------------------------------------------------------- helpers


def _named_tensors(params: ParameterSource, caller: str) -> list[tuple[str, Tensor]]:
    """``params`` as a list of (name, Tensor); unnamed tensors are named by position."""
    if hasattr(params, "named_parameters"):
        pairs = list(params.named_parameters())
    elif isinstance(params, Mapping):
        pairs = list(params.items())
    elif isinstance(params, Tensor) or not isinstance(params, Iterable):
        raise TypeError(
            f"{caller} expected a Module or an iterable of tensors, got {type(params).__name__}"
        )
    else:
        items = list(params)
        pairs = [
            item if isinstance(item, tuple) and len(item) == 2 else (f"parameter {index}", item)
            for index, item in enumerate(items)
        ]
    for name, tensor in pairs:
        if not isinstance(tensor, Tensor):
            raise TypeError(f"{caller}: {name!r} is a {type(tensor).__name__}, not a Tensor")
    return pairs


def _require_same_parameters(
    communicator: Communicator, named: list[tuple[str, Tensor]], root: int
) -> None:
    """Raise the same ValueError on every rank unless all hold the same names/shapes/dtypes."""
    mine = [(name, tuple(tensor.shape), str(tensor.dtype)) for name, tensor in named]
    everyone = communicator.allgather_object(mine, "parameter check")
    expected = everyone[root]
    for rank, theirs in enumerate(everyone):
        if theirs == expected:
            continue
        if len(theirs) != len(expected):
            difference = (
                f"rank {rank} has {len(theirs)} parameters, rank {root} has {len(expected)}"
            )
        else:
            (name, shape, dtype), (root_name, root_shape, root_dtype) = next(
                pair for pair in zip(theirs, expected) if pair[0] != pair[1]
            )
            difference = (
                f"rank {rank} has {name!r} of shape {shape} {dtype}, rank {root} has "
                f"{root_name!r} of shape {root_shape} {root_dtype}"
            )
        raise ValueError(
            f"broadcast_parameters: the ranks hold different models: {difference}. Build "
            "the same model on every rank"
        )


def _same_dtype_groups(tensors: list[Tensor]) -> list[list[Tensor]]:
    """The tensors grouped by (backend, dtype), in order: one buffer per group."""
    groups: dict[tuple[str, str], list[Tensor]] = {}
    for tensor in tensors:
        groups.setdefault((tensor.backend.name, str(tensor.dtype)), []).append(tensor)
    return list(groups.values())


def _pack(arrays: list[Any]) -> Any:
    """One contiguous 1-D copy of all the arrays, end to end."""
    xp = backend_of(arrays[0]).xp
    dtype = arrays[0].dtype
    return xp.concatenate([array.ravel().astype(dtype, copy=False) for array in arrays])


def _unpack(buffer: Any, arrays: list[Any]) -> None:
    """Write consecutive pieces of ``buffer`` into ``arrays``, in place."""
    offset = 0
    for array in arrays:
        array[...] = buffer[offset : offset + array.size].reshape(array.shape)
        offset += array.size

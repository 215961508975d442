"""Module, Parameter and Sequential: how a network holds its weights.

A ``Module`` is an object whose attributes may be

- ``Parameter``s (tensors the optimizer updates),
- other ``Module``s (its children), or
- lists/tuples of those.

Nothing has to be registered: ``parameters()`` walks the attributes in the order they
were assigned in ``__init__`` (Python dicts keep insertion order), so a model reads
like plain Python::

    class MLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = nn.Linear(784, 128)
            self.fc2 = nn.Linear(128, 10)

        def forward(self, x):
            return self.fc2(F.relu(self.fc1(x)))

Parameter names are dotted attribute paths ("fc1.weight", "0.bias", "blocks.1.weight");
``state_dict()`` and ``load_state_dict()`` use them as keys.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import numpy as np

from minidl import backend as backends
from minidl.backend import Backend, backend_of
from minidl.errors import CheckpointError
from minidl.nn.summary import summary
from minidl.tensor import DEFAULT_FLOAT, Tensor

__all__ = ["Module", "Parameter", "Sequential", "summary"]


class Parameter(Tensor):
    """A tensor that is a weight of a Module: floating point, ``requires_grad=True``.

    ``Parameter(data)`` wraps an array without copying (like ``Tensor``); lists and
    integer data become float32, or ``dtype`` when given.
    """

    __slots__ = ()

    def __init__(self, data: Any, dtype: Any = None) -> None:
        if isinstance(data, Tensor):
            data = data.data
        super().__init__(data, dtype=dtype)
        if self.data.dtype.kind != "f":
            self.data = self.data.astype(DEFAULT_FLOAT)
        self.requires_grad = True

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


class Module:
    """Base class of every layer and model. Subclasses implement ``forward``.

    ``module(x)`` calls ``module.forward(x)``. ``training`` is True after ``train()``
    (the default) and False after ``eval()``; layers such as Dropout read it.
    """

    training: bool = True  # a class default, so a subclass that forgets super().__init__() works

    def __init__(self) -> None:
        self.training = True

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(
            f"{type(self).__name__} has no forward(); a Module subclass must define "
            "forward(self, x) to say what calling it computes"
        )

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    # ------------------------------------------------------------------ discovery
    def _attributes(self) -> Iterable[tuple[str, Any]]:
        """(name, value) of every attribute that may hold parameters or sub-modules."""
        return vars(self).items()

    def _own_members(self) -> Iterator[tuple[str, Any]]:
        """This module's Parameters and child Modules, lists/tuples unpacked as "name.i"."""
        for name, value in self._attributes():
            if isinstance(value, (Parameter, Module)):
                yield name, value
            elif isinstance(value, (list, tuple)):
                for index, item in enumerate(value):
                    if isinstance(item, (Parameter, Module)):
                        yield f"{name}.{index}", item

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """(name, module) of the direct sub-modules, in definition order."""
        for name, member in self._own_members():
            if isinstance(member, Module):
                yield name, member

    def children(self) -> Iterator[Module]:
        """The direct sub-modules, in definition order."""
        for _, child in self.named_children():
            yield child

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """(dotted name, module) of this module ("" for itself) and every descendant, once each."""
        seen: set[int] = set()
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            children = [
                (_join(name, child_name), child) for child_name, child in module.named_children()
            ]
            stack.extend(reversed(children))

    def modules(self) -> Iterator[Module]:
        """This module and every descendant, each once, parents before children."""
        for _, module in self.named_modules():
            yield module

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]:
        """(dotted name, parameter) for every parameter, in definition order.

        A parameter shared by two layers is listed once (under its first name), so an
        optimizer never updates it twice.
        """
        seen: set[int] = set()
        for name, parameter in self._walk_parameters(prefix):
            if id(parameter) not in seen:
                seen.add(id(parameter))
                yield name, parameter

    def _walk_parameters(self, prefix: str) -> Iterator[tuple[str, Parameter]]:
        for name, member in self._own_members():
            if isinstance(member, Parameter):
                yield _join(prefix, name), member
            else:
                yield from member._walk_parameters(_join(prefix, name))

    def parameters(self) -> Iterator[Parameter]:
        """Every parameter of this module and its descendants, in definition order."""
        for _, parameter in self.named_parameters():
            yield parameter

    def num_parameters(self) -> int:
        """How many numbers the parameters hold in total."""
        return sum(parameter.size for parameter in self.parameters())

    # ------------------------------------------------------------------ state
    def zero_grad(self) -> None:
        """Forget every parameter's gradient (each ``grad`` becomes None)."""
        for parameter in self.parameters():
            parameter.grad = None

    def train(self, mode: bool = True) -> Module:
        """Set ``training`` on this module and every descendant; returns self."""
        for module in self.modules():
            module.training = bool(mode)
        return self

    def eval(self) -> Module:
        """Evaluation mode (``training=False``: Dropout passes inputs through); returns self."""
        return self.train(False)

    def to(self, device: str | Backend) -> Module:
        """Move every parameter (and its gradient) to ``device`` in place; returns self.

        The Parameter objects stay the same (only their ``data`` and ``grad`` arrays are
        replaced), so an optimizer built before the move keeps working.
        """
        target = device if isinstance(device, Backend) else backends.get(device)
        for parameter in self.parameters():
            parameter.data = target.to_device(parameter.data)
            if parameter.grad is not None:
                parameter.grad = target.to_device(parameter.grad)
        return self

    def state_dict(self) -> dict[str, np.ndarray]:
        """{parameter name: a host NumPy copy of its values}, in definition order."""
        return {
            name: np.array(parameter.numpy(), copy=True)
            for name, parameter in self.named_parameters()
        }

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Copy values from ``state_dict`` into the parameters: strict and all-or-nothing.

        Every key must name a parameter, every parameter must have a key, and every
        value must be a numeric array (NumPy, CuPy or Tensor) of the parameter's shape.
        All of that is checked first; if anything is wrong, one CheckpointError lists
        every problem and no parameter is changed. Values are cast to each parameter's
        dtype and put on its device.
        """
        if not isinstance(state_dict, Mapping):
            raise CheckpointError(
                f"load_state_dict expected a dict of parameter name -> array (as made by "
                f"state_dict()), got {type(state_dict).__name__}"
            )
        parameters = dict(self.named_parameters())
        problems = _state_dict_problems(parameters, state_dict)
        if problems:
            raise CheckpointError(
                f"cannot load this state_dict into {type(self).__name__}; nothing was "
                "changed:\n  - " + "\n  - ".join(problems)
            )
        # Build every new array before touching any parameter, so that a failure while
        # converting (e.g. out of device memory) still leaves the model as it was.
        # The values are copied (astype), so the model never shares memory with them.
        staged = {}
        for name, parameter in parameters.items():
            value = state_dict[name]
            value = value.data if isinstance(value, Tensor) else value
            host = backend_of(value).to_host(value).astype(parameter.dtype)
            staged[name] = parameter.backend.to_device(host)
        for name, parameter in parameters.items():
            parameter.data = staged[name]

    # ------------------------------------------------------------------ display
    def summary(self, input_shape: tuple[int, ...]) -> str:
        """A table of the layers, their output shapes and parameter counts (see ``nn.summary``)."""
        return summary(self, input_shape)

    def extra_repr(self) -> str:
        """The settings shown inside ``Name(...)`` in repr; layers override it."""
        return ""

    def __repr__(self) -> str:
        children = list(self.named_children())
        if not children:
            return f"{type(self).__name__}({self.extra_repr()})"
        lines = [f"{type(self).__name__}("]
        if self.extra_repr():
            lines.append("  " + self.extra_repr())
        for name, child in children:
            child_text = repr(child).replace("\n", "\n  ")
            lines.append(f"  ({name}): {child_text}")
        lines.append(")")
        return "\n".join(lines)


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _is_numeric_array(value: Any) -> bool:
    if isinstance(value, Tensor):
        value = value.data
    is_array = isinstance(value, np.ndarray) or any(
        backend.is_array(value) for backend in backends.built()
    )
    return is_array and getattr(value, "dtype", np.dtype(object)).kind in "iuf"


def _state_dict_problems(
    parameters: dict[str, Parameter], state_dict: Mapping[str, Any]
) -> list[str]:
    """Every way ``state_dict`` does not fit ``parameters``, as readable lines."""
    problems = []
    missing = [name for name in parameters if name not in state_dict]
    unexpected = [repr(key) for key in state_dict if key not in parameters]
    if missing:
        problems.append(
            f"missing keys (the model has them, the state_dict does not): {', '.join(missing)}"
        )
    if unexpected:
        problems.append(
            f"unexpected keys (the model has no such parameter): {', '.join(unexpected)}"
        )
    for name, parameter in parameters.items():
        if name not in state_dict:
            continue
        value = state_dict[name]
        if not _is_numeric_array(value):
            kind = getattr(value, "dtype", type(value).__name__)
            problems.append(f"{name}: expected a numeric array, got {kind}")
        elif tuple(value.shape) != parameter.shape:
            problems.append(
                f"{name}: expected shape {parameter.shape} (the model's), got {tuple(value.shape)}"
            )
    if missing and unexpected:
        problems.append(
            "the keys differ on both sides: this checkpoint was probably saved from a "
            "different architecture (compare print(model) with the one that saved it)"
        )
    return problems


# ---------------------------------------------------------------------------- Sequential


class Sequential(Module):
    """Layers applied one after the other: ``Sequential(a, b, c)(x) = c(b(a(x)))``.

    Indexable like a list (``model[0]``, ``model[-1]``, ``model[1:3]`` gives a new
    Sequential sharing the layers), with ``len``, iteration and ``append``. Parameter
    names start with the layer's position: "0.weight", "2.bias".
    """

    def __init__(self, *layers: Module) -> None:
        super().__init__()
        self._layers: list[Module] = []
        for layer in layers:
            self.append(layer)

    def _attributes(self) -> Iterable[tuple[str, Any]]:
        return ((str(index), layer) for index, layer in enumerate(self._layers))

    def append(self, layer: Module) -> Sequential:
        """Add ``layer`` at the end; returns self."""
        if not isinstance(layer, Module):
            hint = ""
            if callable(layer):
                hint = "; wrap a function in a layer, e.g. nn.ReLU() instead of F.relu"
            raise TypeError(
                f"Sequential expects Module layers, got {type(layer).__name__} "
                f"at position {len(self._layers)}{hint}"
            )
        self._layers.append(layer)
        return self

    def forward(self, x: Any) -> Any:
        for layer in self._layers:
            x = layer(x)
        return x

    def __getitem__(self, index: int | slice) -> Module:
        if isinstance(index, slice):
            return Sequential(*self._layers[index])
        try:
            return self._layers[index]
        except IndexError:
            raise IndexError(
                f"Sequential index {index} is out of range: it has {len(self._layers)} layers "
                f"(valid indices {-len(self._layers)} to {len(self._layers) - 1})"
            ) from None

    def __len__(self) -> int:
        return len(self._layers)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._layers)

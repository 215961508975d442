"""Making tensors, and functions of several tensors, under PyTorch's names.

    mdl.zeros(2, 3)   mdl.ones((2, 3))   mdl.full((2, 3), 7.0)   mdl.eye(3)
    mdl.arange(5)     mdl.randn(2, 3)    mdl.rand(2, 3)          mdl.zeros_like(t)
    mdl.from_numpy(a)                    # shares a's memory, like torch.from_numpy
    mdl.cat([a, b], axis=0)   mdl.stack([a, b])   mdl.where(a > 0, a, b)
    mdl.maximum(a, b)         mdl.minimum(a, b)

Floating tensors are float32 unless a dtype says otherwise; integer ranges are int64, as
in PyTorch. New tensors go on the current backend (``device=`` picks another); random
ones are drawn from the host generator ``minidl.manual_seed`` seeds, so a seed gives the
same numbers on every backend.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from minidl import backend as backends
from minidl import random
from minidl.ops.combine import Cat, Maximum, Minimum, Where
from minidl.ops.shape import Stack
from minidl.tensor import DEFAULT_FLOAT, Tensor, tensor

# --------------------------------------------------------------------------- creation


def zeros(
    *shape: Any, dtype: Any = None, requires_grad: bool = False, device: str | None = None
) -> Tensor:
    """A tensor of zeros: ``zeros(2, 3)`` or ``zeros((2, 3))``; float32 by default."""
    return _filled("zeros", shape, 0, dtype or DEFAULT_FLOAT, requires_grad, device)


def ones(
    *shape: Any, dtype: Any = None, requires_grad: bool = False, device: str | None = None
) -> Tensor:
    """A tensor of ones: ``ones(2, 3)`` or ``ones((2, 3))``; float32 by default."""
    return _filled("ones", shape, 1, dtype or DEFAULT_FLOAT, requires_grad, device)


def full(
    shape: Any,
    value: Any,
    dtype: Any = None,
    requires_grad: bool = False,
    device: str | None = None,
) -> Tensor:
    """A tensor of ``shape`` filled with ``value``. The dtype follows the value when none
    is given, as in PyTorch: bool, int64 for an int, float32 for a float."""
    if dtype is None:
        dtype = _dtype_of_number("full", value)
    return _filled("full", (shape,), value, dtype, requires_grad, device)


def zeros_like(tensor: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Zeros of ``tensor``'s shape, dtype (unless given) and device."""
    return _like("zeros_like", tensor, 0, dtype, requires_grad)


def ones_like(tensor: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Ones of ``tensor``'s shape, dtype (unless given) and device."""
    return _like("ones_like", tensor, 1, dtype, requires_grad)


def arange(
    start: Any, stop: Any = None, step: Any = 1, dtype: Any = None, device: str | None = None
) -> Tensor:
    """Numbers from ``start`` up to (not including) ``stop`` in steps of ``step``;
    ``arange(n)`` is 0, 1, ..., n − 1. int64 when all three are ints, else float32."""
    if stop is None:
        start, stop = 0, start
    for name, value in (("start", start), ("stop", stop), ("step", step)):
        _dtype_of_number("arange", value, name)
    if step == 0:
        raise ValueError("arange: step must not be 0")
    if dtype is None:
        integral = all(isinstance(v, numbers.Integral) for v in (start, stop, step))
        dtype = np.int64 if integral else DEFAULT_FLOAT
    count = max(int(np.ceil((stop - start) / step)), 0)
    values = start + np.arange(count, dtype=np.float64) * step  # exact for ints < 2**53
    return _on_device(values.astype(dtype), device)


def eye(n: int, m: int | None = None, dtype: Any = None, device: str | None = None) -> Tensor:
    """The n×m identity (m defaults to n): ones on the diagonal, float32 by default."""
    m = n if m is None else m
    for name, size in (("n", n), ("m", m)):
        if isinstance(size, bool) or not isinstance(size, numbers.Integral) or size < 0:
            raise ValueError(f"eye: {name} must be a non-negative int, got {size!r}")
    return _on_device(np.eye(n, m, dtype=dtype or DEFAULT_FLOAT), device)


def randn(
    *shape: Any, dtype: Any = None, requires_grad: bool = False, device: str | None = None
) -> Tensor:
    """Samples of the standard normal distribution N(0, 1); float32 by default."""
    size = _shape("randn", shape)
    values = random.host_rng().standard_normal(size).astype(dtype or DEFAULT_FLOAT)
    return _on_device(values, device, requires_grad)


def rand(
    *shape: Any, dtype: Any = None, requires_grad: bool = False, device: str | None = None
) -> Tensor:
    """Samples of the uniform distribution on [0, 1); float32 by default."""
    size = _shape("rand", shape)
    values = random.host_rng().random(size).astype(dtype or DEFAULT_FLOAT)
    return _on_device(values, device, requires_grad)


def from_numpy(array: np.ndarray) -> Tensor:
    """A host tensor that shares ``array``'s memory (changing one changes the other) and
    keeps its dtype, float64 included, like ``torch.from_numpy``."""
    if not isinstance(array, np.ndarray):
        raise TypeError(
            f"from_numpy expected a numpy.ndarray, got {type(array).__name__}; "
            "use minidl.tensor(data) for lists and other data"
        )
    if array.dtype.kind not in "biuf":
        raise TypeError(f"from_numpy expected a numeric array, got dtype {array.dtype}")
    return Tensor(array)


# --------------------------------------------------------------------------- several tensors


def cat(tensors: Sequence[Tensor], axis: int = 0) -> Tensor:
    """Join tensors along an existing ``axis`` (their other axes must match)."""
    tensors = _tensor_list("cat", tensors)
    first = tensors[0]
    if first.ndim == 0:
        raise ValueError("cat needs tensors with at least one axis, got a 0-d tensor; use stack")
    _check_axis("cat", axis, first.ndim)
    along = axis % first.ndim
    for t in tensors[1:]:
        if t.ndim != first.ndim or any(
            a != b for i, (a, b) in enumerate(zip(t.shape, first.shape)) if i != along
        ):
            raise ValueError(
                f"cat along axis {axis} needs the same size on every other axis, got shapes "
                f"{', '.join(str(x.shape) for x in tensors)}"
            )
    return Cat.apply(*tensors, axis=along)


def stack(tensors: Sequence[Tensor], axis: int = 0) -> Tensor:
    """Join tensors of one shape along a new ``axis``."""
    tensors = _tensor_list("stack", tensors)
    _check_axis("stack", axis, tensors[0].ndim + 1)
    if any(t.shape != tensors[0].shape for t in tensors):
        raise ValueError(
            f"stack needs tensors of one shape, got {', '.join(str(t.shape) for t in tensors)}"
        )
    return Stack.apply(*tensors, axis=axis)


def where(condition: Any, a: Any, b: Any) -> Tensor:
    """``a`` where ``condition`` is true, ``b`` elsewhere (all three broadcast together).
    Gradients flow to a and b, each where it was chosen."""
    condition = condition if isinstance(condition, Tensor) else Tensor(condition)
    if condition.dtype != np.bool_:
        raise TypeError(
            f"where expected a bool condition (e.g. x > 0), got dtype {condition.dtype}"
        )
    a, b = _operands(a, b, condition)
    return Where.apply(condition, a, b)


def maximum(a: Any, b: Any) -> Tensor:
    """The larger of a and b, elementwise (broadcast); a tie shares the gradient ½–½."""
    return Maximum.apply(*_operands(a, b))


def minimum(a: Any, b: Any) -> Tensor:
    """The smaller of a and b, elementwise (broadcast); a tie shares the gradient ½–½."""
    return Minimum.apply(*_operands(a, b))


# --------------------------------------------------------------------------- helpers


def _shape(function: str, shape: tuple[Any, ...]) -> tuple[int, ...]:
    """``(2, 3)`` from ``f(2, 3)`` or ``f((2, 3))``; every size a non-negative int."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    for size in shape:
        if isinstance(size, bool) or not isinstance(size, numbers.Integral):
            raise TypeError(f"{function} expected sizes that are ints, got {shape!r}")
        if size < 0:
            raise ValueError(f"{function} got a negative size in shape {shape!r}")
    return tuple(int(size) for size in shape)


def _dtype_of_number(function: str, value: Any, name: str = "value") -> Any:
    if isinstance(value, (bool, np.bool_)):
        return np.bool_
    if isinstance(value, numbers.Integral):
        return np.int64
    if isinstance(value, numbers.Real):
        return DEFAULT_FLOAT
    raise TypeError(f"{function} expected a number for {name}, got {type(value).__name__}")


def _on_device(array: np.ndarray, device: str | None, requires_grad: bool = False) -> Tensor:
    target = backends.get(device) if device is not None else backends.get_backend()
    return Tensor(target.asarray(array), requires_grad=requires_grad)


def _filled(function, shape, value, dtype, requires_grad, device) -> Tensor:
    size = _shape(function, shape)
    return _on_device(np.full(size, value, dtype=dtype), device, requires_grad)


def _like(function: str, tensor: Tensor, value: Any, dtype: Any, requires_grad: bool) -> Tensor:
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{function} expected a Tensor, got {type(tensor).__name__}")
    xp = tensor.backend.xp
    data = xp.full(tensor.shape, value, dtype=dtype or tensor.dtype)
    return Tensor(data, requires_grad=requires_grad)


def _tensor_list(function: str, tensors: Any) -> list[Tensor]:
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)) or not tensors:
        raise TypeError(
            f"{function} expected a non-empty list or tuple of tensors, e.g. "
            f"{function}([a, b]), got {type(tensors).__name__}"
        )
    return [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]


def _check_axis(function: str, axis: Any, ndim: int) -> None:
    if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
        raise TypeError(f"{function} expected an int axis, got {axis!r}")
    if not -ndim <= axis < ndim:
        raise ValueError(f"{function}: axis {axis} is out of range for {ndim} axes")


def _operands(a: Any, b: Any, condition: Tensor | None = None) -> tuple[Any, Any]:
    """Tensors stay tensors and Python numbers stay numbers (constants that take the other
    operand's dtype); lists and arrays become tensors on the device of a tensor operand."""
    like = next((x for x in (a, b, condition) if isinstance(x, Tensor)), None)
    device = like.device if like is not None else None

    def operand(value: Any) -> Any:
        if isinstance(value, Tensor) or type(value) in (int, float, bool):
            return value
        return tensor(value, device=device)

    a, b = operand(a), operand(b)
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        a = tensor(a, device=device)
    return a, b

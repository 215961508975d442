"""Differentiable primitives: each op's forward and backward in one small class.

    arithmetic.py  + - * / ** neg @
    elementwise.py exp log sqrt abs clip
    reduction.py   sum mean max
    shape.py       reshape transpose getitem

The functions below are what ``Tensor``'s operators and methods call. They turn Python
numbers and arrays into tensors on the other operand's device, then apply the op.
"""

from __future__ import annotations

from typing import Any

from minidl.ops._convert import as_array, as_tensor
from minidl.ops.arithmetic import Add, Div, MatMul, Mul, Neg, Pow, Sub
from minidl.ops.elementwise import Abs, Clip, Exp, Log, Sqrt
from minidl.ops.reduction import Max, Mean, Sum
from minidl.ops.shape import GetItem, Reshape, Transpose
from minidl.tensor import Tensor

__all__ = [
    "abs", "add", "as_array", "as_tensor", "clip", "div", "exp", "getitem", "log",
    "matmul", "max", "mean", "mul", "neg", "pow", "reshape", "sqrt", "sub", "sum",
    "transpose",
]  # fmt: skip


def _operand(value: Any, like: Tensor) -> Tensor | int | float:
    """The other operand of a binary op: Python numbers go into the op as they are
    (constants that keep ``like``'s dtype); arrays and lists become tensors."""
    if isinstance(value, Tensor) or type(value) is float or type(value) is int:
        return value
    return as_tensor(value, like)


def _pair(a: Any, b: Any) -> tuple[Any, Any]:
    if isinstance(a, Tensor):
        return a, _operand(b, a)
    return _operand(a, b), b


def add(a: Any, b: Any) -> Tensor:
    return Add.apply(*_pair(a, b))


def sub(a: Any, b: Any) -> Tensor:
    return Sub.apply(*_pair(a, b))


def mul(a: Any, b: Any) -> Tensor:
    return Mul.apply(*_pair(a, b))


def div(a: Any, b: Any) -> Tensor:
    return Div.apply(*_pair(a, b))


def pow(base: Any, exponent: Any) -> Tensor:
    return Pow.apply(*_pair(base, exponent))


def matmul(a: Any, b: Any) -> Tensor:
    if isinstance(a, Tensor):
        return MatMul.apply(a, as_tensor(b, a))
    return MatMul.apply(as_tensor(a, b), b)


def neg(x: Tensor) -> Tensor:
    return Neg.apply(x)


def exp(x: Tensor) -> Tensor:
    return Exp.apply(x)


def log(x: Tensor) -> Tensor:
    return Log.apply(x)


def sqrt(x: Tensor) -> Tensor:
    return Sqrt.apply(x)


def abs(x: Tensor) -> Tensor:
    return Abs.apply(x)


def clip(x: Tensor, min: Any = None, max: Any = None) -> Tensor:
    if min is None and max is None:
        raise ValueError("clip() needs at least one of min and max")
    return Clip.apply(x, low=min, high=max)


def sum(x: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:
    return Sum.apply(x, axis=axis, keepdims=keepdims)


def mean(x: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:
    return Mean.apply(x, axis=axis, keepdims=keepdims)


def max(x: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:
    return Max.apply(x, axis=axis, keepdims=keepdims)


def reshape(x: Tensor, shape: tuple[int, ...]) -> Tensor:
    return Reshape.apply(x, shape=tuple(shape))


def transpose(x: Tensor, axes: tuple[int, ...] | None = None) -> Tensor:
    return Transpose.apply(x, axes=axes)


def getitem(x: Tensor, index: Any) -> Tensor:
    return GetItem.apply(x, index=index)

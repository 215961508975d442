"""The Tensor: an array on some backend, plus what autograd needs to know about it.

A tensor holds

- ``data``: the array (``numpy.ndarray`` or ``cupy.ndarray``);
- ``requires_grad``: whether gradients should flow back to it;
- ``grad``: after ``backward()``, ∂L/∂tensor as an array of the same shape (leaves, and
  intermediates that asked with ``retain_grad()``);
- ``grad_fn``: the Function that computed it (``None`` for leaves made by the user).

Its operators (``+ - * / @ ** -``) and methods (``sum``, ``exp``, ``reshape``, ...) apply
the ops of ``minidl.ops``, where each op's forward and backward live, on plain arrays.
The layers below this module are ``autograd`` (``Function``, ``backward``) and ``ops``;
this module imports both and neither imports it. ``Function.apply`` learns the Tensor
class from ``autograd.bind_tensor_class`` at the end of this module.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

import numpy as np

from minidl import autograd
from minidl import backend as backends
from minidl.autograd import DEFAULT_FLOAT, Function
from minidl.backend import Backend, backend_of
from minidl.errors import GraphFreedError
from minidl.ops.arithmetic import Add, Div, MatMul, Mul, Neg, Pow, Sub
from minidl.ops.elementwise import Abs, Clip, Exp, Log, Sqrt
from minidl.ops.reduction import LogSumExp, Max, Mean, Min, Sum, Var
from minidl.ops.shape import GetItem, Reshape, Transpose


class Tensor:
    """An n-dimensional array that records the ops made from it, for ``backward()``.

    ``Tensor(data)`` wraps ``data`` without copying when it already is an array of a
    backend (it stays on that backend); lists, scalars and other host data are put on the
    current backend (``minidl.set_backend``). Python floats become float32; an array's
    own dtype (float64 included) is kept. Use ``minidl.tensor(...)`` for a copy.
    """

    __slots__ = ("data", "grad", "requires_grad", "grad_fn", "_hooks", "__weakref__")
    __array_ufunc__ = None  # numpy_scalar * tensor defers to Tensor.__rmul__

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None) -> None:
        if isinstance(data, Tensor):
            data = data.data
        backend = backend_of(data)
        if backend.name == "numpy" and not isinstance(data, np.ndarray):
            data = _host_to_array(data, dtype)
            backend = backends.get_backend()
            if backend.name != "numpy":
                data = backend.asarray(data)
        elif dtype is not None and data.dtype != np.dtype(dtype):
            data = data.astype(dtype)
        _require_real(data, data)
        self.data = data
        self.grad: Any = None
        self.grad_fn: Function | None = None
        self._hooks: list | None = None  # a leaf's gradient hooks (an op's live on the op)
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _from_op(cls, data: Any) -> Tensor:
        """Fast constructor for an op's output array (skips the checks of ``__init__``)."""
        self = object.__new__(cls)
        self.data = data
        self.grad = None
        self.grad_fn = None
        self._hooks = None
        self.requires_grad = False
        return self

    # ------------------------------------------------------------------ properties
    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def size(self) -> int:
        """Number of elements."""
        return self.data.size

    @property
    def backend(self) -> Backend:
        """The Backend object this tensor's array lives on."""
        return backend_of(self.data)

    @property
    def device(self) -> str:
        """The name of the backend this tensor lives on: "numpy" or "cupy"."""
        return self.backend.name

    @property
    def is_leaf(self) -> bool:
        """True for tensors the user made (not computed by a recorded op)."""
        return self.grad_fn is None

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        """``np.asarray(x)`` for a host tensor (its array itself, not a copy). A device
        tensor refuses, as a CuPy array does: call ``x.numpy()`` to copy it to the host."""
        if not isinstance(self.data, np.ndarray):
            raise TypeError(
                f"np.asarray() of a tensor on {self.device!r} would copy it to the host "
                "silently; call x.numpy() for that"
            )
        if copy:
            return np.array(self.data, dtype=dtype, copy=True)
        return self.data if dtype is None else self.data.astype(dtype, copy=False)

    def __getattr__(self, name: str) -> Any:
        # Only reached for a name the class does not have: a PyTorch habit gets a pointer.
        hint = _PYTORCH_NAMES.get(name)
        if hint is None:
            raise AttributeError(f"'Tensor' object has no attribute {name!r}")
        raise AttributeError(f"Tensor has no {name}() (PyTorch's name); {hint}")

    @property
    def T(self) -> Tensor:
        """The transpose (all axes reversed)."""
        return Transpose.apply(self, axes=None)

    # ------------------------------------------------------------------ autograd
    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set ``requires_grad`` in place; only floating-point tensors can have gradients."""
        if requires_grad and self.data.dtype.kind != "f":
            raise TypeError(
                f"only floating-point tensors can require gradients, but this tensor has "
                f"dtype {self.data.dtype}; make it float first, e.g. "
                f"minidl.tensor(data, dtype='float32')"
            )
        self.requires_grad = bool(requires_grad)
        return self

    def backward(self, grad: Any = None, retain_graph: bool = False) -> None:
        """Compute ∂self/∂leaf for every leaf that requires grad, adding into ``leaf.grad``.

        ``grad`` defaults to 1 and may be omitted only for a one-element tensor.
        The graph's saved arrays are freed afterwards unless ``retain_graph=True``.
        """
        autograd.backward(self, grad, retain_graph=retain_graph)

    def retain_grad(self) -> None:
        """Keep this tensor's gradient in ``.grad`` after ``backward()``, also when it is
        an intermediate result (a leaf keeps its gradient anyway).

        autograd's graph links ops, not tensors, so an intermediate's gradient normally
        passes through on its way to the leaves and is gone; this stores a copy of it
        (added up over several ``backward()`` calls, like a leaf's).
        """
        node = self._graph_node("retain_grad()")
        if node is not None:
            node.retained = weakref.ref(self)  # weak: retaining never keeps a tensor alive

    @property
    def retains_grad(self) -> bool:
        """Whether ``retain_grad()`` was called on this intermediate tensor."""
        node = self.grad_fn
        return node is not None and node.retained is not None

    def register_hook(self, hook: Callable[[Any], Any]) -> HookHandle:
        """Call ``hook(grad)`` when this tensor's gradient ∂L/∂self has been computed.

        ``grad`` is the array (the same type as ``.grad``). The hook may return a new
        array of the same shape, which replaces the gradient for the rest of
        ``backward()``, or ``None`` to leave it as it is; it must not change ``grad`` in
        place. Hooks run in the order they were registered, before the gradient reaches
        a leaf's ``.grad`` or a ``retain_grad()`` copy. Returns a handle whose
        ``remove()`` takes the hook away.
        """
        if not callable(hook):
            raise TypeError(f"register_hook() needs a callable hook(grad), got {hook!r}")
        node = self._graph_node("register_hook()")
        if node is None:
            if self._hooks is None:
                self._hooks = []
            hooks = self._hooks
        else:
            if not node.hooks:
                node.hooks = []
            hooks = node.hooks
        hooks.append(hook)
        return HookHandle(hooks, hook)

    def _graph_node(self, what: str) -> Function | None:
        """The op that computed this tensor (None for a leaf), checked for ``what``."""
        if not self.requires_grad:
            raise RuntimeError(
                f"{what} on a tensor that does not require grad: no gradient will be "
                "computed for it; make a leaf with requires_grad=True, or compute it from one"
            )
        node = self.grad_fn
        if node is not None and node.released:
            raise GraphFreedError(
                f"{what} on a tensor whose graph was freed by backward(); call it before "
                "backward(), or keep the graph with backward(retain_graph=True)"
            )
        return node

    def detach(self) -> Tensor:
        """The same data (shared, not copied) as a new leaf that records nothing."""
        return Tensor(self.data)

    def zero_grad(self) -> None:
        """Forget the accumulated gradient (``grad`` becomes None)."""
        self.grad = None

    # ------------------------------------------------------------------ conversions
    def numpy(self) -> np.ndarray:
        """The data as a host ``numpy.ndarray`` (copied from the GPU when needed)."""
        return self.backend.to_host(self.data)

    def item(self) -> float | int | bool:
        """The value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise ValueError(
                f"item() needs a one-element tensor, got shape {self.shape}; "
                "index or reduce it first"
            )
        return self.numpy().reshape(()).item()

    def tolist(self) -> Any:
        return self.numpy().tolist()

    def to(self, device: str | Backend) -> Tensor:
        """This tensor on ``device`` ("numpy" or "cupy"); itself when already there.

        The result is a new leaf, like ``detach()``: use it before building the graph.
        """
        target = device if isinstance(device, Backend) else backends.get(device)
        if target is self.backend:
            return self
        moved = Tensor(target.to_device(self.data), requires_grad=self.requires_grad)
        if self.grad is not None:
            moved.grad = target.to_device(self.grad)
        return moved

    def astype(self, dtype: Any) -> Tensor:
        """A copy with another dtype (records no graph)."""
        return Tensor(self.data.astype(dtype))

    def float(self) -> Tensor:
        return self.astype(np.float32)

    def double(self) -> Tensor:
        return self.astype(np.float64)

    # ------------------------------------------------------------------ operators
    def __add__(self, other: Any) -> Tensor:
        return Add.apply(self, _operand(other, self))

    def __radd__(self, other: Any) -> Tensor:
        return Add.apply(_operand(other, self), self)

    def __sub__(self, other: Any) -> Tensor:
        return Sub.apply(self, _operand(other, self))

    def __rsub__(self, other: Any) -> Tensor:
        return Sub.apply(_operand(other, self), self)

    def __mul__(self, other: Any) -> Tensor:
        return Mul.apply(self, _operand(other, self))

    def __rmul__(self, other: Any) -> Tensor:
        return Mul.apply(_operand(other, self), self)

    def __truediv__(self, other: Any) -> Tensor:
        return Div.apply(self, _operand(other, self))

    def __rtruediv__(self, other: Any) -> Tensor:
        return Div.apply(_operand(other, self), self)

    def __matmul__(self, other: Any) -> Tensor:
        return MatMul.apply(self, as_tensor(other, self))

    def __rmatmul__(self, other: Any) -> Tensor:
        return MatMul.apply(as_tensor(other, self), self)

    def __pow__(self, exponent: Any) -> Tensor:
        return Pow.apply(self, _operand(exponent, self))

    def __rpow__(self, base: Any) -> Tensor:
        return Pow.apply(_operand(base, self), self)

    def __neg__(self) -> Tensor:
        return Neg.apply(self)

    def __getitem__(self, index: Any) -> Tensor:
        return GetItem.apply(self, index=index)

    # Comparisons give boolean tensors and record no graph (they have no gradient).
    def __lt__(self, other: Any) -> Tensor:
        return Tensor(self.data < as_array(other, self))

    def __le__(self, other: Any) -> Tensor:
        return Tensor(self.data <= as_array(other, self))

    def __gt__(self, other: Any) -> Tensor:
        return Tensor(self.data > as_array(other, self))

    def __ge__(self, other: Any) -> Tensor:
        return Tensor(self.data >= as_array(other, self))

    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return Tensor(self.data == as_array(other, self))

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return Tensor(self.data != as_array(other, self))

    __hash__ = object.__hash__  # tensors are used as dict keys by identity, like PyTorch

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise ValueError(
                f"the truth value of a tensor with {self.data.size} elements is ambiguous; "
                "use .any() or .all() on .numpy()"
            )
        return bool(self.item())

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    # ------------------------------------------------------------------ methods
    # Reductions take NumPy's names (axis, keepdims); PyTorch's dim/keepdim get a pointer.
    def sum(self, axis: Any = None, keepdims: bool = False, **pytorch: Any) -> Tensor:
        _no_pytorch_keywords("sum", pytorch)
        return Sum.apply(self, axis=axis, keepdims=keepdims)

    def mean(self, axis: Any = None, keepdims: bool = False, **pytorch: Any) -> Tensor:
        _no_pytorch_keywords("mean", pytorch)
        return Mean.apply(self, axis=axis, keepdims=keepdims)

    def max(self, axis: Any = None, keepdims: bool = False, **pytorch: Any) -> Tensor:
        """The largest value over ``axis`` (all axes by default); ties share the gradient.
        PyTorch's ``max(dim)`` also returns the indices: use ``argmax(axis)`` for those."""
        _no_pytorch_keywords("max", pytorch)
        return Max.apply(self, axis=axis, keepdims=keepdims)

    def min(self, axis: Any = None, keepdims: bool = False, **pytorch: Any) -> Tensor:
        """The smallest value over ``axis`` (all axes by default); ties share the gradient."""
        _no_pytorch_keywords("min", pytorch)
        return Min.apply(self, axis=axis, keepdims=keepdims)

    def argmax(self, axis: int | None = None, keepdims: bool = False, **pytorch: Any) -> Tensor:
        """Index of the largest value (the first of ties) over ``axis``, or in the
        flattened tensor; int64, no gradient."""
        _no_pytorch_keywords("argmax", pytorch)
        return Tensor(self.data.argmax(axis=axis, keepdims=keepdims))

    def argmin(self, axis: int | None = None, keepdims: bool = False, **pytorch: Any) -> Tensor:
        """Index of the smallest value (the first of ties); int64, no gradient."""
        _no_pytorch_keywords("argmin", pytorch)
        return Tensor(self.data.argmin(axis=axis, keepdims=keepdims))

    def logsumexp(self, axis: Any = None, keepdims: bool = False, **pytorch: Any) -> Tensor:
        """log Σ eˣ over ``axis``, stable for large x; its gradient is softmax(x)."""
        _no_pytorch_keywords("logsumexp", pytorch)
        return LogSumExp.apply(self, axis=axis, keepdims=keepdims)

    def var(
        self, axis: Any = None, keepdims: bool = False, correction: int = 1, **pytorch: Any
    ) -> Tensor:
        """Variance Σ(x − x̄)²/(n − correction) over ``axis``: Bessel's correction 1 by
        default, as in PyTorch (NumPy's default is 0); correction=0 for the population."""
        _no_pytorch_keywords("var", pytorch)
        return Var.apply(self, axis=axis, keepdims=keepdims, correction=correction)

    def std(
        self, axis: Any = None, keepdims: bool = False, correction: int = 1, **pytorch: Any
    ) -> Tensor:
        """Standard deviation √var (same ``correction`` as ``var``)."""
        _no_pytorch_keywords("std", pytorch)
        return Sqrt.apply(Var.apply(self, axis=axis, keepdims=keepdims, correction=correction))

    def reshape(self, *shape: Any) -> Tensor:
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return Reshape.apply(self, shape=tuple(shape))

    def permute(self, *axes: Any) -> Tensor:
        """The axes in a new order: ``x.permute(2, 0, 1)`` puts axis 2 first."""
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        if len(axes) != self.ndim:
            raise ValueError(
                f"permute needs an order of all {self.ndim} axes of shape {self.shape}, got {axes}"
            )
        return Transpose.apply(self, axes=tuple(axes))

    def transpose(self, *axes: Any) -> Tensor:
        """``x.transpose(a, b)`` swaps axes a and b, as in PyTorch; ``x.transpose()``
        reverses all axes, like ``x.T``. For any other order, use ``x.permute``."""
        if not axes:
            return Transpose.apply(self, axes=None)
        if len(axes) != 2 or not all(isinstance(a, (int, np.integer)) for a in axes):
            raise TypeError(
                f"transpose(a, b) swaps two axes (PyTorch's meaning), got transpose"
                f"{axes if len(axes) != 1 else '(' + repr(axes[0]) + ')'}; for a full order "
                f"of the axes use x.permute(...), e.g. x.permute(0, 3, 1, 2)"
            )
        order = list(range(self.ndim))
        for a in axes:
            if not -self.ndim <= a < self.ndim:
                raise ValueError(f"transpose: axis {a} is out of range for shape {self.shape}")
        first, second = axes[0] % self.ndim, axes[1] % self.ndim
        order[first], order[second] = order[second], order[first]
        return Transpose.apply(self, axes=tuple(order))

    def exp(self) -> Tensor:
        return Exp.apply(self)

    def log(self) -> Tensor:
        return Log.apply(self)

    def sqrt(self) -> Tensor:
        return Sqrt.apply(self)

    def abs(self) -> Tensor:
        return Abs.apply(self)

    def clip(self, min: Any = None, max: Any = None) -> Tensor:
        if min is None and max is None:
            raise ValueError("clip() needs at least one of min and max")
        return Clip.apply(self, low=min, high=max)

    def __repr__(self) -> str:
        body = np.array2string(self.numpy(), separator=", ", prefix="tensor(", precision=4)
        extras = []
        if self.data.dtype != DEFAULT_FLOAT:
            extras.append(f"dtype={self.data.dtype}")
        if self.device != "numpy":
            extras.append(f"device={self.device!r}")
        if self.grad_fn is not None and not self.grad_fn.released:
            extras.append(f"grad_fn={type(self.grad_fn).__name__}")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + ", ".join([body, *extras]) + ")"


class HookHandle:
    """What ``register_hook`` returns: ``handle.remove()`` takes the hook away."""

    def __init__(self, hooks: list, hook: Callable[[Any], Any]) -> None:
        self._hooks, self._hook = hooks, hook

    def remove(self) -> None:
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


def _host_to_array(data: Any, dtype: Any) -> np.ndarray:
    """Host data (lists, scalars) as a NumPy array; Python floats become float32."""
    if dtype is not None:
        return np.asarray(data, dtype=dtype)
    array = np.asarray(data)
    if array.dtype == np.float64 and not isinstance(data, np.generic):
        array = array.astype(DEFAULT_FLOAT)
    _require_real(array, data)
    return array


def _require_real(array: Any, data: Any) -> None:
    """Only real numbers (floats, ints, bools) can become a tensor."""
    kind = array.dtype.kind
    if kind == "c":
        raise TypeError(
            f"cannot make a tensor from complex data (dtype {array.dtype}): minidl supports "
            "real numbers only; take the real part (x.real) or the magnitude (abs(x)) first"
        )
    if kind not in "biuf":
        raise TypeError(
            f"cannot make a tensor from {type(data).__name__} data of dtype {array.dtype}; "
            "expected numbers (a list, scalar or array of floats/ints/bools)"
        )


def tensor(
    data: Any, requires_grad: bool = False, dtype: Any = None, device: str | None = None
) -> Tensor:
    """A new tensor holding a copy of ``data`` (like ``torch.tensor``).

    Python floats become float32 by default; the dtype of a NumPy/CuPy array is kept
    (float64 stays float64). ``device`` defaults to the current backend.
    """
    if isinstance(data, Tensor):
        data = data.data
    target = backends.get(device) if device is not None else backends.get_backend()
    source = backend_of(data)
    if source.name == "numpy" and not isinstance(data, np.ndarray):
        array = _host_to_array(data, dtype)
    else:
        array = source.to_host(data) if source is not target else data
        if dtype is not None:
            array = array.astype(dtype)
        _require_real(array, data)
    array = target.asarray(array)
    if array is data or (hasattr(array, "base") and array.base is data):
        array = array.copy()
    return Tensor(array, requires_grad=requires_grad)


# ------------------------------------------------------------------ PyTorch habits

# PyTorch method names a learner may type, and what minidl calls them.
_PYTORCH_NAMES = {
    "view": "use x.reshape(...)",
    "unsqueeze": "use x[None] (a new first axis) or x.reshape(...)",
    "squeeze": "use x.reshape(...) without the size-1 axes",
    "cuda": 'use x.to("cupy")',
    "cpu": 'use x.to("numpy")',
    "dim": "use x.ndim",
    "amax": "use x.max(axis)",
    "amin": "use x.min(axis)",
}


def _no_pytorch_keywords(method: str, keywords: dict[str, Any]) -> None:
    """Refuse PyTorch's ``dim=``/``keepdim=`` with the NumPy names minidl uses."""
    if not keywords:
        return
    renames = {"dim": "axis", "keepdim": "keepdims"}
    for name in keywords:
        if name in renames:
            raise TypeError(
                f"{method}() takes {renames[name]}=, not {name}= (minidl uses NumPy's names): "
                f"x.{method}({renames[name]}=...)"
            )
    raise TypeError(f"{method}() got an unexpected keyword argument {next(iter(keywords))!r}")


# ------------------------------------------------------------------ other operands


def as_array(value: Any, like: Tensor) -> Any:
    """``value`` as an array on ``like``'s device.

    A number takes ``like``'s floating dtype, so ``x * 2.0`` stays float32 (no silent
    promotion to float64). A device array of another backend is returned unchanged, so
    that the op reports the device mismatch.
    """
    if isinstance(value, Tensor):
        return value.data
    backend = like.backend
    if backend_of(value).name != "numpy":
        return value
    kind = value.dtype.kind if isinstance(value, np.ndarray) else np.asarray(value).dtype.kind
    if kind not in "biuf":
        text = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
        raise TypeError(
            f"a tensor op cannot take {type(value).__name__} {text} (dtype kind {kind!r}): "
            "expected a real number, an array of them, or a Tensor"
        )
    if like.data.dtype.kind == "f" and np.ndim(value) == 0:
        return backend.asarray(value, dtype=like.data.dtype)
    return backend.asarray(value)


def as_tensor(value: Any, like: Tensor) -> Tensor:
    """``value`` as a constant tensor (no gradient) on ``like``'s device."""
    if isinstance(value, Tensor):
        return value
    return Tensor._from_op(as_array(value, like))


def _operand(value: Any, like: Tensor) -> Tensor | int | float:
    """The other operand of a binary op: Python numbers go into the op as they are
    (constants that keep ``like``'s dtype); arrays and lists become tensors."""
    if isinstance(value, Tensor) or type(value) is float or type(value) is int:
        return value
    return as_tensor(value, like)


autograd.bind_tensor_class(Tensor)

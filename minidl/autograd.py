"""Reverse-mode automatic differentiation, define-by-run.

Every op is a ``Function`` subclass with its ``forward`` and ``backward`` side by side,
both on plain arrays. Calling ``SomeOp.apply(*inputs)`` runs ``forward`` on the inputs'
arrays and, when a gradient is wanted, records the op as the output tensor's creator
(``tensor.grad_fn``).
Each recorded op links back to the *nodes* that made its inputs: the op that computed an
input, or the leaf tensor itself. Intermediate tensors are not part of the graph, so an
intermediate array lives on only if some op saved it for its backward (as in PyTorch).

``backward(root)`` applies the chain rule at each op, from the root back to the leaves,

    ∂L/∂input = backward(∂L/∂output),

adding up the contributions of a node that feeds several ops. A node's gradient is
complete once every op that used it has sent its part back, so the walk first counts
those uses, then processes a node when its count reaches zero (Kahn's topological
order). Both passes use an explicit stack: graphs 10,000 ops deep work. Gradients reach
the leaves (tensors the user made with ``requires_grad=True``) in ``leaf.grad``.
Afterwards each op drops the arrays it saved for backward, unless ``retain_graph=True``.

This module sits below ``tensor.py`` in the layers and never imports it. The walk tells
ops from leaves by asking whether a node is a ``Function``; ``Function.apply`` needs the
``Tensor`` class itself (to tell tensor inputs from constants and to wrap the output), and
gets it from ``bind_tensor_class``, which ``tensor.py`` calls once, right after defining
``Tensor``. That is the one late binding in minidl (docs/architecture.md).
"""

from __future__ import annotations

import contextlib
import contextvars
import weakref
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from minidl.backend import backend_of
from minidl.errors import AnomalyError, DeviceMismatchError, GraphFreedError

if TYPE_CHECKING:
    from minidl.tensor import Tensor

DEFAULT_FLOAT = np.float32  # the dtype of floats made from Python numbers and integers
_FLOAT64 = np.dtype(np.float64)

# --------------------------------------------------------------------------- grad mode

# Both modes are per thread (and per asyncio task), as in PyTorch: a ContextVar gives
# every thread its own value, starting from the default. So one thread's no_grad()
# (inference, an optimizer step) never stops another thread from recording.
_grad_enabled: contextvars.ContextVar[bool] = contextvars.ContextVar("grad_enabled", default=True)
_anomaly_enabled: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "anomaly_enabled", default=False
)


def is_grad_enabled() -> bool:
    """Whether new ops are recorded for backward (in this thread)."""
    return _grad_enabled.get()


def is_anomaly_enabled() -> bool:
    """Whether ``detect_anomaly()`` checks ops for NaN/inf (in this thread)."""
    return _anomaly_enabled.get()


class _GradMode(contextlib.ContextDecorator):
    """Context manager (and decorator) that switches recording on or off inside it, in
    the thread that enters it."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._tokens: list[contextvars.Token] = []  # one per nested entry

    def _recreate_cm(self) -> _GradMode:
        # As a decorator, each call gets its own manager, so calls in several threads
        # never share the tokens of one.
        return _GradMode(self.enabled)

    def __enter__(self) -> None:
        self._tokens.append(_grad_enabled.set(self.enabled))

    def __exit__(self, *exc_info: Any) -> None:
        _grad_enabled.reset(self._tokens.pop())


def no_grad() -> _GradMode:
    """``with no_grad():`` ops inside build no graph and save nothing (inference, updates).
    Only the thread that enters it stops recording."""
    return _GradMode(False)


def enable_grad() -> _GradMode:
    """``with enable_grad():`` records ops again inside a ``no_grad`` block."""
    return _GradMode(True)


@contextlib.contextmanager
def detect_anomaly() -> Iterator[None]:
    """Check every op's output and gradients for NaN/inf and name the op that made the first
    (in this thread).

    Slow (one extra pass over every array), so it is off unless asked for.
    """
    token = _anomaly_enabled.set(True)
    try:
        yield
    finally:
        _anomaly_enabled.reset(token)


def _check_finite(array: Any, what: str) -> None:
    xp = backend_of(array).xp
    if not bool(xp.isfinite(array).all()):
        raise AnomalyError(f"{what} contains NaN or inf (found by detect_anomaly())")


# --------------------------------------------------------------------------- Function

_Tensor: Any = None  # the Tensor class, handed over by minidl.tensor (bind_tensor_class)


def bind_tensor_class(tensor_class: type) -> None:
    """Tell ``Function.apply`` which class wraps op outputs (called once, by tensor.py)."""
    global _Tensor
    _Tensor = tensor_class


class Function:
    """One differentiable op.

    Subclasses implement

    - ``forward(self, *arrays, **options) -> array``: the op on backend arrays; it may
      keep on ``self`` whatever backward needs (inputs, outputs, masks);
    - ``backward(self, grad_output) -> grad or tuple of grads``: one gradient per input
      array, in order (``None`` for an input that needs none). ``self.needs_input_grad``
      says which inputs want one, so costly gradients can be skipped.
    """

    released = False
    hooks: list | tuple = ()  # register_hook(fn) on the op's output tensor
    retained: Any = None  # weak reference to the output tensor, after retain_grad()

    def forward(self, *arrays: Any, **options: Any) -> Any:
        raise NotImplementedError

    def backward(self, grad_output: Any) -> Any:
        raise NotImplementedError

    @classmethod
    def apply(cls, *inputs: Any, **options: Any) -> Tensor:
        """Run the op and, if any input tensor wants a gradient, record it in the graph.

        Inputs are Tensors or Python numbers; numbers are constants (no gradient) and go
        into ``forward`` as they are, so ``x * 2.0`` keeps x's dtype.
        """
        tensor_class = _Tensor
        arrays, needs_input_grad, parents = [], [], []
        array_type = None
        for item in inputs:
            if isinstance(item, tensor_class):
                data = item.data
                if array_type is None:
                    array_type = type(data)
                elif type(data) is not array_type:
                    _check_same_device(cls.__name__, inputs)
                arrays.append(data)
                if item.requires_grad:
                    needs_input_grad.append(True)
                    parents.append(item.grad_fn or item)
                else:
                    needs_input_grad.append(False)
                    parents.append(None)
            else:
                arrays.append(item)
                needs_input_grad.append(False)
                parents.append(None)
        function = cls()
        # Under no_grad() no input wants a gradient, so forward need not save anything.
        function.needs_input_grad = needs_input_grad = (
            tuple(needs_input_grad) if _grad_enabled.get() else (False,) * len(needs_input_grad)
        )
        data = function.forward(*arrays, **options)
        if type(data) is not array_type:  # NumPy ufuncs turn 0-d results into scalars
            data = backend_of(data).xp.asarray(data)
        if data.dtype == _FLOAT64:
            data = _without_float64_promotion(data, arrays)
        output = tensor_class._from_op(data)
        if _anomaly_enabled.get():
            _check_finite(output.data, f"the output of {cls.__name__}")
        if True in needs_input_grad:
            # Link to the parents' graph nodes (the op that made each, or the leaf tensor
            # itself), not to intermediate tensors: an intermediate array then stays alive
            # only if some op saved it for its backward (ReLU keeps just its mask).
            function.inputs = parents
            function.output_dtype = output.data.dtype
            function.output_shape = output.data.shape
            # A weak link, so a graph never keeps an intermediate alive; minidl.viz
            # shows the output's value while the caller still holds it.
            function.output_ref = weakref.ref(output)
            output.requires_grad = True
            output.grad_fn = function
        return output

    def release(self) -> None:
        """Drop every array saved for backward, the links to the inputs and the hooks."""
        retained = self.retained  # a weak link: the output tensor still retains its grad
        self.__dict__.clear()
        self.released = True
        if retained is not None:
            self.retained = retained

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"


def _without_float64_promotion(data: Any, arrays: list[Any]) -> Any:
    """The dtype rule: float64 only when an input is float64.

    NumPy makes float64 out of integers (int / int, exp(int), int + 0.5) and out of an
    integer array with a float32 one. PyTorch, and minidl, give the widest float dtype
    among the inputs instead, or the default float32 when no input is a float.
    """
    widest = None
    for array in arrays:
        dtype = getattr(array, "dtype", None)
        if dtype is not None and dtype.kind == "f":
            if dtype == _FLOAT64:
                return data  # a float64 input: float64 is what was asked for
            if widest is None or dtype.itemsize > widest.itemsize:
                widest = dtype
    return data.astype(DEFAULT_FLOAT if widest is None else widest)


def _check_same_device(op_name: str, inputs: tuple[Any, ...]) -> None:
    inputs = tuple(item for item in inputs if isinstance(item, _Tensor))
    devices = [tensor.device for tensor in inputs]
    if len(set(devices)) > 1:
        shown = ", ".join(f"{tensor.shape} on {tensor.device!r}" for tensor in inputs)
        raise DeviceMismatchError(
            f"{op_name} got tensors on different devices ({shown}); move them to one "
            f"device first, e.g. x.to({devices[0]!r})"
        )


# --------------------------------------------------------------------------- backward


def unbroadcast(grad: Any, shape: tuple[int, ...]) -> Any:
    """Sum ``grad`` back to ``shape``, undoing NumPy broadcasting.

    Broadcasting copies an input along new leading axes and along its size-1 axes; the
    gradient of a copy is the sum of the copies' gradients.
    """
    if grad.shape == shape:
        return grad
    leading = grad.ndim - len(shape)
    stretched = tuple(
        leading + axis
        for axis, size in enumerate(shape)
        if size == 1 and grad.shape[leading + axis] != 1
    )
    grad = grad.sum(axis=tuple(range(leading)) + stretched, keepdims=True)
    return grad.reshape(shape)


def count_uses(root_node: Any) -> dict[int, int]:
    """For every graph node ``root_node`` depends on (an op, or a leaf tensor, that needs a
    gradient): how many op inputs it fills. Its gradient is complete once that many parts
    have come back."""
    uses: dict[int, int] = {}
    stack = [root_node]
    while stack:
        function = stack.pop()
        if not isinstance(function, Function) or function.released:
            continue  # a leaf tensor, or an op whose graph is already freed
        for parent, needs_grad in zip(function.inputs, function.needs_input_grad):
            if needs_grad:
                key = id(parent)
                if key not in uses:
                    uses[key] = 0
                    stack.append(parent)
                uses[key] += 1
    return uses


def backward(root: Tensor, grad: Any = None, retain_graph: bool = False) -> None:
    """Accumulate ∂root/∂leaf into ``leaf.grad`` for every leaf that requires a gradient.

    ``grad`` is ∂L/∂root for some outer L; it defaults to 1 for a one-element ``root``.
    """
    if not root.requires_grad:
        raise RuntimeError(
            "backward() called on a tensor that does not require grad: nothing it was "
            "computed from has requires_grad=True (or it was computed under no_grad())"
        )
    grad = _initial_grad(root, grad)
    check_anomalies = _anomaly_enabled.get()
    root_node = root.grad_fn or root
    uses_left = count_uses(root_node)
    grads = {id(root_node): grad}
    handed_to_leaves = {id(grad)}  # arrays a leaf may not own outright
    ready = [root_node]  # nodes whose output gradient is complete
    while ready:
        node = ready.pop()
        grad_output = grads.pop(id(node), None)
        if not isinstance(node, Function):  # a leaf tensor
            if grad_output is not None:
                if node._hooks:
                    grad_output = _run_hooks(node._hooks, grad_output)
                _accumulate_leaf(node, grad_output, handed_to_leaves)
            continue
        function = node
        if function.released:
            raise GraphFreedError(
                "trying to backward through the graph a second time: its saved arrays "
                "were freed by the first backward(). Pass backward(retain_graph=True) the "
                "first time if you need to call it twice, or recompute the forward pass"
            )
        if grad_output is not None and (function.hooks or function.retained is not None):
            grad_output = _see_output_grad(function, grad_output)
        # No gradient reached this node (every path to it sent None): its inputs
        # still count it as one use done.
        input_grads = function.backward(grad_output) if grad_output is not None else ()
        if not isinstance(input_grads, tuple):
            input_grads = (input_grads,)
        for position, (parent, needs_grad) in enumerate(
            zip(function.inputs, function.needs_input_grad)
        ):
            if not needs_grad:
                continue
            input_grad = input_grads[position] if position < len(input_grads) else None
            key = id(parent)
            if input_grad is not None:
                dtype = parent.output_dtype if isinstance(parent, Function) else parent.data.dtype
                if input_grad.dtype != dtype:
                    input_grad = input_grad.astype(dtype)
                if check_anomalies:
                    _check_finite(input_grad, f"the gradient {type(function).__name__} sent back")
                grads[key] = input_grad if key not in grads else grads[key] + input_grad
            uses_left[key] -= 1
            if uses_left[key] == 0:
                ready.append(parent)
        if not retain_graph:
            function.release()


def _initial_grad(root: Tensor, grad: Any) -> Any:
    xp = root.backend.xp
    if grad is None:
        if root.data.size != 1:
            raise RuntimeError(
                f"backward() without a gradient needs a one-element tensor (a loss), but got "
                f"shape {root.shape}; reduce it first (e.g. .sum() or .mean()) or pass "
                f"backward(grad) with a gradient of shape {root.shape}"
            )
        return xp.ones_like(root.data)
    grad = grad.data if isinstance(grad, _Tensor) else grad
    grad = root.backend.asarray(grad, dtype=root.data.dtype)
    if grad.shape != root.shape:
        raise ValueError(
            f"backward(grad) expected a gradient of shape {root.shape} (the tensor's), "
            f"got {tuple(grad.shape)}"
        )
    return grad


def _see_output_grad(function: Function, grad_output: Any) -> Any:
    """∂L/∂output of ``function`` is complete: run its output tensor's hooks, then keep
    a copy in that tensor's ``.grad`` if it asked with ``retain_grad()``."""
    if function.hooks:
        grad_output = _run_hooks(function.hooks, grad_output)
    tensor = function.retained() if function.retained is not None else None
    if tensor is not None:  # its own copy: the array also flows on to the inputs
        tensor.grad = grad_output.copy() if tensor.grad is None else tensor.grad + grad_output
    return grad_output


def _run_hooks(hooks: list, grad: Any) -> Any:
    """Pass ``grad`` through each hook in turn; a hook's non-None result replaces it."""
    for hook in list(hooks):
        result = hook(grad)
        if result is None:
            continue
        if isinstance(result, _Tensor):
            result = result.data
        if getattr(result, "shape", None) != grad.shape:
            raise ValueError(
                f"the gradient hook {getattr(hook, '__name__', hook)!r} returned a gradient "
                f"of shape {getattr(result, 'shape', type(result).__name__)}, expected "
                f"{grad.shape} (the tensor's shape); return an array of that shape, or None"
            )
        grad = result if result.dtype == grad.dtype else result.astype(grad.dtype)
    return grad


def _accumulate_leaf(leaf: Tensor, grad: Any, handed_to_leaves: set[int]) -> None:
    # A gradient array may be a view, or shared with another leaf (Add passes its
    # gradient to both inputs): a leaf gets its own copy then, so that changing one
    # .grad in place can never change another.
    if grad.base is not None or id(grad) in handed_to_leaves:
        grad = grad.copy()
    handed_to_leaves.add(id(grad))
    leaf.grad = grad if leaf.grad is None else leaf.grad + grad

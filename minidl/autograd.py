"""Reverse-mode automatic differentiation, define-by-run.

Every op is a ``Function`` subclass with its ``forward`` and ``backward`` side by side.
Calling ``SomeOp.apply(*tensors)`` runs ``forward`` on the tensors' arrays and, when a
gradient is wanted, records the op as the output tensor's creator (``tensor._ctx``).
The recorded ops form a graph that points from each output back to its inputs.

``backward(root)`` walks that graph once, in reverse topological order (outputs before
the inputs they were made from), with an explicit stack instead of recursion so that
graphs 10,000 ops deep work. At each op it applies the chain rule

    ∂L/∂input = backward(∂L/∂output)

and adds up the contributions of a tensor that feeds several ops. Gradients reach the
leaves (tensors created by the user with ``requires_grad=True``) in ``tensor.grad``.
Afterwards each op drops the arrays it saved for backward, unless ``retain_graph=True``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from minidl.backend import backend_of
from minidl.errors import AnomalyError, DeviceMismatchError, GraphFreedError

if TYPE_CHECKING:
    from minidl.tensor import Tensor

# --------------------------------------------------------------------------- grad mode

_grad_enabled = True
_anomaly_enabled = False


def is_grad_enabled() -> bool:
    """Whether new ops are recorded for backward."""
    return _grad_enabled


class _GradMode(contextlib.ContextDecorator):
    """Context manager (and decorator) that switches recording on or off inside it."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def __enter__(self) -> None:
        global _grad_enabled
        self.previous = _grad_enabled
        _grad_enabled = self.enabled

    def __exit__(self, *exc_info: Any) -> None:
        global _grad_enabled
        _grad_enabled = self.previous


def no_grad() -> _GradMode:
    """``with no_grad():`` ops inside build no graph and save nothing (inference, updates)."""
    return _GradMode(False)


def enable_grad() -> _GradMode:
    """``with enable_grad():`` records ops again inside a ``no_grad`` block."""
    return _GradMode(True)


@contextlib.contextmanager
def detect_anomaly() -> Iterator[None]:
    """Check every op's output and gradients for NaN/inf and name the op that made the first.

    Slow (one extra pass over every array), so it is off unless asked for.
    """
    global _anomaly_enabled
    previous, _anomaly_enabled = _anomaly_enabled, True
    try:
        yield
    finally:
        _anomaly_enabled = previous


def _check_finite(array: Any, what: str) -> None:
    xp = backend_of(array).xp
    if not bool(xp.isfinite(array).all()):
        raise AnomalyError(f"{what} contains NaN or inf (found by detect_anomaly())")


# --------------------------------------------------------------------------- Function


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

    def forward(self, *arrays: Any, **options: Any) -> Any:
        raise NotImplementedError

    def backward(self, grad_output: Any) -> Any:
        raise NotImplementedError

    @classmethod
    def apply(cls, *inputs: Tensor, **options: Any) -> Tensor:
        """Run the op on tensors and, if any input wants a gradient, record it in the graph."""
        arrays = [tensor.data for tensor in inputs]
        first_type = type(arrays[0])
        for array in arrays:
            if type(array) is not first_type:
                _check_same_device(cls.__name__, inputs)
                break
        function = cls()
        needs_input_grad = tuple(tensor.requires_grad for tensor in inputs)
        record = _grad_enabled and any(needs_input_grad)
        function.needs_input_grad = needs_input_grad
        output = Tensor._from_op(function.forward(*arrays, **options))
        if _anomaly_enabled:
            _check_finite(output.data, f"the output of {cls.__name__}")
        if record:
            function.inputs = inputs
            output.requires_grad = True
            output._ctx = function
        return output

    def release(self) -> None:
        """Drop every array saved for backward, and the links to the inputs."""
        self.__dict__.clear()
        self.released = True

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"


def _check_same_device(op_name: str, inputs: tuple[Tensor, ...]) -> None:
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


def _parents(tensor: Tensor) -> tuple[Tensor, ...]:
    function = tensor._ctx
    if function is None or function.released:
        return ()
    return function.inputs


def topological_order(root: Tensor) -> list[Tensor]:
    """Every tensor that ``root`` was computed from and that needs a gradient, inputs first.

    Depth-first with an explicit stack (no recursion limit): a tensor is appended once all
    of its parents have been.
    """
    order: list[Tensor] = []
    visited = {id(root)}
    stack = [(root, iter(_parents(root)))]
    while stack:
        tensor, parents = stack[-1]
        for parent in parents:
            if parent.requires_grad and id(parent) not in visited:
                visited.add(id(parent))
                stack.append((parent, iter(_parents(parent))))
                break
        else:
            stack.pop()
            order.append(tensor)
    return order


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
    grads = {id(root): grad}
    handed_to_leaves = {id(grad)}  # arrays a leaf may not own outright
    for tensor in reversed(topological_order(root)):
        grad_output = grads.pop(id(tensor), None)
        if grad_output is None:
            continue
        function = tensor._ctx
        if function is None:
            _accumulate_leaf(tensor, grad_output, handed_to_leaves)
            continue
        if function.released:
            raise GraphFreedError(
                "trying to backward through the graph a second time: its saved arrays "
                "were freed by the first backward(). Pass backward(retain_graph=True) the "
                "first time if you need to call it twice, or recompute the forward pass"
            )
        input_grads = function.backward(grad_output)
        if not isinstance(input_grads, tuple):
            input_grads = (input_grads,)
        for parent, needs_grad, input_grad in zip(
            function.inputs, function.needs_input_grad, input_grads
        ):
            if not needs_grad or input_grad is None:
                continue
            if input_grad.dtype != parent.data.dtype:
                input_grad = input_grad.astype(parent.data.dtype)
            if _anomaly_enabled:
                _check_finite(input_grad, f"the gradient {type(function).__name__} sent back")
            key = id(parent)
            grads[key] = input_grad if key not in grads else grads[key] + input_grad
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
    grad = grad.data if hasattr(grad, "_ctx") else grad
    grad = root.backend.asarray(grad, dtype=root.data.dtype)
    if grad.shape != root.shape:
        raise ValueError(
            f"backward(grad) expected a gradient of shape {root.shape} (the tensor's), "
            f"got {tuple(grad.shape)}"
        )
    return grad


def _accumulate_leaf(leaf: Tensor, grad: Any, handed_to_leaves: set[int]) -> None:
    # A gradient array may be a view, or shared with another leaf (Add passes its
    # gradient to both inputs): a leaf gets its own copy then, so that changing one
    # .grad in place can never change another.
    if grad.base is not None or id(grad) in handed_to_leaves:
        grad = grad.copy()
    handed_to_leaves.add(id(grad))
    leaf.grad = grad if leaf.grad is None else leaf.grad + grad


from minidl.tensor import Tensor  # noqa: E402  (Tensor and Function refer to each other)

"""Shape ops: reshape, transpose, indexing. They move elements, so backward moves the
gradient back to where each element came from."""

from __future__ import annotations

from minidl.autograd import Function
from minidl.backend import backend_of


class Reshape(Function):
    """y = x viewed with another shape.   The gradient is reshaped back."""

    def forward(self, x, shape):
        self.input_shape = x.shape
        try:
            return x.reshape(shape)
        except ValueError:
            raise ValueError(
                f"cannot reshape a tensor of shape {x.shape} ({x.size} elements) into {shape}"
            ) from None

    def backward(self, grad_output):
        return grad_output.reshape(self.input_shape)


class Transpose(Function):
    """y = x with its axes permuted (reversed by default).   The gradient is permuted back."""

    def forward(self, x, axes=None):
        if axes is not None and sorted(a % max(x.ndim, 1) for a in axes) != list(range(x.ndim)):
            raise ValueError(f"transpose axes {axes} are not a permutation of the {x.ndim} axes")
        self.axes = axes
        return x.transpose(axes)

    def backward(self, grad_output):
        if self.axes is None:
            return grad_output.transpose()
        inverse = [0] * len(self.axes)
        for position, axis in enumerate(self.axes):
            inverse[axis % len(self.axes)] = position
        return grad_output.transpose(inverse)


def _is_basic_index(index):
    """True for ints, slices, None and Ellipsis: each element is picked at most once."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(isinstance(part, (int, slice)) or part is None or part is Ellipsis for part in parts)


class GetItem(Function):
    """y = x[index].   ∂L/∂x is zero except at the picked elements, which get ∂L/∂y.

    With an integer-array index one element may be picked twice; its gradients add up
    (scatter-add), which plain assignment would get wrong.
    """

    def forward(self, x, index):
        if hasattr(index, "grad_fn"):  # a Tensor used as an index
            index = index.data
        elif isinstance(index, tuple):
            index = tuple(part.data if hasattr(part, "grad_fn") else part for part in index)
        self.shape, self.dtype, self.index = x.shape, x.dtype, index
        try:
            return x[index]
        except IndexError as error:
            raise IndexError(
                f"index {index!r} is out of range for a tensor of shape {x.shape}: {error}"
            ) from None

    def backward(self, grad_output):
        backend = backend_of(grad_output)
        grad = backend.xp.zeros(self.shape, dtype=grad_output.dtype)
        if _is_basic_index(self.index):
            grad[self.index] = grad_output
        else:
            backend.scatter_add(grad, _index_on(backend, self.index), grad_output)
        return grad


def _index_on(backend, index):
    """``index`` with its host integer/boolean arrays moved to ``backend``: indexing
    uploads them itself, but a device's scatter-add takes device indices only."""
    if isinstance(index, tuple):
        return tuple(_index_on(backend, part) for part in index)
    if hasattr(index, "shape") and not backend.is_array(index):
        return backend.to_device(index)
    return index


class Stack(Function):
    """y = the inputs stacked along a new axis.   Input k's gradient is slice k of ∂L/∂y."""

    def forward(self, *arrays, axis=0):
        self.axis = axis
        return backend_of(arrays[0]).xp.stack(arrays, axis=axis)

    def backward(self, grad_output):
        count = grad_output.shape[self.axis]
        return tuple(grad_output.take(k, axis=self.axis) for k in range(count))

"""2-D max and average pooling over strided window views (no loops over pixels).

Both read the same windows as convolution (``sliding_windows`` in conv.py). A pooling
window has few positions (kH·kW, 4 for the usual 2×2), so forward and backward loop over
those positions, each step one vectorised operation over every window of the batch at
once: window position (i, j) of all windows is the strided slice ``windows[:, :, i, j]``.
That is several times faster in NumPy than reducing the 6-D view over its kernel axes.

``MaxPool2dSimple`` (``max_pool2d_simple``) is max pooling written as the formula, with
NumPy's own argmax choosing the winner: read it first; the tests use it as the oracle.
"""

from __future__ import annotations

import numpy as np

from minidl.autograd import Function
from minidl.backend import backend_of
from minidl.ops.conv import (
    as_pair,
    kernel_offsets,
    offset_slice,
    output_size,
    pad_spatial,
    sliding_windows,
    unpad_spatial,
)
from minidl.ops.layout import in_layout_of


def position_dtype(kernel_size: tuple[int, int]) -> np.dtype:
    """The smallest unsigned integer type that numbers every position of a window
    (0 .. kH·kW − 1): uint8 up to 16×16 windows, uint16 up to 256×256, then uint32."""
    return np.min_scalar_type(kernel_size[0] * kernel_size[1] - 1)


class MaxPool2dSimple(Function):
    """FORMULAS N3 as written: the simple twin of ``MaxPool2d``.

        output[n, c, oh, ow] = max over (i, j) of x[n, c, oh·s + i, ow·s + j]

    The kH·kW offsets' slices (``offset_slice``: offset (i, j) of every window) are
    stacked into one (kH·kW, N, C, OH, OW) array; the output is its max over the first
    axis, and ``argmax`` over that axis names the winning offset of each window (the
    first maximum in row order when several tie: NumPy's rule). Backward sends each
    window's gradient to its winner; overlapping windows add up (``+=``). It loops over
    offsets only, but keeps kH·kW copies of the input: the tests' oracle for ``MaxPool2d``.
    """

    def forward(self, x, kernel_size=(2, 2), stride=(2, 2), padding=(0, 0)):
        xp = backend_of(x).xp
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        # Pad with −inf, not 0: a padded cell must never win the max (all inputs may be < 0).
        x_padded = pad_spatial(x, padding, value=-xp.inf)
        self.padded_shape = x_padded.shape
        out_shape = tuple(
            output_size(size, kernel, step, pad)
            for size, kernel, step, pad in zip(x.shape[2:], kernel_size, stride, padding)
        )
        offsets = xp.stack(
            [
                x_padded[offset_slice(i, j, stride, out_shape)]
                for i, j in kernel_offsets(kernel_size)
            ]
        )
        self.winner = offsets.argmax(axis=0)
        return offsets.max(axis=0)

    def backward(self, grad_output):
        xp = backend_of(grad_output).xp
        grad_padded = xp.zeros(self.padded_shape, dtype=grad_output.dtype)
        out_shape = grad_output.shape[2:]
        for k, (i, j) in enumerate(kernel_offsets(self.kernel_size)):
            grad_padded[offset_slice(i, j, self.stride, out_shape)] += grad_output * (
                self.winner == k
            )
        return unpad_spatial(grad_padded, self.padding)


def max_pool2d_simple(x, kernel_size, stride=None, padding=0):
    """``F.max_pool2d``'s simple twin (``MaxPool2dSimple``): the same arguments and numbers,
    as the formula is written. For reading and for testing; ``F.max_pool2d`` is the fast one."""
    kernel_size = as_pair(kernel_size, "kernel_size")
    stride = kernel_size if stride is None else as_pair(stride, "stride")
    padding = as_pair(padding, "padding")
    return MaxPool2dSimple.apply(x, kernel_size=kernel_size, stride=stride, padding=padding)


class MaxPool2d(Function):
    """FORMULAS N3: output[n, c, oh, ow] = max over the kernel window at (oh·s, ow·s).

    Backward: each window's gradient goes to the one element that is its maximum (the
    first in row order, if several tie, like argmax) and nowhere else. Overlapping
    windows (stride < kernel) may pick the same element; its gradients add up.

    Forward records, per window, which position won (``argmax``, in the smallest integer
    type that can number the window's positions: one byte up to 16×16), rather than
    keeping the input: the running maximum only changes where a later position is
    strictly greater, so the winner is the last position k that was,
    argmax = max over k of k·[window_k > max of positions before k].
    """

    def forward(self, x, kernel_size=(2, 2), stride=(2, 2), padding=(0, 0)):
        xp = backend_of(x).xp
        # Pad with −inf, not 0: a padded cell must never win the max (all inputs may be < 0).
        x_padded = pad_spatial(x, padding, value=-xp.inf)
        windows = sliding_windows(x_padded, kernel_size, stride)
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        self.padded_shape = x_padded.shape
        output = xp.copy(windows[:, :, 0, 0], order="K")  # "K": keep x's memory layout
        index_type = position_dtype(kernel_size)
        argmax = xp.zeros_like(output, dtype=index_type)
        greater = xp.empty_like(output, dtype=bool)
        for k, (i, j) in enumerate(kernel_offsets(kernel_size)[1:], start=1):
            xp.greater(windows[:, :, i, j], output, out=greater)
            xp.maximum(output, windows[:, :, i, j], out=output)
            xp.maximum(argmax, greater * index_type.type(k), out=argmax)
        self.argmax = argmax
        return output

    def backward(self, grad_output):
        xp = backend_of(grad_output).xp
        grad_output = in_layout_of(grad_output, self.argmax)
        # Laid out in memory like the input (argmax kept its layout), for the layer below.
        grad_padded = xp.zeros_like(self.argmax, dtype=grad_output.dtype, shape=self.padded_shape)
        # Windows that tile the input (stride = kernel) never share a pixel: each window
        # position's gradient can be written in place instead of added to a temporary.
        tiles = tuple(self.stride) == tuple(self.kernel_size)
        wins = xp.empty_like(self.argmax, dtype=bool)
        for k, (i, j) in enumerate(kernel_offsets(self.kernel_size)):
            xp.equal(self.argmax, k, out=wins)
            target = grad_padded[offset_slice(i, j, self.stride, grad_output.shape[2:])]
            if tiles:
                xp.multiply(grad_output, wins, out=target)
            else:  # += because overlapping windows can route to the same pixel.
                target += grad_output * wins
        return unpad_spatial(grad_padded, self.padding)


class AvgPool2d(Function):
    """output[n, c, oh, ow] = (1 / (kH·kW)) · Σ over the kernel window at (oh·s, ow·s).

    Padding counts as zeros in the average (the divisor is always kH·kW, PyTorch's
    default). Backward: every element of a window receives 1/(kH·kW) of its gradient.
    """

    def forward(self, x, kernel_size=(2, 2), stride=(2, 2), padding=(0, 0)):
        x_padded = pad_spatial(x, padding)
        windows = sliding_windows(x_padded, kernel_size, stride)
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        self.padded_shape = x_padded.shape
        positions = kernel_offsets(kernel_size)
        total = backend_of(x).xp.copy(windows[:, :, 0, 0], order="K")  # keep x's layout
        for i, j in positions[1:]:
            total += windows[:, :, i, j]
        return total / len(positions)

    def backward(self, grad_output):
        xp = backend_of(grad_output).xp
        positions = kernel_offsets(self.kernel_size)
        share = grad_output / len(positions)
        grad_padded = xp.zeros_like(grad_output, shape=self.padded_shape)
        for i, j in positions:
            # += because overlapping windows share pixels.
            grad_padded[offset_slice(i, j, self.stride, grad_output.shape[2:])] += share
        return unpad_spatial(grad_padded, self.padding)

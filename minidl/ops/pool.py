"""2-D max and average pooling over strided window views (no loops over pixels).

Both read the same windows as convolution (``sliding_windows`` in conv.py). A pooling
window has few positions (kH·kW, 4 for the usual 2×2), so forward and backward loop over
those positions, each step one vectorised operation over every window of the batch at
once: window position (i, j) of all windows is the strided slice ``windows[:, :, i, j]``.
That is several times faster in NumPy than reducing the 6-D view over its kernel axes.
"""

from __future__ import annotations

from minidl.autograd import Function
from minidl.backend import backend_of
from minidl.ops.conv import pad_spatial, sliding_windows, unpad_spatial
from minidl.ops.layout import in_layout_of


def _kernel_positions(kernel_size: tuple[int, int]):
    """The (i, j) offsets of a window, row by row: (0, 0), (0, 1), ..."""
    kernel_h, kernel_w = kernel_size
    return [(i, j) for i in range(kernel_h) for j in range(kernel_w)]


def _strided_slice(i: int, j: int, stride: tuple[int, int], out_shape: tuple[int, int]):
    """The index that picks position (i, j) of every window out of the padded input."""
    (stride_h, stride_w), (out_h, out_w) = stride, out_shape
    rows = slice(i, i + stride_h * out_h, stride_h)
    columns = slice(j, j + stride_w * out_w, stride_w)
    return (slice(None), slice(None), rows, columns)


class MaxPool2d(Function):
    """FORMULAS N3: output[n, c, oh, ow] = max over the kernel window at (oh·s, ow·s).

    Backward: each window's gradient goes to the one element that is its maximum (the
    first in row order, if several tie, like argmax) and nowhere else. Overlapping
    windows (stride < kernel) may pick the same element; its gradients add up.

    Forward records, per window, which position won (``argmax``, one byte per output),
    rather than keeping the input: the running maximum only changes where a later
    position is strictly greater, so the winner is the last position k that was,
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
        argmax = xp.zeros_like(output, dtype=xp.uint8)
        greater = xp.empty_like(output, dtype=bool)
        for k, (i, j) in enumerate(_kernel_positions(kernel_size)[1:], start=1):
            xp.greater(windows[:, :, i, j], output, out=greater)
            xp.maximum(output, windows[:, :, i, j], out=output)
            xp.maximum(argmax, greater * xp.uint8(k), out=argmax)
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
        for k, (i, j) in enumerate(_kernel_positions(self.kernel_size)):
            xp.equal(self.argmax, k, out=wins)
            target = grad_padded[_strided_slice(i, j, self.stride, grad_output.shape[2:])]
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
        positions = _kernel_positions(kernel_size)
        total = backend_of(x).xp.copy(windows[:, :, 0, 0], order="K")  # keep x's layout
        for i, j in positions[1:]:
            total += windows[:, :, i, j]
        return total / len(positions)

    def backward(self, grad_output):
        xp = backend_of(grad_output).xp
        positions = _kernel_positions(self.kernel_size)
        share = grad_output / len(positions)
        grad_padded = xp.zeros_like(grad_output, shape=self.padded_shape)
        for i, j in positions:
            # += because overlapping windows share pixels.
            grad_padded[_strided_slice(i, j, self.stride, grad_output.shape[2:])] += share
        return unpad_spatial(grad_padded, self.padding)

"""2-D convolution (NCHW cross-correlation) as im2col + one GEMM.

The idea, from the inside out:

- ``sliding_windows`` views every kernel-sized window of the (padded) input at once, as
  a 6-D array, by choosing strides: no data is copied.
- im2col lays those windows out as the columns of one matrix, (C·kH·kW, OH·OW·N).
- The convolution is then a single matrix product, W (C_out, C·kH·kW) @ columns.
- Backward: ∂L/∂W is one more GEMM; ∂L/∂x goes back through the same windows
  (col2im), adding each window's gradient into the pixels it was read from.

Memory layout. Shapes are NCHW everywhere, but inside a convolution the batch axis is
innermost in memory: (C, H, W, N). A window's row is only OW pixels long (11 in the
documents' CNN), too short for a fast copy; with the batch innermost, one window offset
(i, j) of every window of every sample is a block whose rows are OW·N contiguous numbers
(704), so im2col and col2im move long runs. The output is returned as an NCHW-shaped view
of that (C_out, OH, OW, N) memory: no transpose is copied, and the elementwise ops and
pooling that follow keep the layout, so the next convolution gets its input for free.
"""

from __future__ import annotations

import numbers
from typing import Any

from minidl.autograd import Function
from minidl.backend import backend_of


def as_pair(value: Any, name: str) -> tuple[int, int]:
    """``value`` (an int, or a pair for height and width) as a pair of ints."""
    pair = (value, value) if isinstance(value, numbers.Integral) else tuple(value)
    if len(pair) != 2 or not all(
        isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in pair
    ):
        raise TypeError(f"{name} must be an int or a pair of ints (height, width), got {value!r}")
    return int(pair[0]), int(pair[1])


def output_size(size: int, kernel: int, stride: int, padding: int) -> int:
    """Positions a kernel takes along one axis: ⌊(size + 2·padding − kernel) / stride⌋ + 1."""
    return (size + 2 * padding - kernel) // stride + 1


def check_window_fits(op: str, x_shape, kernel_size, stride, padding) -> None:
    """Raise a ValueError naming the shapes unless x is 4-D and the kernel fits inside it."""
    if len(x_shape) != 4:
        raise ValueError(
            f"{op} expected a 4-D input (batch, channels, height, width), got shape "
            f"{tuple(x_shape)}; a single image needs a batch axis, e.g. x.reshape(1, *x.shape)"
        )
    if min(stride) < 1 or min(padding) < 0:
        raise ValueError(
            f"{op} needs stride ≥ 1 and padding ≥ 0, got stride={stride}, padding={padding}"
        )
    padded = (x_shape[2] + 2 * padding[0], x_shape[3] + 2 * padding[1])
    if kernel_size[0] > padded[0] or kernel_size[1] > padded[1]:
        raise ValueError(
            f"{op}: kernel size {kernel_size} is larger than the input's (padded) height and "
            f"width {padded} (input shape {tuple(x_shape)}, padding {padding}); use a smaller "
            "kernel, more padding, or a larger input"
        )


def pad_spatial(x, padding: tuple[int, int], value: float = 0.0):
    """x (N, C, H, W) with ``padding`` rows/columns of ``value`` added on each side.

    The padded copy keeps x's memory layout (``full_like`` with order 'K').
    """
    if padding == (0, 0):
        return x
    (pad_h, pad_w), (batch, channels, height, width) = padding, x.shape
    padded = backend_of(x).xp.full_like(
        x, value, shape=(batch, channels, height + 2 * pad_h, width + 2 * pad_w)
    )
    padded[:, :, pad_h : pad_h + height, pad_w : pad_w + width] = x
    return padded


def batch_innermost(x, padding: tuple[int, int] = (0, 0)):
    """x (N, C, H, W), zero-padded by ``padding``, stored as (C, H, W, N): the same shape,
    with the batch axis innermost in memory. One copy at most; none when x is already laid
    out so and needs no padding (a convolution's output is).
    """
    xp = backend_of(x).xp
    if padding == (0, 0):
        return xp.ascontiguousarray(x.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)
    (pad_h, pad_w), (batch, channels, height, width) = padding, x.shape
    stored = xp.zeros((channels, height + 2 * pad_h, width + 2 * pad_w, batch), dtype=x.dtype)
    stored[:, pad_h : pad_h + height, pad_w : pad_w + width] = x.transpose(1, 2, 3, 0)
    return stored.transpose(3, 0, 1, 2)


def memory_order(array) -> tuple[int, ...]:
    """array's axes from outermost to innermost in memory (by decreasing stride)."""
    return tuple(sorted(range(array.ndim), key=lambda axis: -array.strides[axis]))


def in_layout_of(array, template):
    """``array`` stored in ``template``'s memory layout (a copy only if it is not already).

    Elementwise work on operands laid out differently walks one of them against its
    grain; converting the odd one once is cheaper (e.g. a gradient reshaped back to NCHW
    meeting pooling's batch-innermost state).
    """
    if memory_order(array) == memory_order(template):
        return array
    converted = backend_of(array).xp.empty_like(template, dtype=array.dtype)
    converted[...] = array
    return converted


def sliding_windows(x_padded, kernel_size: tuple[int, int], stride: tuple[int, int]):
    """A read-only view (N, C, kH, kW, OH, OW) of every kernel window of x (N, C, H, W).

    ``windows[n, c, i, j, oh, ow] == x[n, c, oh·stride_h + i, ow·stride_w + j]``. Moving
    one step in oh moves stride_h rows in x, so the view only needs the right strides.
    """
    xp = backend_of(x_padded).xp
    batch, channels, height, width = x_padded.shape
    (kernel_h, kernel_w), (stride_h, stride_w) = kernel_size, stride
    out_h = (height - kernel_h) // stride_h + 1
    out_w = (width - kernel_w) // stride_w + 1
    step_n, step_c, step_h, step_w = x_padded.strides  # in bytes
    return xp.lib.stride_tricks.as_strided(
        x_padded,
        shape=(batch, channels, kernel_h, kernel_w, out_h, out_w),
        strides=(step_n, step_c, step_h, step_w, step_h * stride_h, step_w * stride_w),
    )


def add_windows_back(grad_windows, stride: tuple[int, int], out):
    """col2im: add into ``out`` (N, C, H, W), per pixel of x, the gradients of every window
    that read it, and return ``out``.

    ``grad_windows`` is laid out like ``sliding_windows`` (N, C, kH, kW, OH, OW). Windows
    overlap when stride < kernel, so one pixel can receive several gradients: they must
    add up (``+=``), not overwrite. One strided add per kernel offset (i, j) covers every
    window at once; there are only kH·kW of them. ``out`` starts as zeros.
    """
    _, _, kernel_h, kernel_w, out_h, out_w = grad_windows.shape
    stride_h, stride_w = stride
    for i in range(kernel_h):
        for j in range(kernel_w):
            out[:, :, i : i + stride_h * out_h : stride_h, j : j + stride_w * out_w : stride_w] += (
                grad_windows[:, :, i, j]
            )
    return out


def unpad_spatial(grad_padded, padding: tuple[int, int]):
    """Drop the padded border again (the gradient of padding is cropping)."""
    pad_h, pad_w = padding
    height, width = grad_padded.shape[2] - 2 * pad_h, grad_padded.shape[3] - 2 * pad_w
    return grad_padded[:, :, pad_h : pad_h + height, pad_w : pad_w + width]


def im2col(x_padded, kernel_size, stride):
    """The (C·kH·kW, OH·OW·N) matrix whose columns are x's windows, and (N, OH, OW).

    With x stored batch-innermost (``batch_innermost``), the copy of the windows in the
    order (C, kH, kW, OH, OW, N) reads and writes runs of OW·N contiguous numbers.
    """
    xp = backend_of(x_padded).xp
    windows = sliding_windows(x_padded, tuple(kernel_size), stride)
    batch, channels, kernel_h, kernel_w, out_h, out_w = windows.shape
    columns = xp.ascontiguousarray(windows.transpose(1, 2, 3, 4, 5, 0))
    return columns.reshape(channels * kernel_h * kernel_w, -1), (batch, out_h, out_w)


class Conv2d(Function):
    """FORMULAS N2: output[n, f, oh, ow] = b_f + Σ_{c,i,j} W[f,c,i,j]·x[n, c, oh·s + i, ow·s + j].

    Cross-correlation (the kernel is not flipped), as in every deep learning library. With
    padding 0 ("valid") an H×W input and a kH×kW kernel give
    ⌊(H − kH)/s⌋ + 1 × ⌊(W − kW)/s⌋ + 1 outputs (erratum E7: 3×3 with 3×3 gives 1×1).

    As matrices, with columns = im2col(x) of shape (C·kH·kW, OH·OW·N):

        forward     Y   = W_mat @ columns                    (one GEMM)
        backward    ∂W  = ∂Y @ columnsᵀ                      (one GEMM)
                    ∂x  = col2im(W_matᵀ @ ∂Y)                (one GEMM + kH·kW adds)
                    ∂b  = Σ over n, oh, ow of ∂Y

    Forward keeps the im2col matrix for ∂W (9 times the input's size, but rebuilding it
    in backward cost as much as the GEMM that uses it).
    """

    def forward(self, x, weight, bias=None, stride=(1, 1), padding=(0, 0)):
        out_channels = weight.shape[0]
        self.stride, self.padding, self.weight = stride, padding, weight
        x_padded = batch_innermost(x, padding)
        self.padded_shape = x_padded.shape
        columns, (batch, out_h, out_w) = im2col(x_padded, weight.shape[2:], stride)
        self.columns = columns if self.needs_input_grad[1] else None
        output = weight.reshape(out_channels, -1) @ columns  # (C_out, OH·OW·N)
        if bias is not None:
            output += bias.reshape(out_channels, 1)
        # NCHW-shaped view of the (C_out, OH, OW, N) result: no copy.
        return output.reshape(out_channels, out_h, out_w, batch).transpose(3, 0, 1, 2)

    def backward(self, grad_output):
        xp = backend_of(grad_output).xp
        needs_x, needs_weight, *needs_bias = self.needs_input_grad
        out_channels, in_channels, kernel_h, kernel_w = self.weight.shape
        batch, _, out_h, out_w = grad_output.shape
        # (N, C_out, OH, OW) -> (C_out, OH·OW·N), the layout of the forward GEMM's output
        # (a view when the gradient kept the forward output's memory layout).
        grad_rows = xp.ascontiguousarray(grad_output.transpose(1, 2, 3, 0)).reshape(
            out_channels, -1
        )
        grad_x = grad_weight = grad_bias = None
        if needs_weight:
            grad_weight = (grad_rows @ self.columns.T).reshape(self.weight.shape)
            self.columns = None  # freed before ∂x's im2col-sized temporary
        if needs_x:
            _, _, padded_h, padded_w = self.padded_shape
            grad_columns = self.weight.reshape(out_channels, -1).T @ grad_rows
            # (N, C, kH, kW, OH, OW) view of it, laid out like the forward's windows.
            grad_windows = grad_columns.reshape(
                in_channels, kernel_h, kernel_w, out_h, out_w, batch
            ).transpose(5, 0, 1, 2, 3, 4)
            grad_padded = xp.zeros(
                (in_channels, padded_h, padded_w, batch), dtype=grad_output.dtype
            ).transpose(3, 0, 1, 2)
            add_windows_back(grad_windows, self.stride, out=grad_padded)
            grad_x = unpad_spatial(grad_padded, self.padding)
        if not needs_bias:  # called without a bias
            return grad_x, grad_weight
        if needs_bias[0]:
            grad_bias = grad_rows.sum(axis=1)
        return grad_x, grad_weight, grad_bias

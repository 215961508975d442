"""2-D convolution (NCHW cross-correlation) as im2col + one GEMM.

The idea, from the inside out:

- ``sliding_windows`` views every kernel-sized window of the (padded) input at once, as
  a 6-D array, by choosing strides: no data is copied.
- im2col lays those windows out as the columns of one matrix, (C·kH·kW, OH·OW·N).
- The convolution is then a single matrix product, W (C_out, C·kH·kW) @ columns, done
  in bands of output rows so that each band's columns stay in cache (``row_bands``).
- Backward: ∂L/∂W is one more GEMM; ∂L/∂x goes back through the same windows
  (col2im), adding each window's gradient into the pixels it was read from.

Memory layout. Shapes are NCHW everywhere, but inside a convolution the batch axis is
innermost in memory: (C, H, W, N). A window's row is only OW pixels long (11 in the
documents' CNN), too short for a fast copy; with the batch innermost, one window offset
(i, j) of every window of every sample is a block whose rows are OW·N contiguous numbers
(704), so im2col and col2im move long runs. The output is returned as an NCHW-shaped view
of that (C_out, OH, OW, N) memory: no transpose is copied, and the elementwise ops and
pooling that follow keep the layout, so the next convolution gets its input for free.

Read ``Conv2dSimple`` (``conv2d_simple``) first: the same convolution written as the
formula, one kernel offset at a time. It is the tests' oracle for ``Conv2d``.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from minidl.autograd import Function
from minidl.backend import backend_of


def as_pair(value: Any, name: str) -> tuple[int, int]:
    """``value`` (an int, or a pair for height and width) as a pair of ints."""
    if isinstance(value, numbers.Integral):
        pair = (value, value)
    elif isinstance(value, (tuple, list)):
        pair = tuple(value)
    else:
        pair = ()  # a float, a string, None: refused below
    if len(pair) != 2 or not all(
        isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in pair
    ):
        raise TypeError(f"{name} must be an int or a pair of ints (height, width), got {value!r}")
    return int(pair[0]), int(pair[1])


def output_size(size: int, kernel: int, stride: int, padding: int) -> int:
    """Positions a kernel takes along one axis: ⌊(size + 2·padding − kernel) / stride⌋ + 1."""
    return (size + 2 * padding - kernel) // stride + 1


def kernel_offsets(kernel_size: tuple[int, int]) -> list[tuple[int, int]]:
    """The (i, j) offsets inside a kernel window, row by row: (0, 0), (0, 1), ..."""
    kernel_h, kernel_w = kernel_size
    return [(i, j) for i in range(kernel_h) for j in range(kernel_w)]


def offset_slice(i: int, j: int, stride: tuple[int, int], out_shape: tuple[int, int]):
    """The index that picks offset (i, j) of every window out of the (padded) input:
    ``x_padded[offset_slice(i, j, ...)][n, c, oh, ow] == x_padded[n, c, oh·s_h + i, ow·s_w + j]``.
    """
    (stride_h, stride_w), (out_h, out_w) = stride, out_shape
    rows = slice(i, i + stride_h * out_h, stride_h)
    columns = slice(j, j + stride_w * out_w, stride_w)
    return (slice(None), slice(None), rows, columns)


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
    for i, j in kernel_offsets((kernel_h, kernel_w)):
        out[offset_slice(i, j, stride, (out_h, out_w))] += grad_windows[:, :, i, j]
    return out


def unpad_spatial(grad_padded, padding: tuple[int, int]):
    """Drop the padded border again (the gradient of padding is cropping)."""
    pad_h, pad_w = padding
    height, width = grad_padded.shape[2] - 2 * pad_h, grad_padded.shape[3] - 2 * pad_w
    return grad_padded[:, :, pad_h : pad_h + height, pad_w : pad_w + width]


def im2col(x_padded, kernel_size, stride):
    """The (C·kH·kW, OH·OW·N) matrix whose columns are x's windows.

    With x stored batch-innermost (``batch_innermost``), the copy of the windows in the
    order (C, kH, kW, OH, OW, N) reads and writes runs of OW·N contiguous numbers.
    """
    xp = backend_of(x_padded).xp
    windows = sliding_windows(x_padded, tuple(kernel_size), stride)
    _, channels, kernel_h, kernel_w, _, _ = windows.shape
    columns = xp.ascontiguousarray(windows.transpose(1, 2, 3, 4, 5, 0))
    return columns.reshape(channels * kernel_h * kernel_w, -1)


#: The size of one band's im2col matrix, per backend name: a convolution setting, not a
#: property of the device. On a CPU a band of 2 MiB stays in cache between the copy that
#: writes it and the GEMM that reads it (1, 2, 4, 8 MiB and unbanded were measured on
#: the documents' CNN: 1-2 MiB was fastest, see benchmarks/README.md). A GPU gains
#: nothing from cache-sized pieces and each piece costs kernel launches, so CuPy's bands
#: are only bounded to keep a huge im2col matrix from filling the device. A backend not
#: listed here gets ``DEFAULT_BAND_BYTES``; add its name to tune it.
BAND_BYTES = {"numpy": 2 * 2**20, "cupy": 256 * 2**20}
DEFAULT_BAND_BYTES = 2 * 2**20


def band_bytes(backend_name: str) -> int:
    """How large a band's im2col matrix may be on the backend called ``backend_name``."""
    return BAND_BYTES.get(backend_name, DEFAULT_BAND_BYTES)


def row_bands(out_h: int, bytes_per_row: int, band_bytes: int) -> list[tuple[int, int]]:
    """Split output rows 0..out_h into about equal bands of at most ``band_bytes`` each
    (one row per band when a row alone is larger); see ``BAND_BYTES``."""
    count = max(1, -(-out_h * bytes_per_row // band_bytes))  # ceil division
    count = min(count, out_h)
    size = -(-out_h // count)
    return [(first, min(out_h, first + size)) for first in range(0, out_h, size)]


def input_rows(x_padded, first: int, stop: int, kernel_size, stride):
    """The rows of x (N, C, H, W) that output rows first..stop−1 read."""
    return x_padded[:, :, first * stride[0] : (stop - 1) * stride[0] + kernel_size[0]]


class Conv2dSimple(Function):
    """FORMULAS N2 as written, one kernel offset at a time: the simple twin of ``Conv2d``.

        output[n, f, oh, ow] = b_f + Σ_{i,j} Σ_c W[f, c, i, j] · x[n, c, oh·s + i, ow·s + j]

    For one offset (i, j), the pixels x[n, c, oh·s + i, ow·s + j] of every window form
    one strided slice of the (padded) input, (N, C, OH, OW) (``offset_slice``); the sum
    over c is then one product with W[:, :, i, j] for all windows at once. So the loops
    run over the kH·kW offsets only, never over pixels. Backward follows the same sums:

        ∂W[f, c, i, j]                = Σ_{n,oh,ow} ∂Y[n, f, oh, ow] · x[n, c, oh·s + i, ow·s + j]
        ∂x[n, c, oh·s + i, ow·s + j] += Σ_f W[f, c, i, j] · ∂Y[n, f, oh, ow]
        ∂b_f                          = Σ_{n,oh,ow} ∂Y[n, f, oh, ow]

    ``+=`` because overlapping windows (stride < kernel) read the same pixel. Readable and
    exact, but each offset walks the whole input: the tests use it as the oracle for
    ``Conv2d``, which computes the same numbers with a few large GEMMs.
    """

    def forward(self, x, weight, bias=None, stride=(1, 1), padding=(0, 0)):
        xp = backend_of(x).xp
        self.stride, self.padding = stride, padding
        self.x_padded, self.weight = pad_spatial(x, padding), weight
        batch, _, height, width = x.shape
        out_channels, _, kernel_h, kernel_w = weight.shape
        out_h = output_size(height, kernel_h, stride[0], padding[0])
        out_w = output_size(width, kernel_w, stride[1], padding[1])
        output = xp.zeros(
            (batch, out_channels, out_h, out_w), np.result_type(x.dtype, weight.dtype)
        )
        for i, j in kernel_offsets((kernel_h, kernel_w)):
            pixels = self.x_padded[offset_slice(i, j, stride, (out_h, out_w))]
            output += xp.einsum("nchw,fc->nfhw", pixels, weight[:, :, i, j])
        if bias is not None:
            output += bias.reshape(1, out_channels, 1, 1)
        return output

    def backward(self, grad_output):
        xp = backend_of(grad_output).xp
        needs_x, needs_weight, *needs_bias = self.needs_input_grad
        out_shape = grad_output.shape[2:]
        grad_padded = xp.zeros_like(self.x_padded, dtype=grad_output.dtype)
        grad_weight = xp.zeros_like(self.weight, dtype=grad_output.dtype)
        for i, j in kernel_offsets(self.weight.shape[2:]):
            window = offset_slice(i, j, self.stride, out_shape)
            grad_weight[:, :, i, j] = xp.einsum("nfhw,nchw->fc", grad_output, self.x_padded[window])
            grad_padded[window] += xp.einsum("fc,nfhw->nchw", self.weight[:, :, i, j], grad_output)
        grad_x = unpad_spatial(grad_padded, self.padding) if needs_x else None
        grad_weight = grad_weight if needs_weight else None
        if not needs_bias:  # called without a bias
            return grad_x, grad_weight
        return grad_x, grad_weight, grad_output.sum(axis=(0, 2, 3))


def conv2d_simple(x, weight, bias=None, stride=1, padding=0):
    """``F.conv2d``'s simple twin (``Conv2dSimple``): the same arguments and numbers, as
    the formula is written. For reading and for testing; ``F.conv2d`` is the fast one."""
    stride, padding = as_pair(stride, "stride"), as_pair(padding, "padding")
    inputs = (x, weight) if bias is None else (x, weight, bias)
    return Conv2dSimple.apply(*inputs, stride=stride, padding=padding)


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

    The columns of a band of output rows depend only on the input rows under it, so each
    product is done band by band (``row_bands``): a band's im2col matrix, a few MiB, stays
    in the CPU's cache between the copy that makes it and the GEMM that reads it, and the
    whole matrix (9 times the input's size) never exists. Backward rebuilds each band's
    columns from the saved input rather than keeping them all.
    """

    def forward(self, x, weight, bias=None, stride=(1, 1), padding=(0, 0)):
        xp = backend_of(x).xp
        out_channels, kernel_size = weight.shape[0], weight.shape[2:]
        self.stride, self.padding, self.weight = stride, padding, weight
        x_padded = batch_innermost(x, padding)
        self.x_padded = x_padded if self.needs_input_grad[1] else None
        self.padded_shape = x_padded.shape
        batch, _, height, width = x.shape
        out_h = output_size(height, kernel_size[0], stride[0], padding[0])
        out_w = output_size(width, kernel_size[1], stride[1], padding[1])
        weight_rows = weight.reshape(out_channels, -1)
        # (C_out, OH, OW, N): returned below as an NCHW-shaped view, no transpose copied.
        output = xp.empty(
            (out_channels, out_h, out_w, batch), np.result_type(x.dtype, weight.dtype)
        )
        bytes_per_row = weight_rows.shape[1] * out_w * batch * x.itemsize
        self.bands = row_bands(out_h, bytes_per_row, band_bytes(backend_of(x).name))
        for first, stop in self.bands:
            columns = im2col(
                input_rows(x_padded, first, stop, kernel_size, stride), kernel_size, stride
            )
            xp.matmul(weight_rows, columns, out=output[:, first:stop].reshape(out_channels, -1))
        if bias is not None:
            output += bias.reshape(out_channels, 1, 1, 1)
        return output.transpose(3, 0, 1, 2)

    def backward(self, grad_output):
        xp = backend_of(grad_output).xp
        needs_x, needs_weight, *needs_bias = self.needs_input_grad
        out_channels, in_channels, kernel_h, kernel_w = self.weight.shape
        kernel_size, stride = (kernel_h, kernel_w), self.stride
        batch, _, out_h, out_w = grad_output.shape
        weight_rows = self.weight.reshape(out_channels, -1)
        # (N, C_out, OH, OW) -> (C_out, OH, OW, N), the layout of the forward's output
        # (a view when the gradient kept that memory layout).
        grad_rows = xp.ascontiguousarray(grad_output.transpose(1, 2, 3, 0))
        grad_x = grad_weight = grad_bias = None
        if needs_weight:
            grad_weight = xp.zeros(weight_rows.shape, dtype=grad_output.dtype)
        if needs_x:
            _, _, padded_h, padded_w = self.padded_shape
            grad_padded = xp.zeros(
                (in_channels, padded_h, padded_w, batch), dtype=grad_output.dtype
            ).transpose(3, 0, 1, 2)
        if needs_weight or needs_x:
            for first, stop in self.bands:
                grad_band = grad_rows[:, first:stop].reshape(out_channels, -1)
                if needs_weight:
                    columns = im2col(
                        input_rows(self.x_padded, first, stop, kernel_size, stride),
                        kernel_size,
                        stride,
                    )
                    grad_weight += grad_band @ columns.T
                if needs_x:
                    grad_columns = weight_rows.T @ grad_band
                    # (N, C, kH, kW, rows, OW) view of it, laid out like the windows.
                    grad_windows = grad_columns.reshape(
                        in_channels, kernel_h, kernel_w, stop - first, out_w, batch
                    ).transpose(5, 0, 1, 2, 3, 4)
                    add_windows_back(
                        grad_windows,
                        stride,
                        out=input_rows(grad_padded, first, stop, kernel_size, stride),
                    )
        if needs_weight:
            grad_weight = grad_weight.reshape(self.weight.shape)
        if needs_x:
            grad_x = unpad_spatial(grad_padded, self.padding)
        if not needs_bias:  # called without a bias
            return grad_x, grad_weight
        if needs_bias[0]:
            grad_bias = grad_rows.reshape(out_channels, -1).sum(axis=1)
        return grad_x, grad_weight, grad_bias

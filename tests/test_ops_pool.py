"""max_pool2d and avg_pool2d against loop references, gradients by gradcheck, errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from strategies import float_arrays, leaf

import minidl as mdl
from minidl import functional as F


def pool_reference(x, kernel, stride, padding, reduce):
    """One window at a time: ``reduce`` over each (padded) window. Max pads with −inf,
    average with 0 (divisor kH·kW, as documented)."""
    (kernel_h, kernel_w), (stride_h, stride_w), (pad_h, pad_w) = kernel, stride, padding
    batch, channels, height, width = x.shape
    fill = -np.inf if reduce is np.max else 0.0
    padded = np.full((batch, channels, height + 2 * pad_h, width + 2 * pad_w), fill)
    padded[:, :, pad_h : pad_h + height, pad_w : pad_w + width] = x
    out_h = (height + 2 * pad_h - kernel_h) // stride_h + 1
    out_w = (width + 2 * pad_w - kernel_w) // stride_w + 1
    output = np.empty((batch, channels, out_h, out_w))
    for oh in range(out_h):
        for ow in range(out_w):
            window = padded[:, :, oh * stride_h :, ow * stride_w :][:, :, :kernel_h, :kernel_w]
            output[:, :, oh, ow] = reduce(window, axis=(2, 3))
    return output


@st.composite
def pool_case(draw, max_side=5):
    """Random sizes (odd ones included), overlapping or gapped strides, legal padding."""
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    padding = (draw(st.integers(0, kernel[0] // 2)), draw(st.integers(0, kernel[1] // 2)))
    height = draw(st.integers(max(1, kernel[0] - 2 * padding[0]), max_side))
    width = draw(st.integers(max(1, kernel[1] - 2 * padding[1]), max_side))
    batch, channels = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    return draw(float_arrays((batch, channels, height, width))), kernel, stride, padding


def _has_no_near_ties(x, kernel, stride, padding):
    """True when every window's largest value beats the runner-up by a clear margin, so
    that ±eps in gradcheck never changes which element wins."""
    (kernel_h, kernel_w), (stride_h, stride_w), (pad_h, pad_w) = kernel, stride, padding
    padded = np.pad(x, ((0, 0), (0, 0), (pad_h, pad_h), (pad_w, pad_w)), constant_values=-np.inf)
    out_h = (padded.shape[2] - kernel_h) // stride_h + 1
    out_w = (padded.shape[3] - kernel_w) // stride_w + 1
    for oh in range(out_h):
        for ow in range(out_w):
            window = padded[:, :, oh * stride_h :, ow * stride_w :][:, :, :kernel_h, :kernel_w]
            ordered = np.sort(window.reshape(*window.shape[:2], -1), axis=-1)
            if ordered.shape[-1] > 1 and np.any(ordered[..., -1] - ordered[..., -2] < 1e-3):
                return False
    return True


@given(case=pool_case())
def test_max_pool2d(backend, case):
    x, kernel, stride, padding = case
    assume(_has_no_near_ties(x, kernel, stride, padding))  # max is not differentiable at ties
    t = leaf(x)
    result = F.max_pool2d(t, kernel, stride, padding=padding).numpy()
    np.testing.assert_array_equal(result, pool_reference(x, kernel, stride, padding, np.max))
    assert mdl.gradcheck(lambda v: F.max_pool2d(v, kernel, stride, padding=padding), [t])


@given(case=pool_case())
def test_avg_pool2d(backend, case):
    x, kernel, stride, padding = case
    t = leaf(x)
    result = F.avg_pool2d(t, kernel, stride, padding=padding).numpy()
    expected = pool_reference(x, kernel, stride, padding, np.mean)
    np.testing.assert_allclose(result, expected, rtol=1e-12, atol=1e-12)
    assert mdl.gradcheck(lambda v: F.avg_pool2d(v, kernel, stride, padding=padding), [t])


def test_stride_defaults_to_kernel_size(backend):
    x = mdl.tensor(np.arange(16.0).reshape(1, 1, 4, 4))
    np.testing.assert_array_equal(F.max_pool2d(x, 2).numpy()[0, 0], [[5, 7], [13, 15]])
    np.testing.assert_array_equal(F.avg_pool2d(x, 2).numpy()[0, 0], [[2.5, 4.5], [10.5, 12.5]])


def test_max_pool_gradient_goes_to_the_argmax_once_even_with_ties(backend):
    x = mdl.tensor(np.array([[[[1.0, 1.0], [0.0, 1.0]]]]), requires_grad=True)
    F.max_pool2d(x, 2).sum().backward()
    # Three elements tie for the max: only the first (row order) gets the gradient.
    np.testing.assert_array_equal(mdl.get_backend().to_host(x.grad)[0, 0], [[1, 0], [0, 0]])


def test_max_pool_overlapping_windows_add_gradients(backend):
    # Stride 1, 2×2 windows over a 3×3 input whose centre is the largest: all 4 windows
    # choose the centre, so it receives 4 gradients.
    values = np.zeros((1, 1, 3, 3))
    values[0, 0, 1, 1] = 5.0
    x = mdl.tensor(values, requires_grad=True)
    F.max_pool2d(x, 2, stride=1).sum().backward()
    grad = mdl.get_backend().to_host(x.grad)[0, 0]
    np.testing.assert_array_equal(grad, [[0, 0, 0], [0, 4, 0], [0, 0, 0]])


def test_max_pool_padding_never_wins(backend):
    x = mdl.tensor(np.full((1, 1, 2, 2), -3.0), requires_grad=True)
    result = F.max_pool2d(x, 2, stride=1, padding=1)
    np.testing.assert_array_equal(result.numpy(), np.full((1, 1, 3, 3), -3.0))
    result.sum().backward()
    assert mdl.get_backend().to_host(x.grad).sum() == 9  # every window's gradient arrived


def test_pools_keep_float32(backend):
    x = mdl.tensor(
        np.random.default_rng(0).standard_normal((2, 3, 6, 6)), dtype="float32", requires_grad=True
    )
    for pool in (F.max_pool2d, F.avg_pool2d):
        y = pool(x, 2)
        y.sum().backward()
        assert y.dtype == np.float32 and x.grad.dtype == np.float32


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize("pool", [F.max_pool2d, F.avg_pool2d])
def test_pool_needs_4d_input(backend, pool):
    with pytest.raises(
        ValueError, match=r"4-D input \(batch, channels, height, width\).*\(3, 8, 8\)"
    ):
        pool(mdl.tensor(np.ones((3, 8, 8))), 2)


@pytest.mark.parametrize("pool", [F.max_pool2d, F.avg_pool2d])
def test_pool_kernel_larger_than_input(backend, pool):
    with pytest.raises(ValueError, match=r"kernel size \(3, 3\).*\(2, 2\).*\(1, 1, 2, 2\)"):
        pool(mdl.tensor(np.ones((1, 1, 2, 2))), 3)


def test_pool_padding_at_most_half_the_kernel(backend):
    with pytest.raises(ValueError, match=r"padding \(2, 2\).*half the kernel size \(2, 2\)"):
        F.max_pool2d(mdl.tensor(np.ones((1, 1, 4, 4))), 2, padding=2)


def max_pool_grad_reference(x, kernel, stride, padding):
    """∂(Σ max_pool2d(x))/∂x one window at a time: each window adds 1 at its first
    maximum in row order (np.argmax's rule), so ties and overlapping windows are exact."""
    (kernel_h, kernel_w), (stride_h, stride_w), (pad_h, pad_w) = kernel, stride, padding
    batch, channels, height, width = x.shape
    padded = np.full((batch, channels, height + 2 * pad_h, width + 2 * pad_w), -np.inf)
    padded[:, :, pad_h : pad_h + height, pad_w : pad_w + width] = x
    grad = np.zeros_like(padded)
    out_h = (padded.shape[2] - kernel_h) // stride_h + 1
    out_w = (padded.shape[3] - kernel_w) // stride_w + 1
    for n in range(batch):
        for c in range(channels):
            for oh in range(out_h):
                for ow in range(out_w):
                    top, left = oh * stride_h, ow * stride_w
                    window = padded[n, c, top : top + kernel_h, left : left + kernel_w]
                    i, j = np.unravel_index(np.argmax(window), window.shape)
                    grad[n, c, top + i, left + j] += 1
    return grad[:, :, pad_h : pad_h + height, pad_w : pad_w + width]


@given(case=pool_case(), levels=st.integers(1, 3))
def test_max_pool_ties_go_to_the_first_maximum_in_row_order(backend, case, levels):
    # Values from a few levels only, so that most windows hold ties (like ReLU's zeros).
    x, kernel, stride, padding = case
    x = np.floor((x + 3) / 6 * levels)
    leaf_x = leaf(x)
    F.max_pool2d(leaf_x, kernel, stride, padding).sum().backward()
    expected = max_pool_grad_reference(x, kernel, stride, padding)
    np.testing.assert_array_equal(mdl.get_backend().to_host(leaf_x.grad), expected)

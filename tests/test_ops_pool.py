"""max_pool2d against its simple twin (max_pool2d_simple: the formula, NumPy's argmax
choosing each window's winner), avg_pool2d as a convolution with a constant kernel,
the twins against PyTorch, gradients by gradcheck, errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import float_arrays, leaf

import minidl as mdl
from minidl import functional as F
from minidl.ops.conv import conv2d_simple
from minidl.ops.pool import max_pool2d_simple


def host_grad(tensor):
    return mdl.get_backend().to_host(tensor.grad)


def max_pool_oracle(x, kernel, stride, padding):
    """max_pool2d_simple on a host array: output values and ∂(Σ output)/∂x."""
    t = leaf(x)
    out = max_pool2d_simple(t, kernel, stride, padding)
    out.sum().backward()
    return out.numpy(), host_grad(t)


def avg_pool_oracle(x, kernel, stride, padding):
    """Average pooling is a convolution of each channel alone with a constant kernel
    1/(kH·kW) (zero padding counted in the mean): conv2d_simple computes it."""
    batch, channels, height, width = x.shape
    one_channel = mdl.tensor(x.reshape(batch * channels, 1, height, width))
    kernel_of_means = mdl.tensor(np.full((1, 1, *kernel), 1.0 / (kernel[0] * kernel[1])))
    out = conv2d_simple(one_channel, kernel_of_means, stride=stride, padding=padding).numpy()
    return out.reshape(batch, channels, *out.shape[2:])


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


@given(case=pool_case(), levels=st.none() | st.integers(1, 3))
def test_max_pool2d_matches_its_simple_twin(backend, case, levels):
    # With `levels`, values come from a few levels only, so that most windows hold ties
    # (like ReLU's zeros): the gradient must go to the first maximum in row order.
    x, kernel, stride, padding = case
    if levels is not None:
        x = np.floor((x + 3) / 6 * levels)
    t = leaf(x)
    out = F.max_pool2d(t, kernel, stride, padding=padding)
    out.sum().backward()
    expected_out, expected_grad = max_pool_oracle(x, kernel, stride, padding)
    np.testing.assert_array_equal(out.numpy(), expected_out)
    np.testing.assert_array_equal(host_grad(t), expected_grad)


@given(case=pool_case())
def test_max_pool2d_and_its_twin_pass_gradcheck(backend, case):
    x, kernel, stride, padding = case
    # max is not differentiable at ties: the values' ranks, 0.1 apart, keep the drawn
    # order while no ±eps of gradcheck can change a window's winner.
    x = np.argsort(np.argsort(x, axis=None)).reshape(x.shape) * 0.1
    assert mdl.gradcheck(lambda v: F.max_pool2d(v, kernel, stride, padding=padding), [leaf(x)])
    assert mdl.gradcheck(lambda v: max_pool2d_simple(v, kernel, stride, padding), [leaf(x)])


@pytest.mark.parametrize("size", range(1, 18))
def test_max_pool2d_any_window_size_matches_its_twin(backend, size):
    # 17×17 = 289 positions: more than one byte can number (the winner's index type
    # grows with the window).
    x = np.floor(np.random.default_rng(size).uniform(0, 4, (2, 2, 18, 19)))  # many ties
    for stride in {1, size}:
        t = leaf(x)
        out = F.max_pool2d(t, size, stride)
        out.sum().backward()
        expected_out, expected_grad = max_pool_oracle(x, (size, size), (stride, stride), (0, 0))
        np.testing.assert_array_equal(out.numpy(), expected_out)
        np.testing.assert_array_equal(host_grad(t), expected_grad)


def test_winner_index_type_grows_with_the_window():
    from minidl.ops.pool import position_dtype

    assert position_dtype((16, 16)) == np.uint8  # positions 0..255
    assert position_dtype((17, 17)) == np.uint16
    assert position_dtype((1, 256 * 256)) == np.uint16
    assert position_dtype((1, 256 * 256 + 1)) == np.uint32


@given(case=pool_case())
def test_avg_pool2d(backend, case):
    x, kernel, stride, padding = case
    t = leaf(x)
    result = F.avg_pool2d(t, kernel, stride, padding=padding).numpy()
    expected = avg_pool_oracle(x, kernel, stride, padding)
    np.testing.assert_allclose(result, expected, rtol=1e-12, atol=1e-12)
    assert mdl.gradcheck(lambda v: F.avg_pool2d(v, kernel, stride, padding=padding), [t])


@pytest.mark.parametrize(
    "kernel, stride, padding", [(2, 2, 0), (3, 1, 1), ((3, 2), (2, 3), (1, 0))]
)
def test_pool_twins_match_pytorch(kernel, stride, padding):
    torch = pytest.importorskip("torch")
    x = np.floor(np.random.default_rng(0).uniform(0, 3, (2, 3, 9, 8)))  # ties included
    out, grad = max_pool_oracle(x, *(pair(v) for v in (kernel, stride, padding)))
    torch_x = torch.tensor(x, requires_grad=True)
    torch_out = torch.nn.functional.max_pool2d(torch_x, kernel, stride, padding)
    torch_out.sum().backward()
    np.testing.assert_array_equal(out, torch_out.detach().numpy())
    np.testing.assert_array_equal(grad, torch_x.grad.numpy())
    expected = torch.nn.functional.avg_pool2d(torch.tensor(x), kernel, stride, padding).numpy()
    got = avg_pool_oracle(x, *(pair(v) for v in (kernel, stride, padding)))
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


def pair(value):
    return (value, value) if isinstance(value, int) else value


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

"""conv2d against its simple twin (conv2d_simple, the formula one kernel offset at a
time), the twin against PyTorch and by hand, gradients by gradcheck, errors that teach."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import float_arrays, leaf

import minidl as mdl
from minidl import functional as F
from minidl.ops.conv import conv2d_simple


def conv2d_oracle(x, weight, bias=None, stride=(1, 1), padding=(0, 0)):
    """conv2d_simple on host arrays, as a host array: the test oracle for conv2d."""
    inputs = [mdl.tensor(x), mdl.tensor(weight)] + ([] if bias is None else [mdl.tensor(bias)])
    return conv2d_simple(*inputs, stride=stride, padding=padding).numpy()


def host_grads(tensors):
    return [mdl.get_backend().to_host(t.grad) for t in tensors]


@st.composite
def conv_case(draw, max_side=5):
    """Random (odd sizes included) input, kernel, stride and padding where the kernel fits."""
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    padding = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    height = draw(st.integers(max(1, kernel[0] - 2 * padding[0]), max_side))
    width = draw(st.integers(max(1, kernel[1] - 2 * padding[1]), max_side))
    batch, in_channels, out_channels = (draw(st.integers(1, 2)) for _ in range(3))
    x = draw(float_arrays((batch, in_channels, height, width)))
    weight = draw(float_arrays((out_channels, in_channels, *kernel)))
    bias = draw(st.none() | float_arrays((out_channels,)))
    return x, weight, bias, stride, padding


@given(case=conv_case())
def test_conv2d_matches_its_simple_twin_and_gradcheck(backend, case):
    x, weight, bias, stride, padding = case
    arrays = [x, weight] + ([] if bias is None else [bias])
    fast_inputs, simple_inputs = [leaf(a) for a in arrays], [leaf(a) for a in arrays]
    fast = F.conv2d(*fast_inputs, stride=stride, padding=padding)
    simple = conv2d_simple(*simple_inputs, stride=stride, padding=padding)
    np.testing.assert_allclose(fast.numpy(), simple.numpy(), rtol=1e-10, atol=1e-10)
    upstream = np.random.default_rng(0).standard_normal(fast.shape)
    (fast * mdl.tensor(upstream)).sum().backward()
    (simple * mdl.tensor(upstream)).sum().backward()
    for got, expected in zip(host_grads(fast_inputs), host_grads(simple_inputs)):
        np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-10)
    # The oracle's own backward is proved against central differences, like the fast one's.
    assert mdl.gradcheck(lambda *t: F.conv2d(*t, stride=stride, padding=padding), fast_inputs)
    assert mdl.gradcheck(
        lambda *t: conv2d_simple(*t, stride=stride, padding=padding), simple_inputs
    )


def test_conv2d_simple_by_hand():
    # Erratum E7's case: a 3×3 kernel on a 3×3 image gives one output, Σ W·x (+ b).
    x = np.arange(9.0).reshape(1, 1, 3, 3)
    weight = np.array([[[[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]]]])
    expected = (x[0, 0] * weight[0, 0]).sum() + 0.5
    np.testing.assert_array_equal(conv2d_oracle(x, weight, np.array([0.5])), [[[[expected]]]])
    # Stride 2 and padding 1 on a 4×4 image with a 2×2 kernel of ones: each output sums
    # the window it reads, the padded zeros included.
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    padded = np.pad(x[0, 0], 1)
    expected = [[padded[r : r + 2, c : c + 2].sum() for c in (0, 2, 4)] for r in (0, 2, 4)]
    result = conv2d_oracle(x, np.ones((1, 1, 2, 2)), stride=2, padding=1)
    np.testing.assert_array_equal(result[0, 0], expected)


@pytest.mark.parametrize("stride, padding", [((1, 1), (0, 0)), ((2, 1), (1, 2)), ((3, 2), (2, 0))])
def test_conv2d_simple_matches_pytorch(stride, padding):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x, weight, bias = (rng.standard_normal(s) for s in [(2, 3, 8, 7), (4, 3, 3, 2), (4,)])
    inputs = [leaf(a) for a in (x, weight, bias)]
    out = conv2d_simple(*inputs, stride=stride, padding=padding)
    upstream = rng.standard_normal(out.shape)
    (out * mdl.tensor(upstream)).sum().backward()
    torch_inputs = [torch.tensor(a, requires_grad=True) for a in (x, weight, bias)]
    torch_out = torch.nn.functional.conv2d(*torch_inputs, stride=stride, padding=padding)
    torch_out.backward(torch.tensor(upstream))
    np.testing.assert_allclose(out.numpy(), torch_out.detach().numpy(), rtol=1e-12, atol=1e-12)
    for ours, theirs in zip(host_grads(inputs), torch_inputs):
        np.testing.assert_allclose(ours, theirs.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_conv2d_int_stride_and_padding_mean_both_axes(backend):
    rng = np.random.default_rng(0)
    x, weight = rng.standard_normal((2, 3, 7, 6)), rng.standard_normal((4, 3, 3, 2))
    result = F.conv2d(mdl.tensor(x), mdl.tensor(weight), stride=2, padding=1).numpy()
    np.testing.assert_allclose(result, conv2d_oracle(x, weight, None, (2, 2), (1, 1)))


def test_conv2d_float32_end_to_end(backend):
    # The benchmark's shape: a batch of 28×28 images, 32 output channels.
    rng = np.random.default_rng(0)
    x = mdl.tensor(rng.standard_normal((4, 1, 28, 28)), dtype="float32", requires_grad=True)
    weight = mdl.tensor(rng.standard_normal((32, 1, 3, 3)), dtype="float32", requires_grad=True)
    bias = mdl.tensor(np.zeros(32), dtype="float32", requires_grad=True)
    y = F.conv2d(x, weight, bias)
    y.sum().backward()
    assert y.shape == (4, 32, 26, 26) and y.dtype == np.float32
    assert x.grad.dtype == weight.grad.dtype == bias.grad.dtype == np.float32
    expected = conv2d_oracle(x.numpy()[:1], weight.numpy()[:2])
    np.testing.assert_allclose(y.numpy()[:1, :2], expected, rtol=1e-5, atol=1e-5)


def test_conv2d_skips_unneeded_gradients(backend):
    x = mdl.tensor(np.ones((1, 1, 3, 3)))
    weight = mdl.tensor(np.ones((1, 1, 2, 2)), requires_grad=True)
    F.conv2d(x, weight).sum().backward()
    assert x.grad is None
    np.testing.assert_array_equal(
        mdl.get_backend().to_host(weight.grad), np.full((1, 1, 2, 2), 4.0)
    )


def test_conv2d_overlapping_windows_add_their_gradients(backend):
    # Stride 1, 2×2 kernel of ones on 3×3: the centre pixel is in all 4 windows.
    x = mdl.tensor(np.zeros((1, 1, 3, 3)), requires_grad=True)
    F.conv2d(x, mdl.tensor(np.ones((1, 1, 2, 2)))).sum().backward()
    expected = [[1, 2, 1], [2, 4, 2], [1, 2, 1]]
    np.testing.assert_array_equal(mdl.get_backend().to_host(x.grad)[0, 0], expected)


# --------------------------------------------------------------------------- errors


def test_conv2d_channel_mismatch(backend):
    x, weight = mdl.tensor(np.ones((2, 3, 5, 5))), mdl.tensor(np.ones((4, 1, 3, 3)))
    with pytest.raises(
        ValueError, match=r"\(4, 1, 3, 3\) expects 1 input channels.*\(2, 3, 5, 5\)"
    ):
        F.conv2d(x, weight)


def test_conv2d_channels_last_hint(backend):
    x, weight = mdl.tensor(np.ones((2, 5, 5, 3))), mdl.tensor(np.ones((4, 3, 3, 3)))
    with pytest.raises(ValueError, match="channels-last"):
        F.conv2d(x, weight)


def test_conv2d_needs_4d_input(backend):
    with pytest.raises(
        ValueError, match=r"4-D input \(batch, channels, height, width\).*\(1, 5, 5\)"
    ):
        F.conv2d(mdl.tensor(np.ones((1, 5, 5))), mdl.tensor(np.ones((1, 1, 3, 3))))


def test_conv2d_kernel_larger_than_padded_input(backend):
    x, weight = mdl.tensor(np.ones((1, 1, 2, 2))), mdl.tensor(np.ones((1, 1, 5, 5)))
    with pytest.raises(ValueError, match=r"kernel size \(5, 5\).*\(4, 4\).*\(1, 1, 2, 2\)"):
        F.conv2d(x, weight, padding=1)
    # With enough padding the same kernel fits.
    assert F.conv2d(x, weight, padding=2).shape == (1, 1, 2, 2)


def test_conv2d_bias_shape(backend):
    x, weight = mdl.tensor(np.ones((1, 1, 3, 3))), mdl.tensor(np.ones((2, 1, 2, 2)))
    with pytest.raises(ValueError, match=r"bias of shape \(2,\).*got \(3,\)"):
        F.conv2d(x, weight, mdl.tensor(np.ones(3)))


def test_conv2d_bad_stride(backend):
    x, weight = mdl.tensor(np.ones((1, 1, 3, 3))), mdl.tensor(np.ones((1, 1, 2, 2)))
    with pytest.raises(TypeError, match="stride"):
        F.conv2d(x, weight, stride=(1, 2, 3))
    with pytest.raises(ValueError, match="stride"):
        F.conv2d(x, weight, stride=0)


def _conv_relu_pool(x, weight, bias):
    return F.max_pool2d(F.relu(F.conv2d(x, weight, bias, padding=1)), 2)


@pytest.mark.parametrize("layout", ["batch innermost", "transposed view", "strided slice"])
def test_conv_and_pool_give_the_same_numbers_for_any_memory_layout(backend, layout):
    # Convolution works batch-innermost inside (see ops/conv.py); inputs laid out any
    # other way must give the same outputs and gradients as a plain C-ordered array.
    rng = np.random.default_rng(0)
    values = rng.standard_normal((3, 2, 6, 7))
    weight, bias = rng.standard_normal((4, 2, 3, 3)), rng.standard_normal(4)
    upstream = rng.standard_normal((3, 4, 3, 3))

    def run(make_x):
        x_leaf, x = make_x()
        params = [leaf(weight), leaf(bias)]
        out = _conv_relu_pool(x, *params)
        (out * mdl.tensor(upstream)).sum().backward()
        backend_ = mdl.get_backend()
        return [out.numpy()] + [backend_.to_host(t.grad) for t in [x_leaf, *params]]

    def plain():
        x = leaf(values)
        return x, x

    def other():
        if layout == "batch innermost":  # stored (C, H, W, N), viewed as NCHW
            x = leaf(values.transpose(1, 2, 3, 0))
            return x, x.permute(3, 0, 1, 2)
        if layout == "transposed view":  # stored (W, H, C, N)
            x = leaf(values.transpose(3, 2, 1, 0))
            return x, x.transpose()
        x = leaf(np.repeat(values, 2, axis=3))  # every other column of a wider array
        return x, x[:, :, :, ::2]

    expected, got = run(plain), run(other)
    np.testing.assert_allclose(got[0], expected[0], rtol=1e-12, atol=1e-12)
    for param_grad, expected_grad in zip(got[2:], expected[2:]):  # ∂W, ∂b
        np.testing.assert_allclose(param_grad, expected_grad, rtol=1e-12, atol=1e-12)
    x_grad = got[1]
    if layout == "batch innermost":
        x_grad = x_grad.transpose(3, 0, 1, 2)
    elif layout == "transposed view":
        x_grad = x_grad.transpose()
    else:
        x_grad = x_grad[:, :, :, ::2]
        assert not got[1][:, :, :, 1::2].any()  # the skipped columns get no gradient
    np.testing.assert_allclose(x_grad, expected[1], rtol=1e-12, atol=1e-12)


def test_conv_output_is_a_batch_innermost_view_and_pooling_keeps_it(backend):
    from minidl.ops.layout import memory_order

    rng = np.random.default_rng(0)
    x = leaf(rng.standard_normal((5, 2, 8, 8)))
    weight = leaf(rng.standard_normal((3, 2, 3, 3)))
    conv = F.conv2d(x, weight)
    pooled = F.max_pool2d(F.relu(conv), 2)
    assert conv.shape == (5, 3, 6, 6) and pooled.shape == (5, 3, 3, 3)
    assert memory_order(conv.data) == (1, 2, 3, 0)  # (C, H, W, N) in memory
    assert memory_order(pooled.data) == (1, 2, 3, 0)
    np.testing.assert_allclose(conv.numpy(), conv2d_oracle(x.numpy(), weight.numpy()))


def test_row_bands_cover_every_output_row_once():
    from minidl.ops.conv import row_bands

    band_bytes = 2 * 2**20
    for out_h in [1, 2, 7, 11, 28]:
        for bytes_per_row in [1, band_bytes // 3, band_bytes, 5 * band_bytes]:
            bands = row_bands(out_h, bytes_per_row, band_bytes)
            rows = [row for first, stop in bands for row in range(first, stop)]
            assert rows == list(range(out_h))
            sizes = [stop - first for first, stop in bands]
            assert max(sizes) - min(sizes) <= max(sizes) // 2 + 1  # about equal
            if bytes_per_row <= band_bytes:
                assert max(sizes) * bytes_per_row <= band_bytes or len(bands) == out_h


@pytest.mark.parametrize("stride, padding", [((1, 1), (0, 0)), ((2, 1), (1, 2)), ((3, 2), (2, 0))])
def test_conv2d_in_many_row_bands_matches_one_band(backend, monkeypatch, stride, padding):
    # A tiny band budget forces one output row per band: the same numbers must come out.
    import minidl.ops.conv as conv

    rng = np.random.default_rng(0)
    x, weight, bias = (rng.standard_normal(s) for s in [(3, 2, 9, 8), (4, 2, 3, 3), (4,)])
    upstream = rng.standard_normal(conv2d_oracle(x, weight, bias, stride, padding).shape)

    def run():
        inputs = [leaf(x), leaf(weight), leaf(bias)]
        out = F.conv2d(*inputs, stride=stride, padding=padding)
        (out * mdl.tensor(upstream)).sum().backward()
        return [out.numpy()] + [mdl.get_backend().to_host(t.grad) for t in inputs]

    one_band = run()
    monkeypatch.setitem(conv.BAND_BYTES, mdl.get_backend().name, 1)
    assert len(conv.row_bands(one_band[0].shape[2], 8, 1)) == one_band[0].shape[2]
    many_bands = run()
    np.testing.assert_allclose(one_band[0], conv2d_oracle(x, weight, bias, stride, padding))
    for got, expected in zip(many_bands, one_band):
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
    inputs = [leaf(x[:1]), leaf(weight), leaf(bias)]
    assert mdl.gradcheck(lambda *t: F.conv2d(*t, stride=stride, padding=padding), inputs)


def test_conv_and_pool_backward_twice_with_retain_graph(backend):
    rng = np.random.default_rng(0)
    x = leaf(rng.standard_normal((2, 2, 7, 7)))
    weight, bias = leaf(rng.standard_normal((3, 2, 3, 3))), leaf(rng.standard_normal(3))
    loss = _conv_relu_pool(x, weight, bias).sum()
    loss.backward(retain_graph=True)
    first = [mdl.get_backend().to_host(t.grad).copy() for t in (x, weight, bias)]
    loss.backward()  # gradients accumulate: twice the first
    for tensor, once in zip((x, weight, bias), first):
        np.testing.assert_allclose(mdl.get_backend().to_host(tensor.grad), 2 * once)


def test_band_size_is_a_convolution_setting_chosen_per_backend_name():
    from minidl.ops.conv import BAND_BYTES, DEFAULT_BAND_BYTES, band_bytes

    assert band_bytes("numpy") == 2 * 2**20  # cache-sized on a CPU
    assert band_bytes("cupy") == 256 * 2**20  # few, large pieces on a GPU
    assert band_bytes("a-backend-registered-later") == DEFAULT_BAND_BYTES
    assert set(BAND_BYTES) == {"numpy", "cupy"}
    assert not hasattr(mdl.backend.Backend, "block_bytes")  # not a device property


@pytest.mark.parametrize("argument", ["stride", "padding"])
@pytest.mark.parametrize("value", [1.5, "2", None, (1, 2, 3)])
def test_a_non_integer_stride_or_padding_is_a_clear_type_error(argument, value):
    x = mdl.tensor(np.ones((1, 1, 5, 5), np.float32))
    weight = mdl.tensor(np.ones((1, 1, 3, 3), np.float32))
    with pytest.raises(TypeError, match=f"{argument} must be an int or a pair of ints"):
        F.conv2d(x, weight, **{argument: value})
    with pytest.raises(TypeError, match="must be an int or a pair of ints"):
        F.max_pool2d(x, 1.5)


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint8, np.bool_])
def test_integer_input_is_refused_like_the_activations_and_pooling(dtype):
    """One rule for layers: floating-point input, or a TypeError saying how to convert."""
    x = mdl.tensor(np.ones((1, 1, 5, 5), dtype))
    weight = mdl.tensor(np.ones((1, 1, 3, 3), np.float32))
    for function in (
        lambda: F.conv2d(x, weight),
        lambda: F.max_pool2d(x, 2),
        lambda: F.relu(x),
        lambda: F.linear(x.reshape(1, 25), mdl.tensor(np.ones((2, 25), np.float32))),
    ):
        with pytest.raises(TypeError, match="expected floating-point input, got dtype"):
            function()

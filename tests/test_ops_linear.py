"""The dense layer y = x·Wᵀ + b: values, gradients, skipped gradients, shape errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import float_arrays, leaf

import minidl as mdl
from minidl import functional as F


@st.composite
def linear_operands(draw):
    """x with 1 to 3 leading axes, W (out, in), and a bias or None."""
    leading = draw(st.lists(st.integers(1, 3), min_size=1, max_size=3))
    in_features, out_features = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    x = draw(float_arrays((*leading, in_features)))
    weight = draw(float_arrays((out_features, in_features)))
    bias = draw(st.none() | float_arrays((out_features,)))
    return x, weight, bias


@given(operands=linear_operands())
def test_linear(backend, operands):
    x, weight, bias = operands
    inputs = [leaf(x), leaf(weight)] + ([] if bias is None else [leaf(bias)])
    expected = np.einsum("...i,oi->...o", x, weight) + (0 if bias is None else bias)
    np.testing.assert_allclose(F.linear(*inputs).numpy(), expected, rtol=1e-12, atol=1e-12)
    assert mdl.gradcheck(F.linear, inputs)


def test_linear_skips_gradients_nobody_needs(backend):
    x = mdl.tensor(np.ones((2, 3)))  # data: no gradient wanted
    weight = mdl.tensor(np.ones((4, 3)), requires_grad=True)
    bias = mdl.tensor(np.zeros(4))
    F.linear(x, weight, bias).sum().backward()
    assert x.grad is None and bias.grad is None
    np.testing.assert_array_equal(mdl.get_backend().to_host(weight.grad), np.full((4, 3), 2.0))


def test_linear_keeps_float32(backend):
    x = mdl.tensor(np.ones((5, 3)), dtype="float32", requires_grad=True)
    weight = mdl.tensor(np.ones((2, 3)), dtype="float32", requires_grad=True)
    bias = mdl.tensor(np.ones(2), dtype="float32", requires_grad=True)
    y = F.linear(x, weight, bias)
    y.sum().backward()
    assert y.dtype == np.float32
    assert x.grad.dtype == weight.grad.dtype == bias.grad.dtype == np.float32


def test_linear_in_features_mismatch_names_both_shapes(backend):
    x = mdl.tensor(np.ones((64, 28, 28)))
    weight = mdl.tensor(np.ones((10, 784)))
    with pytest.raises(ValueError, match=r"in_features=784.*\(64, 28, 28\).*flatten"):
        F.linear(x, weight)


def test_linear_bias_shape_mismatch(backend):
    with pytest.raises(ValueError, match=r"bias of shape \(2,\).*got \(3,\)"):
        F.linear(mdl.tensor(np.ones((1, 3))), mdl.tensor(np.ones((2, 3))), mdl.tensor(np.ones(3)))


def test_linear_weight_must_be_2d(backend):
    with pytest.raises(ValueError, match=r"\(out_features, in_features\).*\(3,\)"):
        F.linear(mdl.tensor(np.ones((1, 3))), mdl.tensor(np.ones(3)))


@given(x=float_arrays(st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3))))
def test_flatten_keeps_the_batch_axis(backend, x):
    t = leaf(x)
    flat = F.flatten(t)
    np.testing.assert_array_equal(flat.numpy(), x.reshape(x.shape[0], -1))
    assert mdl.gradcheck(F.flatten, [t])


def test_flatten_needs_a_batch_axis(backend):
    with pytest.raises(ValueError, match="batch axis, got a 0-d tensor"):
        F.flatten(mdl.tensor(1.0))


def test_linear_inference_gives_the_training_numbers(backend):
    # Under no_grad the GEMM runs in the other orientation (Zᵀ = W·Xᵀ, see ops/linear.py);
    # the numbers must not depend on it.
    rng = np.random.default_rng(0)
    x, weight, bias = (rng.standard_normal(s) for s in [(7, 5), (3, 5), (3,)])
    trained = F.linear(leaf(x), leaf(weight), leaf(bias)).numpy()
    with mdl.no_grad():
        inferred = F.linear(leaf(x), leaf(weight), leaf(bias)).numpy()
    np.testing.assert_allclose(inferred, trained, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(trained, x @ weight.T + bias, rtol=1e-12, atol=1e-12)

"""Activations: forward against plain NumPy formulas, backward against gradcheck,
stability at extreme logits."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from strategies import float_arrays, leaf

import minidl as mdl
from minidl import functional as F

shapes = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)


def reference_softmax(x, axis):
    exps = np.exp(x - x.max(axis=axis, keepdims=True))
    return exps / exps.sum(axis=axis, keepdims=True)


@given(x=float_arrays(shapes))
def test_relu(backend, x):
    assume(np.all(np.abs(x) > 1e-3))  # away from the kink at 0, where differences lie
    t = leaf(x)
    np.testing.assert_array_equal(F.relu(t).numpy(), np.where(x > 0, x, 0.0))
    assert mdl.gradcheck(F.relu, [t])


@given(x=float_arrays(shapes, -8.0, 8.0))
def test_sigmoid(backend, x):
    t = leaf(x)
    np.testing.assert_allclose(F.sigmoid(t).numpy(), 1 / (1 + np.exp(-x)), rtol=1e-12)
    assert mdl.gradcheck(F.sigmoid, [t])


@given(x=float_arrays(shapes))
def test_tanh(backend, x):
    t = leaf(x)
    np.testing.assert_allclose(F.tanh(t).numpy(), np.tanh(x), rtol=1e-12)
    assert mdl.gradcheck(F.tanh, [t])


@given(x=float_arrays(shapes), data=st.data())
def test_softmax(backend, x, data):
    axis = data.draw(st.integers(-x.ndim, x.ndim - 1))
    t = leaf(x)
    result = F.softmax(t, axis=axis).numpy()
    np.testing.assert_allclose(result, reference_softmax(x, axis), rtol=1e-12)
    np.testing.assert_allclose(result.sum(axis=axis), 1.0)
    assert mdl.gradcheck(lambda v: F.softmax(v, axis=axis), [t])


@given(x=float_arrays(shapes), data=st.data())
def test_log_softmax(backend, x, data):
    axis = data.draw(st.integers(-x.ndim, x.ndim - 1))
    t = leaf(x)
    expected = np.log(reference_softmax(x, axis))
    np.testing.assert_allclose(F.log_softmax(t, axis=axis).numpy(), expected, atol=1e-12)
    assert mdl.gradcheck(lambda v: F.log_softmax(v, axis=axis), [t])


def test_relu_derivative_is_one_at_zero(backend):
    x = mdl.tensor([-1.0, 0.0, 2.0], requires_grad=True)
    F.relu(x).sum().backward()
    np.testing.assert_array_equal(mdl.get_backend().to_host(x.grad), [0.0, 1.0, 1.0])


@pytest.mark.parametrize("function", [F.relu, F.sigmoid, F.tanh, F.softmax, F.log_softmax])
def test_float32_stays_float32(backend, function):
    x = mdl.tensor(np.linspace(-2, 2, 6).reshape(2, 3), dtype="float32", requires_grad=True)
    y = function(x)
    y.backward(np.ones(y.shape, dtype=np.float32))
    assert y.dtype == np.float32 and x.grad.dtype == np.float32


# --------------------------------------------------------------------------- stability

EXTREMES = [1000.0, 65504.0]  # logits of ±1000, and float16's largest finite value


def _value_and_grad(function, values, dtype):
    """function(x) and ∂Σ(r·function(x))/∂x with every NumPy warning turned into an error."""
    x = mdl.tensor(np.asarray(values), dtype=dtype, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow warning fails the test
        y = function(x)
        y.backward(np.linspace(-1, 1, y.size).reshape(y.shape).astype(dtype))
    return y.numpy(), mdl.get_backend().to_host(x.grad)


@pytest.mark.parametrize("extreme", EXTREMES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("function", [F.sigmoid, F.tanh, F.softmax, F.log_softmax])
def test_stable_at_extreme_logits(backend, function, dtype, extreme):
    values = [[-extreme, 0.0, extreme], [extreme, extreme, -extreme]]
    value, grad = _value_and_grad(function, values, dtype)
    assert np.all(np.isfinite(value)) and np.all(np.isfinite(grad))


def test_extreme_values_are_right(backend):
    big = [[-1000.0, 0.0, 1000.0]]
    np.testing.assert_allclose(F.sigmoid(mdl.tensor(big)).numpy(), [[0.0, 0.5, 1.0]])
    np.testing.assert_allclose(F.softmax(mdl.tensor(big)).numpy(), [[0.0, 0.0, 1.0]])
    np.testing.assert_allclose(F.log_softmax(mdl.tensor(big)).numpy(), [[-2000.0, -1000.0, 0.0]])


def test_softmax_of_float16_extremes_is_finite(backend):
    # In float16 itself the shift x − max(x) can overflow to −inf; e^(−inf) = 0 is still right.
    x = mdl.tensor(np.array([[-65504.0, 0.0, 65504.0]], dtype=np.float16))
    with np.errstate(over="ignore"):
        result = F.softmax(x).numpy()
    np.testing.assert_array_equal(result, np.array([[0.0, 0.0, 1.0]], dtype=np.float16))


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize("function", [F.relu, F.sigmoid, F.tanh, F.softmax, F.log_softmax])
@pytest.mark.parametrize("dtype", ["int64", "bool"])
def test_activations_need_floating_point_input(backend, function, dtype):
    with pytest.raises(TypeError, match=rf"floating-point input, got dtype {dtype}"):
        function(mdl.tensor(np.zeros((2, 3), dtype=dtype)))


@pytest.mark.parametrize("function", [F.softmax, F.log_softmax])
def test_softmax_axis_out_of_range(backend, function):
    with pytest.raises(ValueError, match=r"axis 2 is out of range for a tensor of shape \(2, 3\)"):
        function(mdl.tensor(np.zeros((2, 3))), axis=2)

"""Property tests of + - * / ** neg @: forward against NumPy, backward against gradcheck."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from strategies import broadcastable_pair, float_arrays, leaf

import minidl as mdl

BINARY_OPS = {
    "add": (lambda a, b: a + b, np.add),
    "sub": (lambda a, b: a - b, np.subtract),
    "mul": (lambda a, b: a * b, np.multiply),
    "div": (lambda a, b: a / b, np.divide),
}


@pytest.mark.parametrize("name", BINARY_OPS)
@given(pair=broadcastable_pair())
def test_binary_op_gradients_with_broadcasting(backend, name, pair):
    op, reference = BINARY_OPS[name]
    a, b = pair
    if name == "div":
        assume(np.all(np.abs(b) > 0.5))  # away from the pole at b = 0
    x, y = leaf(a), leaf(b)
    np.testing.assert_allclose(op(x, y).numpy(), reference(a, b))
    assert mdl.gradcheck(op, [x, y])


@given(
    x=float_arrays(hnp.array_shapes(max_dims=3, max_side=4), 0.5, 3.0),
    exponent=st.sampled_from([2.0, 3.0, 0.5, -1.0, 1.7]),
)
def test_pow_scalar_exponent(backend, x, exponent):
    base = leaf(x)
    np.testing.assert_allclose((base**exponent).numpy(), x**exponent)
    assert mdl.gradcheck(lambda t: t**exponent, [base])


@given(pair=broadcastable_pair(0.5, 2.0))
def test_pow_tensor_exponent(backend, pair):
    a, b = pair
    assert mdl.gradcheck(lambda x, y: x**y, [leaf(a), leaf(b)])


# Pow at a zero base, where b·aᵇ⁻¹ and aᵇ·ln a are 0·∞: PyTorch's values, known by hand.
# (base, exponent) -> (∂/∂base, ∂/∂exponent)
POW_AT_ZERO_BASE = {
    (0.0, 0.0): (0.0, 0.0),  # 0⁰ = 1 is constant in both
    (0.0, 1.0): (1.0, 0.0),
    (0.0, 2.0): (0.0, 0.0),
    (0.0, 0.3): (float("inf"), 0.0),  # the base gradient really is infinite there
    (2.0, 0.0): (0.0, float(np.log(2.0))),
}


@pytest.mark.parametrize(("base", "exponent"), POW_AT_ZERO_BASE)
def test_pow_gradient_at_a_zero_base_or_exponent_follows_pytorch(backend, base, exponent):
    a = mdl.tensor([base], requires_grad=True)
    b = mdl.tensor([exponent], requires_grad=True)
    (a**b).sum().backward()
    expected_a, expected_b = POW_AT_ZERO_BASE[(base, exponent)]
    np.testing.assert_array_equal(mdl.tensor(a.grad).numpy(), [expected_a])
    np.testing.assert_allclose(mdl.tensor(b.grad).numpy(), [expected_b], rtol=1e-6)


def test_pow_at_a_zero_base_matches_torch(backend):
    torch = pytest.importorskip("torch")
    bases = np.array([0.0, 0.0, 0.0, 0.0, 0.0, 1.5, 0.0], dtype=np.float32)
    exponents = np.array([0.0, 1.0, 2.0, 0.3, 0.0, 0.0, -1.0], dtype=np.float32)
    a, b = mdl.tensor(bases, requires_grad=True), mdl.tensor(exponents, requires_grad=True)
    (a**b).sum().backward()
    ta = torch.tensor(bases, requires_grad=True)
    tb = torch.tensor(exponents, requires_grad=True)
    (ta**tb).sum().backward()
    np.testing.assert_allclose(mdl.tensor(a.grad).numpy(), ta.grad.numpy(), rtol=1e-6)
    np.testing.assert_allclose(mdl.tensor(b.grad).numpy(), tb.grad.numpy(), rtol=1e-6)


def test_zero_exponent_and_number_base_have_zero_gradients_at_zero(backend):
    x = mdl.tensor([0.0], requires_grad=True)
    (x**0.0).sum().backward()
    np.testing.assert_array_equal(mdl.tensor(x.grad).numpy(), [0.0])  # was NaN
    y = mdl.tensor([0.0, 1.0, 2.0], requires_grad=True)
    (0**y).sum().backward()  # the gradient was [-inf, nan, nan]
    np.testing.assert_array_equal(mdl.tensor(y.grad).numpy(), [0.0, 0.0, 0.0])
    assert mdl.gradcheck(lambda t: t**0.0, [mdl.tensor([0.0], requires_grad=True)])


@given(x=float_arrays(hnp.array_shapes(min_dims=0, max_dims=3, max_side=4)))
def test_neg(backend, x):
    t = leaf(x)
    np.testing.assert_array_equal((-t).numpy(), -x)
    assert mdl.gradcheck(lambda v: -v, [t])


@st.composite
def matmul_operands(draw):
    """Shapes that matmul accepts: 1-D, 2-D and batched (broadcast batch axes) operands."""
    n, k, m = draw(st.integers(1, 4)), draw(st.integers(1, 4)), draw(st.integers(1, 4))
    kind = draw(st.sampled_from(["mm", "vec_mat", "mat_vec", "vec_vec", "batched", "broadcast"]))
    shapes = {
        "mm": ((n, k), (k, m)),
        "vec_mat": ((k,), (k, m)),
        "mat_vec": ((n, k), (k,)),
        "vec_vec": ((k,), (k,)),
        "batched": ((2, n, k), (2, k, m)),
        "broadcast": ((3, 1, n, k), (2, k, m)),
    }[kind]
    return draw(float_arrays(shapes[0])), draw(float_arrays(shapes[1]))


@given(operands=matmul_operands())
def test_matmul(backend, operands):
    a, b = operands
    x, y = leaf(a), leaf(b)
    np.testing.assert_allclose((x @ y).numpy(), a @ b, rtol=1e-12, atol=1e-12)
    assert mdl.gradcheck(lambda p, q: p @ q, [x, y])


def test_matmul_shape_mismatch_names_both_shapes(backend):
    with pytest.raises(ValueError, match=r"\(2, 3\) @ \(4, 5\)"):
        mdl.tensor(np.ones((2, 3))) @ mdl.tensor(np.ones((4, 5)))


def test_scalars_keep_float32(backend):
    x = mdl.tensor([1.0, 2.0], requires_grad=True)
    for y in (x * 2.0, 2 * x, x / 3, 1 - x, x**2, x * np.float64(2.0), np.float64(2.0) * x):
        assert y.dtype == np.float32, y


def test_reverse_operators(backend):
    x = leaf([1.0, 2.0, 4.0])
    np.testing.assert_allclose((2 - x).numpy(), [1, 0, -2])
    np.testing.assert_allclose((2 / x).numpy(), [2, 1, 0.5])
    np.testing.assert_allclose((2**x).numpy(), [2, 4, 16])
    assert mdl.gradcheck(lambda t: 2**t + 3 / t - (1 - t), [x])

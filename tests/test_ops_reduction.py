"""Property tests of sum, mean, max over any axes, with and without keepdims."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from strategies import float_arrays, leaf

import minidl as mdl


@st.composite
def array_and_axis(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, max_side=4))
    x = draw(float_arrays(shape))
    axis = draw(
        st.one_of(
            st.none(),
            st.integers(-len(shape), len(shape) - 1),
            st.lists(
                st.integers(0, len(shape) - 1), min_size=1, max_size=len(shape), unique=True
            ).map(tuple),
        )
    )
    return x, axis, draw(st.booleans())


@pytest.mark.parametrize("name", ["sum", "mean", "max"])
@given(case=array_and_axis())
def test_reduction(backend, name, case):
    x, axis, keepdims = case
    if name == "max":
        # Ties (and near-ties within gradcheck's eps) are a kink of max.
        assume(x.size == 1 or np.diff(np.sort(x, axis=None)).min() > 1e-3)
    t = leaf(x)
    result = getattr(t, name)(axis=axis, keepdims=keepdims)
    expected = getattr(np, {"max": "amax"}.get(name, name))(x, axis=axis, keepdims=keepdims)
    assert result.shape == np.shape(expected)
    np.testing.assert_allclose(result.numpy(), expected, rtol=1e-12)
    assert mdl.gradcheck(lambda v: getattr(v, name)(axis=axis, keepdims=keepdims), [t])


def test_max_shares_gradient_among_ties(backend):
    t = leaf([[1.0, 3.0, 3.0], [2.0, 0.0, 1.0]])
    t.max(axis=1).sum().backward()
    np.testing.assert_allclose(mdl.Tensor(t.grad).numpy(), [[0, 0.5, 0.5], [1, 0, 0]])


def test_axis_out_of_range(backend):
    with pytest.raises(ValueError, match="axis 2 is out of range"):
        leaf([[1.0]]).sum(axis=2)


def test_a_0d_tensor_has_no_axis(backend):
    for name in ("sum", "mean", "max"):
        with pytest.raises(ValueError, match="axis 0 is out of range for a tensor with 0"):
            getattr(leaf(2.0), name)(axis=0)
    assert leaf(2.0).mean().item() == 2.0


@pytest.mark.parametrize("name", ["min", "logsumexp", "var", "std"])
@given(case=array_and_axis())
def test_more_reductions(backend, name, case):
    x, axis, keepdims = case
    axes = tuple(range(x.ndim)) if axis is None else np.atleast_1d(axis)
    count = int(np.prod([x.shape[a] for a in axes]))
    if name == "min":
        assume(x.size == 1 or np.diff(np.sort(x, axis=None)).min() > 1e-3)
    if name in ("var", "std"):
        assume(count > 1)  # Bessel's correction divides by count − 1
    if name == "std":
        assume(np.var(x, axis=axis).min() > 1e-3)  # √ has no derivative at 0
    reference = {
        "min": lambda: np.amin(x, axis=axis, keepdims=keepdims),
        "logsumexp": lambda: np.log(np.exp(x).sum(axis=axis, keepdims=keepdims)),
        "var": lambda: np.var(x, axis=axis, ddof=1, keepdims=keepdims),
        "std": lambda: np.std(x, axis=axis, ddof=1, keepdims=keepdims),
    }[name]()
    t = leaf(x)
    result = getattr(t, name)(axis=axis, keepdims=keepdims)
    assert result.shape == np.shape(reference)
    np.testing.assert_allclose(result.numpy(), reference, rtol=1e-10, atol=1e-12)
    assert mdl.gradcheck(lambda v: getattr(v, name)(axis=axis, keepdims=keepdims), [t])


@given(case=array_and_axis(), correction=st.integers(0, 1))
def test_var_correction(backend, case, correction):
    x, axis, keepdims = case
    t = leaf(x)
    axes = tuple(range(x.ndim)) if axis is None else np.atleast_1d(axis)
    assume(int(np.prod([x.shape[a] for a in axes])) > correction)
    expected = np.var(x, axis=axis, ddof=correction, keepdims=keepdims)
    got = t.var(axis=axis, keepdims=keepdims, correction=correction)
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-10, atol=1e-12)
    assert mdl.gradcheck(lambda v: v.var(axis=axis, keepdims=keepdims, correction=correction), [t])


def test_reductions_match_pytorch_on_edge_cases():
    torch = pytest.importorskip("torch")
    x = np.array([[1.0, -np.inf, 3.0], [-np.inf, -np.inf, -np.inf]], dtype=np.float32)
    np.testing.assert_array_equal(
        mdl.tensor(x).logsumexp(axis=1).numpy(), torch.logsumexp(torch.tensor(x), 1).numpy()
    )
    big = np.array([[1000.0, 1000.0], [-1000.0, 0.0]], dtype=np.float32)
    np.testing.assert_allclose(
        mdl.tensor(big).logsumexp(axis=1).numpy(), torch.logsumexp(torch.tensor(big), 1).numpy()
    )
    one = np.array([[2.0], [3.0]], dtype=np.float32)
    with np.errstate(all="ignore"):
        mine = mdl.tensor(one).var(axis=1).numpy()  # one element, correction 1: 0/0
    np.testing.assert_array_equal(mine, torch.tensor(one).var(1).numpy())


def test_argmin_argmax_keepdims_and_first_of_ties(backend):
    x = mdl.tensor([[2.0, 1.0, 1.0], [0.0, 5.0, 5.0]])
    np.testing.assert_array_equal(x.argmax(axis=1).numpy(), [0, 1])
    np.testing.assert_array_equal(x.argmin(axis=1).numpy(), [1, 0])
    assert x.argmax(axis=1, keepdims=True).shape == (2, 1)
    assert x.argmin().item() == 3 and x.argmin().dtype == np.int64

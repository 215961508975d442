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

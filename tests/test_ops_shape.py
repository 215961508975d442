"""Property tests of reshape, transpose and indexing (basic, advanced, repeated)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from strategies import float_arrays, leaf

import minidl as mdl


@given(x=float_arrays(hnp.array_shapes(min_dims=1, max_dims=3, max_side=4)), data=st.data())
def test_reshape(backend, x, data):
    sizes = [d for d in range(1, x.size + 1) if x.size % d == 0]
    first = data.draw(st.sampled_from(sizes))
    shape = (first, -1) if data.draw(st.booleans()) else (first, x.size // first)
    t = leaf(x)
    np.testing.assert_array_equal(t.reshape(shape).numpy(), x.reshape(shape))
    assert mdl.gradcheck(lambda v: v.reshape(shape), [t])


@given(x=float_arrays(hnp.array_shapes(min_dims=1, max_dims=4, max_side=3)), data=st.data())
def test_permute_and_transpose(backend, x, data):
    axes = tuple(data.draw(st.permutations(range(x.ndim))))
    first, second = (
        data.draw(st.integers(-x.ndim, x.ndim - 1)),
        data.draw(st.integers(0, x.ndim - 1)),
    )
    t = leaf(x)
    np.testing.assert_array_equal(t.permute(axes).numpy(), x.transpose(axes))
    np.testing.assert_array_equal(t.permute(*axes).numpy(), x.transpose(axes))
    np.testing.assert_array_equal(t.transpose(first, second).numpy(), np.swapaxes(x, first, second))
    np.testing.assert_array_equal(t.transpose().numpy(), x.transpose())
    np.testing.assert_array_equal(t.T.numpy(), x.T)
    assert mdl.gradcheck(lambda v: v.permute(axes), [t])
    assert mdl.gradcheck(lambda v: v.transpose(first, second), [t])
    assert mdl.gradcheck(lambda v: v.T, [t])


def test_transpose_swaps_two_axes_like_pytorch(backend):
    x = mdl.tensor(np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(x.transpose(0, 1).numpy(), np.arange(6.0).reshape(2, 3).T)
    assert mdl.tensor(np.zeros((2, 3, 4))).transpose(0, 2).shape == (4, 3, 2)
    with pytest.raises(TypeError, match=r"x.permute\(0, 3, 1, 2\)"):
        mdl.tensor(np.zeros((2, 3, 4))).transpose(2, 0, 1)
    with pytest.raises(ValueError, match="order of all 3 axes"):
        mdl.tensor(np.zeros((2, 3, 4))).permute(0, 2)


@given(
    x=float_arrays(hnp.array_shapes(min_dims=1, max_dims=3, min_side=2, max_side=4)),
    data=st.data(),
)
def test_basic_indexing(backend, x, data):
    index = data.draw(hnp.basic_indices(shape=x.shape, allow_newaxis=True, allow_ellipsis=True))
    t = leaf(x)
    np.testing.assert_array_equal(t[index].numpy(), x[index])
    assert mdl.gradcheck(lambda v: v[index], [t])


@given(x=float_arrays((5, 3)), data=st.data())
def test_integer_array_indexing_adds_repeated_picks(backend, x, data):
    rows = np.array(data.draw(st.lists(st.integers(-5, 4), min_size=1, max_size=8)))
    t = leaf(x)
    np.testing.assert_array_equal(t[rows].numpy(), x[rows])
    assert mdl.gradcheck(lambda v: v[rows], [t])
    assert mdl.gradcheck(lambda v: v[rows, 1], [t])


@given(x=float_arrays((4, 3)))
def test_boolean_mask_indexing(backend, x):
    mask = x > 0
    t = leaf(x)
    np.testing.assert_array_equal(t[mask].numpy(), x[mask])
    assert mdl.gradcheck(lambda v: v[mask], [t])


def test_index_with_a_tensor(backend):
    t = leaf([10.0, 20.0, 30.0])
    picked = t[mdl.tensor([2, 0, 2])]
    np.testing.assert_array_equal(picked.numpy(), [30, 10, 30])
    picked.sum().backward()
    np.testing.assert_array_equal(mdl.Tensor(t.grad).numpy(), [1, 0, 2])


def test_bad_reshape_names_shapes(backend):
    with pytest.raises(ValueError, match=r"shape \(2, 3\) \(6 elements\) into \(4, 2\)"):
        leaf(np.ones((2, 3))).reshape(4, 2)


def test_index_out_of_range(backend):
    with pytest.raises(IndexError, match=r"shape \(3,\)"):
        leaf([1.0, 2.0, 3.0])[5]

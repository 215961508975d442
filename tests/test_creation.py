"""Tensor creation (zeros, ones, full, arange, eye, randn, rand, *_like, from_numpy) and
the functions of several tensors (cat, stack, where, maximum, minimum): values and
dtypes against NumPy and PyTorch, gradients by gradcheck on every backend."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from strategies import broadcastable_pair, float_arrays, leaf

import minidl as mdl

# --------------------------------------------------------------------------- creation


@pytest.mark.parametrize("make", [mdl.zeros, mdl.ones])
def test_zeros_and_ones_take_sizes_or_a_shape(backend, make):
    for t in (make(2, 3), make((2, 3)), make([2, 3])):
        assert t.shape == (2, 3) and t.dtype == np.float32 and t.device == backend.name
    assert make(()).shape == () and make().shape == ()
    assert make(2, dtype="float64").dtype == np.float64
    np.testing.assert_array_equal(make(4).numpy(), np.full(4, 1.0 if make is mdl.ones else 0.0))


@pytest.mark.parametrize("make", [mdl.zeros, mdl.ones, mdl.randn, mdl.rand])
def test_negative_sizes_are_refused(make):
    for shape in [(-3, 2), ((2, -3),), ((2, -3, 0),)]:
        with pytest.raises(ValueError, match="negative size"):
            make(*shape)


def test_full_takes_its_dtype_from_the_value(backend):
    assert mdl.full((2, 2), 4).dtype == np.int64
    assert mdl.full((2, 2), 4.0).dtype == np.float32
    assert mdl.full((2,), True).dtype == np.bool_
    np.testing.assert_array_equal(mdl.full((2, 3), 7.5).numpy(), np.full((2, 3), 7.5))
    with pytest.raises(ValueError, match="negative size"):
        mdl.full((-3,), 2)


def test_like_functions_keep_shape_dtype_and_device(backend):
    t = mdl.tensor([[1, 2, 3], [4, 5, 6]], dtype="int32")
    for like, value in ((mdl.zeros_like, 0), (mdl.ones_like, 1)):
        made = like(t)
        assert made.shape == t.shape and made.dtype == np.int32 and made.device == t.device
        np.testing.assert_array_equal(made.numpy(), np.full(t.shape, value))
        assert like(t, dtype="float32").dtype == np.float32


def test_arange_matches_pytorch():
    torch = pytest.importorskip("torch")
    for args in [(10,), (5, 10, 3), (10, 5, -3), (11, 5, -3), (1, 78, 2), (5.5, 175.5, 2.5),
                 (-30.2, -0.3, 0.75), (-50.3, -380.2, -2.25), (0,), (3, 3)]:  # fmt: skip
        mine, theirs = mdl.arange(*args).numpy(), torch.arange(*args).numpy()
        assert mine.dtype == theirs.dtype, args
        np.testing.assert_allclose(mine, theirs, rtol=1e-6, err_msg=str(args))


def test_arange_without_torch():
    np.testing.assert_array_equal(mdl.arange(5).numpy(), [0, 1, 2, 3, 4])
    assert mdl.arange(5).dtype == np.int64 and mdl.arange(0.0, 1.0, 0.25).dtype == np.float32
    np.testing.assert_allclose(mdl.arange(0.0, 1.0, 0.25).numpy(), [0, 0.25, 0.5, 0.75])
    with pytest.raises(ValueError, match="step must not be 0"):
        mdl.arange(0, 3, 0)


def test_eye(backend):
    np.testing.assert_array_equal(mdl.eye(3).numpy(), np.eye(3))
    np.testing.assert_array_equal(mdl.eye(3, 5).numpy(), np.eye(3, 5))
    assert mdl.eye(0).shape == (0, 0) and mdl.eye(2).dtype == np.float32
    for n, m in [(-3, 3), (3, -3)]:
        with pytest.raises(ValueError, match="non-negative int"):
            mdl.eye(n, m)


def test_random_tensors_follow_the_seed_on_every_backend(backend):
    mdl.manual_seed(3)
    first = mdl.randn(2, 3).numpy(), mdl.rand(4).numpy()
    mdl.manual_seed(3)
    with mdl.use_backend("numpy"):
        again = mdl.randn(2, 3).numpy(), mdl.rand(4).numpy()
    np.testing.assert_array_equal(first[0], again[0])
    np.testing.assert_array_equal(first[1], again[1])
    assert first[0].dtype == np.float32 and 0 <= first[1].min() and first[1].max() < 1
    assert mdl.randn(3, requires_grad=True).requires_grad


def test_from_numpy_shares_memory_and_keeps_the_dtype():
    array = np.arange(4, dtype=np.float64)
    t = mdl.from_numpy(array)
    assert t.dtype == np.float64 and t.device == "numpy"
    array[0] = 42.0
    assert t.numpy()[0] == 42.0
    with pytest.raises(TypeError, match="numpy.ndarray"):
        mdl.from_numpy([1.0, 2.0])


# --------------------------------------------------------------------------- cat, stack


@st.composite
def tensors_to_join(draw, same_shape):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, max_side=3))
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    count = draw(st.integers(1, 3))
    shapes = []
    for _ in range(count):
        sizes = list(shape)
        if not same_shape:
            sizes[axis] = draw(st.integers(1, 3))
        shapes.append(tuple(sizes))
    return [draw(float_arrays(s)) for s in shapes], axis


@given(case=tensors_to_join(same_shape=False))
def test_cat(backend, case):
    arrays, axis = case
    tensors = [leaf(a) for a in arrays]
    np.testing.assert_array_equal(mdl.cat(tensors, axis=axis).numpy(), np.concatenate(arrays, axis))
    assert mdl.gradcheck(lambda *ts: mdl.cat(list(ts), axis=axis), tensors)


@given(case=tensors_to_join(same_shape=True), new_axis_at_end=st.booleans())
def test_stack(backend, case, new_axis_at_end):
    arrays, axis = case
    axis = -1 if new_axis_at_end else axis
    tensors = [leaf(a) for a in arrays]
    np.testing.assert_array_equal(mdl.stack(tensors, axis=axis).numpy(), np.stack(arrays, axis))
    assert mdl.gradcheck(lambda *ts: mdl.stack(list(ts), axis=axis), tensors)


def test_cat_and_stack_errors_name_the_shapes(backend):
    a, b = mdl.zeros(2, 3), mdl.zeros(2, 4)
    with pytest.raises(ValueError, match=r"\(2, 3\), \(2, 4\)"):
        mdl.cat([a, b], axis=0)
    with pytest.raises(ValueError, match="one shape"):
        mdl.stack([a, b])
    with pytest.raises(TypeError, match="list or tuple of tensors"):
        mdl.cat(a)
    with pytest.raises(ValueError, match="0-d"):
        mdl.cat([mdl.tensor(3.14), mdl.tensor(3.14)])
    with pytest.raises(ValueError, match="out of range"):
        mdl.stack([a], axis=77)
    np.testing.assert_allclose(
        mdl.stack([mdl.tensor(3.14), mdl.tensor(3.14)]).numpy(), [3.14, 3.14]
    )


# --------------------------------------------------------------------------- where, maximum, minimum


@given(pair=broadcastable_pair(), data=st.data())
def test_where(backend, pair, data):
    a, b = pair
    shape = np.broadcast_shapes(a.shape, b.shape)
    condition = data.draw(hnp.arrays(np.bool_, shape))
    x, y = leaf(a), leaf(b)
    cond = mdl.tensor(condition)
    np.testing.assert_array_equal(mdl.where(cond, x, y).numpy(), np.where(condition, a, b))
    assert mdl.gradcheck(lambda p, q: mdl.where(cond, p, q), [x, y])


def test_where_with_numbers_keeps_the_tensor_dtype(backend):
    x = mdl.tensor([1.0, -2.0, 3.0], requires_grad=True)
    out = mdl.where(x > 0, x, 0.0)
    assert out.dtype == np.float32
    out.sum().backward()
    np.testing.assert_array_equal(mdl.tensor(x.grad).numpy(), [1.0, 0.0, 1.0])
    with pytest.raises(TypeError, match="bool condition"):
        mdl.where(x, x, 0.0)


@pytest.mark.parametrize("name", ["maximum", "minimum"])
@given(pair=broadcastable_pair())
def test_maximum_minimum(backend, name, pair):
    a, b = pair
    assume(np.all(np.abs(np.subtract(*np.broadcast_arrays(a, b))) > 1e-3))  # away from ties
    function = getattr(mdl, name)
    x, y = leaf(a), leaf(b)
    np.testing.assert_array_equal(function(x, y).numpy(), getattr(np, name)(a, b))
    assert mdl.gradcheck(function, [x, y])


@pytest.mark.parametrize("name", ["maximum", "minimum"])
def test_maximum_minimum_ties_share_the_gradient_like_pytorch(backend, name):
    torch = pytest.importorskip("torch")
    a_values, b_values = [1.0, 0.0, 3.0, -4.0], [-1.0, 0.0, 3.0, 0.0]
    a, b = mdl.tensor(a_values, requires_grad=True), mdl.tensor(b_values, requires_grad=True)
    getattr(mdl, name)(a, b).sum().backward()
    ta = torch.tensor(a_values, requires_grad=True)
    tb = torch.tensor(b_values, requires_grad=True)
    getattr(torch, name)(ta, tb).sum().backward()
    np.testing.assert_array_equal(mdl.tensor(a.grad).numpy(), ta.grad.numpy())
    np.testing.assert_array_equal(mdl.tensor(b.grad).numpy(), tb.grad.numpy())


def test_maximum_with_a_number(backend):
    x = mdl.tensor([-1.0, 0.0, 1.0], requires_grad=True)
    out = mdl.maximum(x, 0)
    assert out.dtype == np.float32
    out.sum().backward()
    np.testing.assert_array_equal(mdl.tensor(x.grad).numpy(), [0.0, 0.5, 1.0])

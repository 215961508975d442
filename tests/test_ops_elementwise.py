"""Property tests of exp, log, sqrt, abs, clip."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis.extra import numpy as hnp
from strategies import float_arrays, leaf

import minidl as mdl

shapes = hnp.array_shapes(min_dims=0, max_dims=3, max_side=4)

UNARY = {
    "exp": (lambda t: t.exp(), np.exp, -3.0, 3.0),
    "log": (lambda t: t.log(), np.log, 0.2, 5.0),
    "sqrt": (lambda t: t.sqrt(), np.sqrt, 0.2, 5.0),
}


@pytest.mark.parametrize("name", UNARY)
@given(data=hnp.arrays(np.float64, shapes))
def test_unary_op(backend, name, data):
    op, reference, low, high = UNARY[name]
    # Map arbitrary floats into the op's smooth domain [low, high].
    x = low + (high - low) * (np.tanh(np.nan_to_num(data, posinf=1, neginf=-1) / 10) + 1) / 2
    t = leaf(x)
    np.testing.assert_allclose(op(t).numpy(), reference(x), rtol=1e-12)
    assert mdl.gradcheck(op, [t])


@given(x=float_arrays(shapes))
def test_abs(backend, x):
    assume(np.all(np.abs(x) > 1e-3))  # |x| has a kink at 0
    t = leaf(x)
    np.testing.assert_array_equal(t.abs().numpy(), np.abs(x))
    assert mdl.gradcheck(lambda v: v.abs(), [t])


@given(x=float_arrays(shapes))
def test_clip(backend, x):
    assume(np.all(np.abs(np.abs(x) - 1.0) > 1e-3))  # away from the bounds' kinks
    t = leaf(x)
    np.testing.assert_array_equal(t.clip(-1.0, 1.0).numpy(), np.clip(x, -1, 1))
    assert mdl.gradcheck(lambda v: v.clip(-1.0, 1.0), [t])
    assert mdl.gradcheck(lambda v: v.clip(min=-1.0), [t])
    assert mdl.gradcheck(lambda v: v.clip(max=1.0), [t])


def test_abs_gradient_at_zero_is_zero(backend):
    t = leaf([0.0, -2.0, 3.0])
    t.abs().sum().backward()
    np.testing.assert_array_equal(mdl.Tensor(t.grad).numpy(), [0.0, -1.0, 1.0])


def test_clip_needs_a_bound(backend):
    with pytest.raises(ValueError, match="min and max"):
        leaf([1.0]).clip()

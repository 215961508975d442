"""Inverted dropout: scaling, identity when off, reproducible masks, gradients, bad p."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from strategies import float_arrays, leaf

import minidl as mdl
from minidl import functional as F


@given(
    x=float_arrays(hnp.array_shapes(min_dims=1, max_dims=3, max_side=4)),
    p=st.sampled_from([0.1, 0.5, 0.9]),
)
def test_dropout_gradient(backend, x, p):
    t = leaf(x)

    def same_mask_each_call(v):
        mdl.manual_seed(0)  # gradcheck calls fn many times: the mask must not change
        return F.dropout(v, p=p)

    assert mdl.gradcheck(same_mask_each_call, [t])


@pytest.mark.parametrize("p", [0.2, 0.5, 0.8])
def test_dropout_zeroes_about_p_and_scales_the_rest(backend, p):
    x = mdl.tensor(np.ones((200, 100)), dtype="float32")
    y = F.dropout(x, p=p).numpy()
    assert y.dtype == np.float32
    kept = y != 0
    np.testing.assert_allclose(y[kept], 1 / (1 - p), rtol=1e-6)
    assert abs(kept.mean() - (1 - p)) < 0.02  # 20,000 draws: the standard error is ≈ 0.003
    assert abs(y.mean() - 1.0) < 0.05  # inverted dropout keeps the expected value


def test_dropout_backward_uses_the_same_mask(backend):
    x = mdl.tensor(np.full((10, 10), 3.0), requires_grad=True)
    y = F.dropout(x, p=0.5)
    y.sum().backward()
    grad = mdl.get_backend().to_host(x.grad)
    np.testing.assert_array_equal(grad, y.numpy() / 3.0)  # mask/(1 − p), zero where dropped


def test_dropout_is_identity_when_not_training_or_p_zero(backend):
    x = mdl.tensor(np.arange(6.0).reshape(2, 3))
    assert F.dropout(x, p=0.5, training=False) is x
    assert F.dropout(x, p=0.0) is x


def test_dropout_same_seed_same_mask(backend):
    x = mdl.tensor(np.ones((8, 8)))
    mdl.manual_seed(7)
    first = F.dropout(x, 0.5).numpy()
    mdl.manual_seed(7)
    np.testing.assert_array_equal(F.dropout(x, 0.5).numpy(), first)
    assert not np.array_equal(F.dropout(x, 0.5).numpy(), first)  # the next draw differs


@pytest.mark.parametrize("p", [1.0, -0.1, 1.5, "0.5", True])
def test_dropout_rejects_p_outside_0_1(backend, p):
    with pytest.raises(ValueError, match=rf"p must be a number in \[0, 1\), got {p!r}"):
        F.dropout(mdl.tensor(np.ones(3)), p=p)


def test_dropout_needs_floating_point_input_when_it_applies(backend):
    integers = mdl.tensor(np.ones((2, 2), dtype=np.int64))
    with pytest.raises(TypeError, match="floating-point input, got dtype int64"):
        F.dropout(integers, p=0.5)
    assert F.dropout(integers, p=0.5, training=False) is integers

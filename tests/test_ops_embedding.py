"""The embedding lookup e = E[ids]: values, scatter-add gradients, padding_idx, bad ids."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from strategies import float_arrays, leaf, no_host_reads

import minidl as mdl
from minidl import functional as F
from minidl import nn


@st.composite
def embedding_operands(draw):
    """A weight (V, D) and integer ids of 1 or 2 axes, with repeats likely (V is small)."""
    vocabulary, dim = draw(st.integers(1, 5)), draw(st.integers(1, 3))
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=2, max_side=4))
    ids = draw(hnp.arrays(np.int64, shape, elements=st.integers(0, vocabulary - 1)))
    weight = draw(float_arrays((vocabulary, dim)))
    padding = draw(st.none() | st.integers(0, vocabulary - 1))
    return ids, weight, padding


@given(operands=embedding_operands())
def test_embedding_values_and_gradient(backend, operands):
    ids, weight, padding = operands
    weight_tensor = leaf(weight)
    output = F.embedding(mdl.tensor(ids), weight_tensor, padding_idx=padding)
    np.testing.assert_array_equal(output.numpy(), weight[ids])
    if padding is None:  # the padding row's gradient is 0 on purpose, not E's derivative
        assert mdl.gradcheck(lambda w: F.embedding(mdl.tensor(ids), w), [weight_tensor])
    upstream = np.random.default_rng(0).standard_normal(output.shape)
    weight_tensor.grad = None
    output.backward(upstream)
    expected = np.zeros_like(weight)
    for position, row in np.ndenumerate(ids):  # the sum, position by position
        expected[row] += upstream[position]
    if padding is not None:
        expected[padding] = 0
    np.testing.assert_allclose(mdl.get_backend().to_host(weight_tensor.grad), expected, atol=1e-12)


def test_repeated_ids_add_their_gradients(backend):
    weight = leaf(np.zeros((4, 2)))
    F.embedding(mdl.tensor([[1, 1, 3], [1, 0, 0]]), weight).sum().backward()
    np.testing.assert_array_equal(
        mdl.get_backend().to_host(weight.grad), [[2, 2], [3, 3], [0, 0], [1, 1]]
    )


def test_embedding_keeps_float32_and_matches_torch(backend):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    ids = rng.integers(0, 7, size=(3, 5))
    layer = nn.Embedding(7, 4, padding_idx=2)
    reference = torch.nn.Embedding(7, 4, padding_idx=2)
    with torch.no_grad():
        reference.weight.copy_(torch.from_numpy(layer.weight.numpy()))
    upstream = rng.standard_normal((3, 5, 4)).astype(np.float32)
    output = layer(ids)
    output.backward(upstream)
    expected = reference(torch.from_numpy(ids))
    expected.backward(torch.from_numpy(upstream))
    assert output.dtype == layer.weight.grad.dtype == np.float32
    np.testing.assert_allclose(output.numpy(), expected.detach().numpy())
    np.testing.assert_allclose(
        mdl.get_backend().to_host(layer.weight.grad), reference.weight.grad.numpy(), atol=1e-6
    )


def test_embedding_padding_row_starts_at_zero():
    layer = nn.Embedding(5, 3, padding_idx=-1)
    assert layer.padding_idx == 4
    np.testing.assert_array_equal(layer.weight.numpy()[4], 0)
    assert repr(layer) == "Embedding(5, 3, padding_idx=4)"


def test_embedding_rejects_ids_out_of_range(backend):
    # Host ids are checked on the host before they are uploaded, on every backend.
    weight = leaf(np.ones((10, 2)))
    with pytest.raises(IndexError, match=r"\[0, 9\].*10 rows.*from 0 to 12.*len\(vocab\)"):
        F.embedding([0, 12], weight)
    with pytest.raises(IndexError, match=r"from -1 to 3; negative ids"):
        F.embedding(np.array([-1, 3]), weight)
    assert weight.grad is None


def test_embedding_ids_already_on_the_device_never_wrap(backend):
    """A GPU wraps a bad id around (id 12 of 10 rows would read row 2). Ids already on a
    device are checked there without a host read: their rows come out NaN."""
    weight = leaf(np.ones((10, 2)))
    ids = mdl.tensor([[0, 12], [3, -1]])
    if backend.host_memory:
        with pytest.raises(IndexError, match=r"\[0, 9\].*from -1 to 12"):
            F.embedding(ids, weight)
        return
    with no_host_reads(backend):
        rows = F.embedding(ids, weight)
    np.testing.assert_array_equal(
        np.isnan(rows.numpy()).all(axis=-1), [[False, True], [False, True]]
    )
    np.testing.assert_array_equal(rows.numpy()[[0, 1], [0, 0]], np.ones((2, 2)))


def test_embedding_rejects_float_ids(backend):
    with pytest.raises(TypeError, match=r"integer token ids, got dtype float32"):
        F.embedding(mdl.tensor([[1.0, 2.0]]), leaf(np.ones((3, 2))))


def test_embedding_rejects_a_weight_that_is_not_a_table(backend):
    with pytest.raises(ValueError, match=r"2-D weight.*\(num_embeddings, embedding_dim\)"):
        F.embedding(mdl.tensor([0]), leaf(np.ones(3)))


def test_embedding_rejects_bad_padding_idx():
    with pytest.raises(ValueError, match="padding_idx 5 is out of range for 5 embeddings"):
        nn.Embedding(5, 2, padding_idx=5)
    with pytest.raises(ValueError, match="num_embeddings must be a positive integer"):
        nn.Embedding(0, 2)


def test_embedding_backward_twice_with_retain_graph(backend):
    weight = leaf(np.arange(6.0).reshape(3, 2))
    loss = (F.embedding(mdl.tensor([0, 2, 2]), weight) ** 2).sum()
    loss.backward(retain_graph=True)
    once = mdl.get_backend().to_host(weight.grad).copy()
    loss.backward()
    np.testing.assert_allclose(mdl.get_backend().to_host(weight.grad), 2 * once)

"""One test per FORMULAS.md row of the sequence models (S1–S5), on cases small enough to
work out on paper."""

from __future__ import annotations

import math

import numpy as np

import minidl as mdl
from minidl import functional as F
from minidl import nn


def _grad(tensor):
    return mdl.get_backend().to_numpy(tensor.grad)


def _leaf(values):
    return mdl.tensor(np.asarray(values, dtype=np.float64), requires_grad=True)


def _sigmoid(x):
    return 1 / (1 + math.exp(-x))


def test_S1_embedding(backend):
    """e_t = E[x_t]; ∂L/∂E[k] = Σ over the positions with x_t = k of ∂L/∂e_t."""
    weight = _leaf([[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]])
    ids = mdl.tensor([[2, 0, 2]])
    embedded = F.embedding(ids, weight)
    np.testing.assert_array_equal(embedded.numpy(), [[[4, 5], [0, 1], [4, 5]]])
    (embedded * mdl.tensor([[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]])).sum().backward()
    # Row 2 is used at positions 0 and 2: (1, 2) + (5, 6). Row 1 is never used.
    np.testing.assert_array_equal(_grad(weight), [[3, 4], [0, 0], [6, 8]])


def test_S2_lstm_cell(backend):
    """One step with H = 1 and every weight 0 except the biases, so the gates are the
    biases' σ/tanh: i = σ(1), f = σ(0) = 1/2, g = tanh(1), o = σ(−1) (PyTorch's order i, f, g, o)."""
    cell = nn.LSTMCell(1, 1, dtype="float64")
    for parameter in cell.parameters():
        parameter.data[...] = 0
    cell.bias_ih.data[...] = [1.0, 0.0, 1.0, -1.0]
    x, c = mdl.tensor([[5.0]]), mdl.tensor([[2.0]])
    h_next, c_next = cell(x, (mdl.tensor([[7.0]]), c))
    i, f, g, o = _sigmoid(1), 0.5, math.tanh(1), _sigmoid(-1)
    expected_c = f * 2.0 + i * g
    np.testing.assert_allclose(c_next.numpy(), [[expected_c]], rtol=1e-14)
    np.testing.assert_allclose(h_next.numpy(), [[o * math.tanh(expected_c)]], rtol=1e-14)
    # h₀ = c₀ = 0 when no state is given: then c′ = i·g.
    _, c_from_zero = cell(x)
    np.testing.assert_allclose(c_from_zero.numpy(), [[i * g]], rtol=1e-14)


def test_S3_stacked_lstm(backend):
    """Layer 2 reads layer 1's h at every step: two one-layer LSTMs chained by hand give
    the same outputs and states as one two-layer LSTM with the same weights."""
    rng = np.random.default_rng(0)
    stacked = nn.LSTM(3, 4, num_layers=2, dtype="float64")
    first, second = nn.LSTM(3, 4, dtype="float64"), nn.LSTM(4, 4, dtype="float64")
    for layer, single in enumerate((first, second)):
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(single, f"{name}_l0").data = getattr(stacked, f"{name}_l{layer}").data
    x = mdl.tensor(rng.standard_normal((5, 2, 3)))
    output, (h_n, c_n) = stacked(x)
    middle, (h_1, c_1) = first(x)
    top, (h_2, c_2) = second(middle)
    np.testing.assert_allclose(output.numpy(), top.numpy(), rtol=1e-14)
    np.testing.assert_allclose(h_n.numpy(), np.concatenate([h_1.numpy(), h_2.numpy()]))
    np.testing.assert_allclose(c_n.numpy(), np.concatenate([c_1.numpy(), c_2.numpy()]))


def test_S4_lengths(backend):
    """Sequence n stops after L_n steps: h_n, c_n are its state after step L_n and its
    outputs after L_n are 0, whatever the padding holds."""
    rng = np.random.default_rng(1)
    lstm = nn.LSTM(2, 3, batch_first=True, dtype="float64")
    x = rng.standard_normal((2, 4, 2))
    noisy_padding = x.copy()
    noisy_padding[1, 2:] = 100.0  # sequence 1 has length 2
    output, (h_n, c_n) = lstm(mdl.tensor(noisy_padding), lengths=[4, 2])
    short, (h_short, c_short) = lstm(mdl.tensor(x[1:, :2]))
    np.testing.assert_array_equal(output.numpy()[1, 2:], 0)
    np.testing.assert_allclose(output.numpy()[1, :2], short.numpy()[0], rtol=1e-14)
    np.testing.assert_allclose(h_n.numpy()[0, 1], h_short.numpy()[0, 0], rtol=1e-14)
    np.testing.assert_allclose(c_n.numpy()[0, 1], c_short.numpy()[0, 0], rtol=1e-14)

"""The fused LSTM layer op: gradients, the readable twin, PyTorch, lengths, bad input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import float_arrays, leaf

import minidl as mdl
from minidl import functional as F
from minidl import nn
from minidl.ops.recurrent import LSTMLayer
from minidl.ops.shape import Stack


@st.composite
def lstm_operands(draw, with_lengths=True):
    """x (T, N, D), h0, c0 (N, H), weights, biases, and lengths (or None)."""
    steps, batch = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    inputs, hidden = draw(st.integers(1, 3)), draw(st.integers(1, 2))
    arrays = [
        draw(float_arrays(shape, -1.5, 1.5))
        for shape in [
            (steps, batch, inputs),
            (batch, hidden),
            (batch, hidden),
            (4 * hidden, inputs),
            (4 * hidden, hidden),
            (4 * hidden,),
            (4 * hidden,),
        ]
    ]
    lengths = None
    if with_lengths and draw(st.booleans()):
        lengths = np.array(draw(st.lists(st.integers(1, steps), min_size=batch, max_size=batch)))
    return arrays, lengths


def lstm_by_cells(x, h, c, weight_ih, weight_hh, bias_ih, bias_hh, lengths=None):
    """The oracle: F.lstm_cell stepped over time, made of ordinary ops.

    A sequence past its length keeps its state (mask 0) and outputs 0 (FORMULAS S4).
    """
    steps, batch = x.shape[0], x.shape[1]
    lengths = np.full(batch, steps) if lengths is None else np.asarray(lengths)
    outputs = []
    for t in range(steps):
        running = mdl.tensor((t < lengths).astype(np.float64)[:, None], dtype=x.dtype)
        h_new, c_new = F.lstm_cell(x[t], h, c, weight_ih, weight_hh, bias_ih, bias_hh)
        h = running * h_new + (1 - running) * h
        c = running * c_new + (1 - running) * c
        outputs.append(running * h_new)
    return Stack.apply(*outputs), h, c


@given(operands=lstm_operands())
def test_lstm_layer_gradients(backend, operands):
    arrays, lengths = operands
    inputs = [leaf(array) for array in arrays]
    # The op's result holds the outputs, h_n and c_n, so one check covers all three.
    assert mdl.gradcheck(lambda *a: LSTMLayer.apply(*a, lengths=lengths), inputs)


@given(operands=lstm_operands(with_lengths=False))
def test_lstm_cell_gradients(backend, operands):
    (x, h, c, *weights), _ = operands
    inputs = [leaf(array) for array in (x[0], h, c, *weights)]
    assert mdl.gradcheck(lambda *a: Stack.apply(*F.lstm_cell(*a)), inputs)


@given(operands=lstm_operands())
def test_fused_lstm_matches_the_cell_stepped_over_time(backend, operands):
    arrays, lengths = operands
    fused_inputs = [leaf(array) for array in arrays]
    twin_inputs = [leaf(array) for array in arrays]
    fused = F.lstm(*fused_inputs, lengths=lengths)
    twin = lstm_by_cells(*twin_inputs, lengths=lengths)
    rng = np.random.default_rng(0)
    upstream = [mdl.tensor(rng.standard_normal(result.shape)) for result in fused]
    for results in (fused, twin):
        sum((result * weight).sum() for result, weight in zip(results, upstream)).backward()
    for fused_result, twin_result in zip(fused, twin):
        np.testing.assert_allclose(fused_result.numpy(), twin_result.numpy(), atol=1e-12)
    to_host = mdl.get_backend().to_host
    for fused_input, twin_input in zip(fused_inputs, twin_inputs):
        np.testing.assert_allclose(to_host(fused_input.grad), to_host(twin_input.grad), atol=1e-12)


def test_lstm_outputs_stop_at_each_length(backend):
    rng = np.random.default_rng(3)
    lstm = nn.LSTM(2, 3, batch_first=True)
    x = mdl.tensor(rng.standard_normal((3, 4, 2)), dtype="float32")
    output, (h_n, c_n) = lstm(x, lengths=[4, 1, 2])
    out = output.numpy()
    np.testing.assert_array_equal(out[1, 1:], 0)
    np.testing.assert_array_equal(out[2, 2:], 0)
    np.testing.assert_array_equal(h_n.numpy()[0], out[[0, 1, 2], [3, 0, 1]])
    # Padding after a sequence's end changes nothing: run the short one on its own.
    alone, (h_alone, c_alone) = lstm(x[1:2, :1])
    np.testing.assert_allclose(h_alone.numpy()[0], h_n.numpy()[0, 1:2], rtol=1e-6)
    np.testing.assert_allclose(c_alone.numpy()[0], c_n.numpy()[0, 1:2], rtol=1e-6)


def test_lstm_backward_twice_with_retain_graph(backend):
    rng = np.random.default_rng(1)
    arrays = [rng.standard_normal(shape) for shape in [(3, 2, 2), (2, 1), (2, 1)]]
    arrays += [rng.standard_normal(shape) for shape in [(4, 2), (4, 1), (4,), (4,)]]
    inputs = [leaf(array) for array in arrays]
    output, h_n, c_n = F.lstm(*inputs, lengths=[3, 2])
    loss = (output * output).sum() + h_n.sum() + c_n.sum()
    loss.backward(retain_graph=True)
    once = [mdl.get_backend().to_host(t.grad).copy() for t in inputs]
    loss.backward()
    for tensor, first in zip(inputs, once):
        np.testing.assert_allclose(mdl.get_backend().to_host(tensor.grad), 2 * first)


def test_lstm_under_no_grad_gives_the_same_numbers(backend):
    lstm = nn.LSTM(3, 4, num_layers=2)
    x = mdl.tensor(np.random.default_rng(2).standard_normal((5, 2, 3)), dtype="float32")
    trained, (h_trained, _) = lstm(x, lengths=[5, 3])
    with mdl.no_grad():
        inferred, (h_inferred, _) = lstm(x, lengths=[5, 3])
    assert not inferred.requires_grad
    np.testing.assert_array_equal(inferred.numpy(), trained.numpy())
    np.testing.assert_array_equal(h_inferred.numpy(), h_trained.numpy())


# ------------------------------------------------------------------------- PyTorch


def host_grad(tensor):
    """``tensor.grad`` as a NumPy array, wherever the tensor lives."""
    return tensor.backend.to_host(tensor.grad)


def _copy_weights_to_torch(ours, theirs):
    import torch

    with torch.no_grad():
        for name, parameter in theirs.named_parameters():
            parameter.copy_(torch.from_numpy(getattr(ours, name).numpy()))


@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("lengths", [None, [5, 2, 4, 1]])
@pytest.mark.parametrize("batch_first", [False, True])
def test_lstm_matches_torch(num_layers, lengths, batch_first):
    torch = pytest.importorskip("torch")
    steps, batch, inputs, hidden = 5, 4, 3, 6
    rng = np.random.default_rng(num_layers)
    ours = nn.LSTM(inputs, hidden, num_layers, batch_first=batch_first, dtype="float64")
    theirs = torch.nn.LSTM(inputs, hidden, num_layers, batch_first=batch_first).double()
    _copy_weights_to_torch(ours, theirs)
    shape = (batch, steps, inputs) if batch_first else (steps, batch, inputs)
    x = rng.standard_normal(shape)
    state = [rng.standard_normal((num_layers, batch, hidden)) for _ in range(2)]
    output_shape = (*shape[:2], hidden)
    upstream = [rng.standard_normal(s) for s in (output_shape, state[0].shape, state[0].shape)]

    x_ours = leaf(x)
    state_ours = tuple(leaf(s) for s in state)
    output, (h_n, c_n) = ours(x_ours, lengths=lengths, state=state_ours)
    loss = sum((r * mdl.tensor(u)).sum() for r, u in zip((output, h_n, c_n), upstream))
    loss.backward()

    x_theirs = torch.tensor(x, requires_grad=True)
    state_theirs = tuple(torch.tensor(s, requires_grad=True) for s in state)
    if lengths is None:
        expected, (h_expected, c_expected) = theirs(x_theirs, state_theirs)
    else:
        packed = torch.nn.utils.rnn.pack_padded_sequence(
            x_theirs, lengths, batch_first=batch_first, enforce_sorted=False
        )
        packed_out, (h_expected, c_expected) = theirs(packed, state_theirs)
        expected, _ = torch.nn.utils.rnn.pad_packed_sequence(
            packed_out, batch_first=batch_first, total_length=steps
        )
    results = (expected, h_expected, c_expected)
    sum((r * torch.from_numpy(u)).sum() for r, u in zip(results, upstream)).backward()

    for ours_result, their_result in zip((output, h_n, c_n), results):
        np.testing.assert_allclose(ours_result.numpy(), their_result.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(host_grad(x_ours), x_theirs.grad.numpy(), atol=1e-12)
    for ours_state, their_state in zip(state_ours, state_theirs):
        np.testing.assert_allclose(host_grad(ours_state), their_state.grad.numpy(), atol=1e-12)
    for name, parameter in theirs.named_parameters():
        np.testing.assert_allclose(
            host_grad(getattr(ours, name)), parameter.grad.numpy(), atol=1e-12
        )


def test_lstm_cell_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    ours = nn.LSTMCell(3, 5, dtype="float64")
    theirs = torch.nn.LSTMCell(3, 5).double()
    _copy_weights_to_torch(ours, theirs)
    x, h, c = rng.standard_normal((4, 3)), rng.standard_normal((4, 5)), rng.standard_normal((4, 5))
    up_h, up_c = rng.standard_normal((4, 5)), rng.standard_normal((4, 5))
    ours_inputs = [leaf(a) for a in (x, h, c)]
    h1, c1 = ours(ours_inputs[0], (ours_inputs[1], ours_inputs[2]))
    ((h1 * mdl.tensor(up_h)).sum() + (c1 * mdl.tensor(up_c)).sum()).backward()
    their_inputs = [torch.tensor(a, requires_grad=True) for a in (x, h, c)]
    h2, c2 = theirs(their_inputs[0], (their_inputs[1], their_inputs[2]))
    ((h2 * torch.from_numpy(up_h)).sum() + (c2 * torch.from_numpy(up_c)).sum()).backward()
    np.testing.assert_allclose(h1.numpy(), h2.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(c1.numpy(), c2.detach().numpy(), atol=1e-12)
    for ours_input, their_input in zip(ours_inputs, their_inputs):
        np.testing.assert_allclose(host_grad(ours_input), their_input.grad.numpy(), atol=1e-12)
    for name, parameter in theirs.named_parameters():
        np.testing.assert_allclose(
            host_grad(getattr(ours, name)), parameter.grad.numpy(), atol=1e-12
        )


def test_lstm_parameters_are_torchs():
    mdl.manual_seed(0)
    lstm = nn.LSTM(10, 8, num_layers=2)
    shapes = {name: tuple(p.shape) for name, p in lstm.named_parameters()}
    assert shapes == {
        "weight_ih_l0": (32, 10), "weight_hh_l0": (32, 8), "bias_ih_l0": (32,), "bias_hh_l0": (32,),
        "weight_ih_l1": (32, 8), "weight_hh_l1": (32, 8), "bias_ih_l1": (32,), "bias_hh_l1": (32,),
    }  # fmt: skip
    values = np.concatenate([p.numpy().ravel() for p in lstm.parameters()])
    bound = 1 / np.sqrt(8)
    assert values.dtype == np.float32
    assert -bound <= values.min() < -0.9 * bound and 0.9 * bound < values.max() <= bound
    torch = pytest.importorskip("torch")
    assert set(shapes) == {name for name, _ in torch.nn.LSTM(10, 8, 2).named_parameters()}


def test_lstm_dropout_acts_between_layers_in_training_only():
    mdl.manual_seed(0)
    lstm = nn.LSTM(2, 3, num_layers=2, dropout=0.5)
    x = mdl.tensor(np.ones((4, 2, 2)), dtype="float32")
    lstm.eval()
    evaluated = lstm(x)[0].numpy()
    np.testing.assert_array_equal(evaluated, lstm(x)[0].numpy())  # deterministic
    lstm.train()
    trained = [lstm(x)[0].numpy() for _ in range(2)]
    assert not np.allclose(trained[0], trained[1])  # a fresh mask each call
    single = nn.LSTM(2, 3, num_layers=1, dropout=0.5)  # one layer: nothing in between
    np.testing.assert_array_equal(single(x)[0].numpy(), single(x)[0].numpy())


# ------------------------------------------------------------------------- bad input


def test_lstm_rejects_wrong_input_rank():
    lstm = nn.LSTM(4, 3)
    with pytest.raises(
        ValueError, match=r"3-D input \(steps, batch, features\), got shape \(5, 4\)"
    ):
        lstm(mdl.tensor(np.ones((5, 4)), dtype="float32"))
    with pytest.raises(ValueError, match="token ids: put an nn.Embedding before"):
        lstm(mdl.tensor(np.ones((5, 4), dtype=np.int64)))
    with pytest.raises(ValueError, match=r"with 4 features, got shape \(5, 2, 3\)"):
        lstm(mdl.tensor(np.ones((5, 2, 3)), dtype="float32"))


@pytest.mark.parametrize(
    ("lengths", "error", "message"),
    [
        ([6, 1], ValueError, r"every length must be in \[1, 5\] .* from 1 to 6"),
        ([0, 3], ValueError, r"every length must be in \[1, 5\] .* from 0 to 3"),
        ([-1, 3], ValueError, r"from -1 to 3"),
        ([3, 3, 3], ValueError, r"one length per sequence, shape \(2,\), got .* \(3,\)"),
        ([2.0, 3.0], TypeError, "integer lengths, got dtype float64"),
    ],
)
def test_lstm_rejects_bad_lengths(lengths, error, message):
    lstm = nn.LSTM(1, 2, batch_first=True)
    with pytest.raises(error, match=message):
        lstm(mdl.tensor(np.ones((2, 5, 1)), dtype="float32"), lengths=lengths)


def test_lstm_rejects_a_hidden_state_of_the_wrong_shape():
    lstm = nn.LSTM(1, 2, num_layers=2)
    x = mdl.tensor(np.ones((5, 3, 1)), dtype="float32")
    wrong = mdl.tensor(np.zeros((1, 3, 2)), dtype="float32")
    right = mdl.tensor(np.zeros((2, 3, 2)), dtype="float32")
    with pytest.raises(ValueError, match=r"expected h_0 of shape \(2, 3, 2\), got \(1, 3, 2\)"):
        lstm(x, state=(wrong, right))
    with pytest.raises(ValueError, match=r"expected c_0 of shape \(2, 3, 2\), got \(1, 3, 2\)"):
        lstm(x, state=(right, wrong))
    with pytest.raises(TypeError, match=r"state=\(h_0, c_0\), a pair"):
        lstm(x, state=right)
    with pytest.raises(ValueError, match=r"expected h0 of shape \(3, 2\)"):
        F.lstm(x, right[0][:2], right[0], *lstm.layer_parameters(0))


def test_lstm_cell_rejects_bad_shapes():
    cell = nn.LSTMCell(3, 2)
    with pytest.raises(ValueError, match=r"input of shape \(batch, 3\), got \(4, 2\)"):
        cell(mdl.tensor(np.ones((4, 2)), dtype="float32"))
    with pytest.raises(ValueError, match=r"expected h_0 of shape \(4, 2\), got \(4, 3\)"):
        state = mdl.tensor(np.ones((4, 3)), dtype="float32")
        cell(mdl.tensor(np.ones((4, 3)), dtype="float32"), (state, state))


def test_lstm_rejects_bad_settings():
    with pytest.raises(ValueError, match="hidden_size must be a positive integer"):
        nn.LSTM(3, 0)
    with pytest.raises(ValueError, match=r"dropout must be a number in \[0, 1\), got 1"):
        nn.LSTM(3, 2, dropout=1)


# ------------------------------------------------------------------------- clipping


def test_clip_grad_norm_scales_all_gradients_together(backend):
    a, b = leaf(np.zeros(2)), leaf(np.zeros(1))
    a.grad = mdl.get_backend().asarray(np.array([3.0, 0.0]))
    b.grad = mdl.get_backend().asarray(np.array([4.0]))
    assert nn.clip_grad_norm([a, b], max_norm=1.0) == pytest.approx(5.0)
    to_host = mdl.get_backend().to_host
    np.testing.assert_allclose(to_host(a.grad), [0.6, 0.0])
    np.testing.assert_allclose(to_host(b.grad), [0.8])
    assert nn.clip_grad_norm([a, b], max_norm=10.0) == pytest.approx(1.0)  # below: unchanged
    np.testing.assert_allclose(to_host(b.grad), [0.8])


def test_clip_grad_norm_matches_torch():
    torch = pytest.importorskip("torch")
    grads = [np.random.default_rng(0).standard_normal(s) for s in [(3, 4), (4,)]]
    ours = [leaf(np.zeros_like(g)) for g in grads]
    theirs = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
    for tensor, parameter, grad in zip(ours, theirs, grads):
        tensor.grad, parameter.grad = grad.copy(), torch.from_numpy(grad.copy())
    total = nn.clip_grad_norm(ours, 0.5)
    assert total == pytest.approx(float(torch.nn.utils.clip_grad_norm_(theirs, 0.5)))
    for tensor, parameter in zip(ours, theirs):
        np.testing.assert_allclose(tensor.grad, parameter.grad.numpy(), rtol=1e-5)


def test_clip_grad_norm_rejects_a_bad_max_norm():
    with pytest.raises(ValueError, match="max_norm must be a positive number, got 0"):
        nn.clip_grad_norm([], 0)


@given(
    arrays=st.integers(1, 3).flatmap(
        lambda count: st.lists(float_arrays((2, 3)), min_size=count, max_size=count)
    ),
    axis=st.integers(0, 2),
)
def test_stack_gradient(backend, arrays, axis):
    # Stack joins the layers' h_n into (num_layers, N, H).
    inputs = [leaf(array) for array in arrays]
    stacked = Stack.apply(*inputs, axis=axis)
    np.testing.assert_array_equal(stacked.numpy(), np.stack(arrays, axis=axis))
    assert mdl.gradcheck(lambda *a: Stack.apply(*a, axis=axis), inputs)

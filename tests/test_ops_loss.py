"""Losses: values against plain NumPy formulas, gradients by gradcheck, stability at
extreme inputs, and errors that name what was expected and what came."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from strategies import float_arrays, leaf, no_host_reads

import minidl as mdl
from minidl import functional as F

loss_shapes = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)


def reference_log_softmax(logits):
    shifted = logits - logits.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


@st.composite
def logits_and_indices(draw):
    batch, classes = draw(st.integers(1, 4)), draw(st.integers(1, 5))
    logits = draw(float_arrays((batch, classes), -5.0, 5.0))
    indices = draw(hnp.arrays(np.int64, (batch,), elements=st.integers(0, classes - 1)))
    return logits, indices


@st.composite
def logits_and_probabilities(draw):
    batch, classes = draw(st.integers(1, 4)), draw(st.integers(1, 5))
    logits = draw(float_arrays((batch, classes), -5.0, 5.0))
    weights = draw(float_arrays((batch, classes), 0.1, 1.0))
    return logits, weights / weights.sum(axis=1, keepdims=True)


# --------------------------------------------------------------------------- MSE


@pytest.mark.parametrize("reduction", ["mean", "half_sum", "sum"])
@given(data=st.data())
def test_mse_loss(backend, reduction, data):
    shape = data.draw(loss_shapes)
    prediction, target = data.draw(float_arrays(shape)), data.draw(float_arrays(shape))
    squares = (target - prediction) ** 2
    expected = {"mean": squares.mean(), "half_sum": 0.5 * squares.sum(), "sum": squares.sum()}
    p, t = leaf(prediction), leaf(target)
    loss = F.mse_loss(p, t, reduction=reduction)
    np.testing.assert_allclose(loss.numpy(), expected[reduction], rtol=1e-12)
    assert mdl.gradcheck(lambda a, b: F.mse_loss(a, b, reduction=reduction), [p, t])


def test_mse_accepts_raw_and_integer_targets(backend):
    prediction = mdl.tensor([0.5, 2.0], dtype="float32", requires_grad=True)
    loss = F.mse_loss(prediction, [1, 2])  # a list of ints: wrapped, made float32
    assert loss.dtype == np.float32
    np.testing.assert_allclose(loss.item(), 0.125)


def test_mse_unknown_reduction(backend):
    with pytest.raises(ValueError, match=r"'mean', 'half_sum', 'sum'.*'avg'"):
        F.mse_loss(mdl.tensor([1.0]), mdl.tensor([1.0]), reduction="avg")


# --------------------------------------------------------------------------- cross-entropy


@given(case=logits_and_indices())
def test_cross_entropy_with_class_indices(backend, case):
    logits, indices = case
    expected = -reference_log_softmax(logits)[np.arange(len(indices)), indices].mean()
    z = leaf(logits)
    target = mdl.tensor(indices)
    np.testing.assert_allclose(F.cross_entropy(z, target).numpy(), expected, rtol=1e-12)
    assert mdl.gradcheck(lambda v: F.cross_entropy(v, target), [z])


@given(case=logits_and_probabilities())
def test_cross_entropy_with_probabilities(backend, case):
    logits, probabilities = case
    expected = -(probabilities * reference_log_softmax(logits)).sum() / len(logits)
    z, y = leaf(logits), leaf(probabilities)
    np.testing.assert_allclose(F.cross_entropy(z, y).numpy(), expected, rtol=1e-12)
    assert mdl.gradcheck(F.cross_entropy, [z, y])  # ∂/∂target too


@st.composite
def logits_and_soft_targets(draw):
    """Targets whose rows need not sum to 1: label-smoothed one-hot rows, or any weights."""
    batch, classes = draw(st.integers(1, 4)), draw(st.integers(1, 5))
    logits = draw(float_arrays((batch, classes), -5.0, 5.0))
    if draw(st.booleans()):
        smoothing = draw(st.floats(0.0, 0.5))
        indices = draw(hnp.arrays(np.int64, (batch,), elements=st.integers(0, classes - 1)))
        target = np.full((batch, classes), smoothing / classes)
        target[np.arange(batch), indices] += 1 - smoothing
        if draw(st.booleans()):  # ε/C on the other classes only: rows sum to 1 − ε/C
            target[np.arange(batch), indices] -= smoothing / classes
    else:
        target = draw(float_arrays((batch, classes), 0.0, 2.0))
    return logits, target


@given(case=logits_and_soft_targets())
def test_cross_entropy_soft_targets_whose_rows_need_not_sum_to_one(backend, case):
    logits, target = case
    expected = -(target * reference_log_softmax(logits)).sum() / len(logits)
    z, y = leaf(logits), leaf(target)
    np.testing.assert_allclose(F.cross_entropy(z, y).numpy(), expected, rtol=1e-12, atol=1e-12)
    assert mdl.gradcheck(F.cross_entropy, [z, y])


def test_cross_entropy_unnormalised_target_gradient_by_hand(backend):
    # One row, y = [2, 0]: J = −2·log ŷ_0, so ∂J/∂z = 2·ŷ − y (not ŷ − y).
    logits = mdl.tensor(np.array([[0.0, 0.0]]), requires_grad=True)
    F.cross_entropy(logits, np.array([[2.0, 0.0]])).backward()
    np.testing.assert_allclose(mdl.tensor(logits.grad).numpy(), [[-1.0, 1.0]], rtol=1e-12)


def test_cross_entropy_soft_targets_match_torch(backend):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((4, 5))
    smoothed = np.full((4, 5), 0.1 / 5)
    smoothed[np.arange(4), [0, 3, 1, 4]] += 0.9
    for target in (smoothed, rng.uniform(0, 2, (4, 5))):
        z = leaf(logits)
        F.cross_entropy(z, target).backward()
        tz = torch.tensor(logits, requires_grad=True)
        torch.nn.functional.cross_entropy(tz, torch.tensor(target)).backward()
        np.testing.assert_allclose(mdl.tensor(z.grad).numpy(), tz.grad.numpy(), rtol=1e-10)


def test_cross_entropy_one_hot_equals_indices(backend):
    logits = mdl.tensor([[1.0, 2.0, 0.5], [0.1, -1.0, 3.0]])
    by_index = F.cross_entropy(logits, [1, 2])
    by_one_hot = F.cross_entropy(logits, [[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    np.testing.assert_allclose(by_index.item(), by_one_hot.item(), rtol=1e-6)


def test_cross_entropy_keeps_float32(backend):
    logits = mdl.tensor(np.zeros((3, 4)), dtype="float32", requires_grad=True)
    loss = F.cross_entropy(logits, np.array([0, 1, 3]))
    loss.backward()
    assert loss.dtype == np.float32 and logits.grad.dtype == np.float32


def test_uint8_class_labels_work(backend):
    # Dataset labels often come as uint8 (MNIST's IDX files).
    logits = mdl.tensor(np.zeros((2, 3)), requires_grad=True)
    F.cross_entropy(logits, np.array([2, 0], dtype=np.uint8)).backward()
    np.testing.assert_allclose(
        mdl.get_backend().to_host(logits.grad), [[1 / 6, 1 / 6, -1 / 3], [-1 / 3, 1 / 6, 1 / 6]]
    )


def test_cross_entropy_float_indices_are_a_type_error(backend):
    with pytest.raises(TypeError, match=r"integer class indices, got dtype float32.*\(2, 3\)"):
        F.cross_entropy(mdl.tensor(np.zeros((2, 3))), mdl.tensor([0.0, 1.0]))


@pytest.mark.parametrize("bad", [[0, 3], [-1, 0]])
def test_cross_entropy_index_out_of_range(backend, bad):
    # Host labels are checked on the host before they are uploaded, on every backend.
    with pytest.raises(ValueError, match=r"in \[0, 2\].*3 classes, got values from"):
        F.cross_entropy(mdl.tensor(np.zeros((2, 3))), bad)
    with pytest.raises(ValueError, match=r"in \[0, 2\].*3 classes, got values from"):
        F.cross_entropy(mdl.tensor(np.zeros((2, 3))), np.array(bad))


@pytest.mark.parametrize("bad", [[0, 3], [-1, 0]])
def test_cross_entropy_labels_already_on_the_device_never_wrap(backend, bad):
    """A GPU wraps a bad index around (label 3 of 3 classes would read class 0). Labels
    already on a device are checked there without a host read: the loss becomes NaN."""
    logits, labels = mdl.tensor(np.zeros((2, 3)), requires_grad=True), mdl.tensor(bad)
    if backend.host_memory:
        with pytest.raises(ValueError, match=r"in \[0, 2\].*3 classes, got values from"):
            F.cross_entropy(logits, labels)
        return
    with no_host_reads(backend):
        loss = F.cross_entropy(logits, labels)
    assert np.isnan(loss.item())
    loss.backward()  # the graph is intact; the NaN is what fit() reports


def test_cross_entropy_one_hot_with_wrong_number_of_classes(backend):
    with pytest.raises(
        ValueError, match=r"shape \(2, 3\) \(3 classes\), got target of shape \(2, 4\)"
    ):
        F.cross_entropy(mdl.tensor(np.zeros((2, 3))), mdl.tensor(np.eye(4)[:2]))


def test_cross_entropy_wrong_number_of_indices(backend):
    with pytest.raises(ValueError, match=r"expected 2 class indices.*\(2, 3\).*\(3,\)"):
        F.cross_entropy(mdl.tensor(np.zeros((2, 3))), [0, 1, 2])


@pytest.mark.parametrize("dtype", ["int64", "bool"])
def test_cross_entropy_integer_logits_are_a_type_error(backend, dtype):
    with pytest.raises(TypeError, match=rf"floating-point logits, got dtype {dtype}"):
        F.cross_entropy(mdl.tensor(np.zeros((2, 3), dtype=dtype)), [0, 1])


def test_cross_entropy_needs_2d_logits(backend):
    with pytest.raises(ValueError, match=r"\(batch, classes\), got shape \(3,\)"):
        F.cross_entropy(mdl.tensor([1.0, 2.0, 3.0]), [0])


# --------------------------------------------------------------------------- binary cross-entropy


@given(data=st.data())
def test_binary_cross_entropy(backend, data):
    shape = data.draw(loss_shapes)
    probability = data.draw(float_arrays(shape, 0.05, 0.95))  # inside the clip: exact gradient
    target = data.draw(float_arrays(shape, 0.0, 1.0))
    expected = -np.mean(target * np.log(probability) + (1 - target) * np.log(1 - probability))
    p, y = leaf(probability), leaf(target)
    np.testing.assert_allclose(F.binary_cross_entropy(p, y).numpy(), expected, rtol=1e-12)
    assert mdl.gradcheck(F.binary_cross_entropy, [p, y])


@given(data=st.data())
def test_binary_cross_entropy_with_logits(backend, data):
    shape = data.draw(loss_shapes)
    logits = data.draw(float_arrays(shape, -10.0, 10.0))
    target = data.draw(float_arrays(shape, 0.0, 1.0))
    p = 1 / (1 + np.exp(-logits))
    expected = -np.mean(target * np.log(p) + (1 - target) * np.log(1 - p))
    z, y = leaf(logits), leaf(target)
    np.testing.assert_allclose(
        F.binary_cross_entropy_with_logits(z, y).numpy(), expected, rtol=1e-9
    )
    assert mdl.gradcheck(F.binary_cross_entropy_with_logits, [z, y])


def test_bce_accepts_integer_labels(backend):
    prediction = mdl.tensor([0.25, 0.75], dtype="float32")
    loss = F.binary_cross_entropy(prediction, np.array([0, 1]))
    assert loss.dtype == np.float32
    np.testing.assert_allclose(loss.item(), -np.log(0.75), rtol=1e-6)


def test_bce_rejects_values_outside_0_1(backend):
    probabilities, labels = mdl.tensor([-2.0, 3.0]), mdl.tensor([0.0, 1.0])
    if not backend.host_memory:  # on a device: a NaN loss, without reading the device
        with no_host_reads(backend):
            loss = F.binary_cross_entropy(probabilities, labels)
        assert np.isnan(loss.item())
        return
    with pytest.raises(
        ValueError, match=r"probabilities in \[0, 1\], got values from -2.0 to 3.0.*with_logits"
    ):
        F.binary_cross_entropy(probabilities, labels)


@pytest.mark.parametrize(
    "loss", [F.mse_loss, F.binary_cross_entropy, F.binary_cross_entropy_with_logits]
)
def test_shape_mismatch_names_both_shapes(backend, loss):
    with pytest.raises(ValueError, match=r"prediction \(4, 1\) and target \(4,\).*reshape"):
        loss(mdl.tensor(np.full((4, 1), 0.5)), mdl.tensor(np.zeros(4)))


# --------------------------------------------------------------------------- stability


def _finite_loss_and_grad(loss_function, prediction, target, dtype):
    x = mdl.tensor(np.asarray(prediction), dtype=dtype, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # overflow or divide-by-zero warnings fail the test
        loss = loss_function(x, target)
        loss.backward()
    grad = mdl.get_backend().to_host(x.grad)
    assert np.isfinite(loss.item()) and np.all(np.isfinite(grad))
    return loss.item(), grad


@pytest.mark.parametrize("extreme", [1000.0, 65504.0])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_cross_entropy_stable_at_extreme_logits(backend, extreme, dtype):
    logits = [[extreme, -extreme, 0.0], [-extreme, extreme, extreme]]
    loss, grad = _finite_loss_and_grad(F.cross_entropy, logits, [0, 0], dtype)
    # Row 0 is right with certainty (loss 0); row 1 is wrong by `extreme`, halved by the mean.
    np.testing.assert_allclose(loss, (2 * extreme + np.log(2)) / 2, rtol=1e-6)
    np.testing.assert_allclose(grad[1], [-0.5, 0.25, 0.25], atol=1e-6)


@pytest.mark.parametrize("extreme", [1000.0, 65504.0])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_bce_with_logits_stable_at_extreme_logits(backend, extreme, dtype):
    loss, grad = _finite_loss_and_grad(
        F.binary_cross_entropy_with_logits,
        [extreme, -extreme, extreme, -extreme],
        [1.0, 0.0, 0.0, 1.0],
        dtype,
    )
    np.testing.assert_allclose(loss, extreme / 2, rtol=1e-6)  # two right (0), two wrong (extreme)
    np.testing.assert_allclose(grad, [0.0, 0.0, 0.25, -0.25], atol=1e-7)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_bce_finite_at_probabilities_exactly_0_and_1(backend, dtype):
    loss, grad = _finite_loss_and_grad(
        F.binary_cross_entropy, [0.0, 1.0, 0.0, 1.0], [0.0, 1.0, 1.0, 0.0], dtype
    )
    assert loss > 0
    assert grad[2] < 0 and grad[3] > 0  # wrong predictions still get pushed the right way


@pytest.mark.parametrize(
    "loss", [F.mse_loss, F.binary_cross_entropy, F.binary_cross_entropy_with_logits]
)
def test_mean_of_no_elements_is_an_error(backend, loss):
    with pytest.raises(ValueError, match=r"empty .* of shape \(0,\)"):
        loss(mdl.tensor(np.zeros(0)), mdl.tensor(np.zeros(0)))
    assert F.mse_loss(mdl.tensor(np.zeros(0)), mdl.tensor(np.zeros(0)), reduction="sum").item() == 0


def test_cross_entropy_needs_a_sample_and_a_class(backend):
    with pytest.raises(ValueError, match=r"at least one sample and one class.*\(0, 3\)"):
        F.cross_entropy(mdl.tensor(np.zeros((0, 3))), mdl.tensor(np.zeros(0, dtype=np.int64)))


def test_bce_with_a_nan_probability_raises_like_pytorch(backend):
    probability, target = mdl.tensor([[np.nan], [0.5]]), mdl.tensor([[1.0], [0.0]])
    if not backend.host_memory:  # on a device nothing is read back: the loss is NaN
        with no_host_reads(backend):
            loss = F.binary_cross_entropy(probability, target)
        assert np.isnan(loss.item())
        return
    with pytest.raises(ValueError, match="NaN probabilities"):
        F.binary_cross_entropy(probability, target)
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError):
        torch.nn.functional.binary_cross_entropy(
            torch.tensor([[float("nan")], [0.5]]), torch.tensor([[1.0], [0.0]])
        )

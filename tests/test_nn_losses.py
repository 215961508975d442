"""Loss modules: values against NumPy, gradients, stability, and their errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

import minidl as mdl
from minidl import nn

RNG = np.random.default_rng(1)


def softmax(z):
    shifted = np.exp(z - z.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


@pytest.mark.parametrize(
    "reduction, reference",
    [
        ("mean", lambda y, p: np.mean((y - p) ** 2)),  # FORMULAS L1
        ("half_sum", lambda y, p: 0.5 * np.sum((y - p) ** 2)),  # FORMULAS L2
        ("sum", lambda y, p: np.sum((y - p) ** 2)),
    ],
)
def test_mse_loss_reductions(backend, reduction, reference):
    prediction, target = RNG.standard_normal((4, 3)), RNG.standard_normal((4, 3))
    loss = nn.MSELoss(reduction)(mdl.tensor(prediction), target)
    assert loss.item() == pytest.approx(reference(target, prediction), rel=1e-12)


def test_cross_entropy_with_indices_and_one_hot(backend):
    logits, labels = RNG.standard_normal((5, 4)), np.array([0, 3, 1, 1, 2])
    expected = -np.mean(np.log(softmax(logits)[np.arange(5), labels]))
    loss_fn = nn.CrossEntropyLoss()
    assert loss_fn(mdl.tensor(logits), labels).item() == pytest.approx(expected, rel=1e-12)
    one_hot = np.eye(4)[labels]
    assert loss_fn(mdl.tensor(logits), one_hot).item() == pytest.approx(expected, rel=1e-12)


def test_cross_entropy_of_the_documents_example():
    """FORMULAS L5: y = [1, 0, 0], P = [0.9, 0.05, 0.05] gives L = −log 0.9 ≈ 0.1054."""
    logits = mdl.tensor(np.log([[0.9, 0.05, 0.05]]))
    loss = nn.CrossEntropyLoss()(logits, np.array([0]))
    assert loss.item() == pytest.approx(-math.log(0.9), rel=1e-12)
    assert round(loss.item(), 4) == 0.1054


def test_binary_cross_entropy_on_probabilities_and_on_logits(backend):
    logits = RNG.standard_normal((6, 1))
    target = RNG.integers(0, 2, (6, 1)).astype(np.float64)
    probability = 1 / (1 + np.exp(-logits))
    expected = -np.mean(target * np.log(probability) + (1 - target) * np.log(1 - probability))
    assert nn.BCELoss()(mdl.tensor(probability), target).item() == pytest.approx(expected, rel=1e-9)
    assert nn.BCEWithLogitsLoss()(mdl.tensor(logits), target).item() == pytest.approx(
        expected, rel=1e-9
    )


def test_losses_on_logits_are_finite_at_plus_minus_1000(backend):
    logits = mdl.tensor(np.array([[1000.0, -1000.0], [-1000.0, 1000.0]]), requires_grad=True)
    for loss in (
        nn.CrossEntropyLoss()(logits, np.array([1, 0])),
        nn.BCEWithLogitsLoss()(logits, np.array([[0.0, 1.0], [1.0, 0.0]])),
    ):
        logits.zero_grad()
        loss.backward()
        assert np.isfinite(loss.item())
        assert np.all(np.isfinite(logits.backend.to_host(logits.grad)))


@pytest.mark.parametrize(
    "loss_fn, target",
    [
        (nn.MSELoss(), RNG.standard_normal((3, 2))),
        (nn.MSELoss("half_sum"), RNG.standard_normal((3, 2))),
        (nn.CrossEntropyLoss(), np.array([1, 0, 1])),
        (nn.BCEWithLogitsLoss(), np.array([[1.0, 0.0], [0.0, 0.0], [1.0, 1.0]])),
    ],
    ids=["mse", "mse-half-sum", "cross-entropy", "bce-with-logits"],
)
def test_loss_gradients(backend, loss_fn, target):
    prediction = mdl.tensor(RNG.standard_normal((3, 2)), requires_grad=True)
    assert mdl.gradcheck(lambda p: loss_fn(p, target), [prediction])


def test_bce_gradient_on_probabilities(backend):
    probability = mdl.tensor(RNG.uniform(0.1, 0.9, (4,)), requires_grad=True)
    assert mdl.gradcheck(lambda p: nn.BCELoss()(p, np.array([0.0, 1.0, 1.0, 0.0])), [probability])


def test_a_column_prediction_against_a_flat_target_is_an_error_not_a_broadcast():
    prediction = mdl.tensor(np.zeros((64, 1)))
    for loss_fn in (nn.MSELoss(), nn.BCELoss(), nn.BCEWithLogitsLoss()):
        with pytest.raises(ValueError, match=r"\(64, 1\).*\(64,\).*reshape"):
            loss_fn(prediction, np.zeros(64))


def test_mse_reduction_is_checked_when_the_loss_is_made():
    with pytest.raises(ValueError, match=r"'mean', 'half_sum', 'sum'.*'average'"):
        nn.MSELoss("average")


def test_loss_reprs():
    assert repr(nn.MSELoss("half_sum")) == "MSELoss(reduction='half_sum')"
    assert repr(nn.CrossEntropyLoss()) == "CrossEntropyLoss()"

"""Metrics M1-M4 on small cases counted by hand, and erratum E5."""

from __future__ import annotations

import numpy as np
import pytest

import minidl as mdl
from minidl.metrics import accuracy, confusion_matrix, f1_score, precision, recall

# 10 samples: actual positives 4, predicted positives 5, true positives 3.
Y_TRUE = np.array([1, 1, 1, 1, 0, 0, 0, 0, 0, 0])
Y_PRED = np.array([1, 1, 1, 0, 1, 1, 0, 0, 0, 0])
# correct: 3 (TP) + 4 (TN) = 7 of 10.


def test_M1_accuracy(backend):
    assert accuracy(Y_TRUE, Y_PRED) == pytest.approx(0.7)
    assert accuracy(mdl.tensor(Y_TRUE), mdl.tensor(Y_PRED)) == pytest.approx(0.7)


def test_M2_recall():
    assert recall(Y_TRUE, Y_PRED) == pytest.approx(3 / 4)
    assert recall(Y_TRUE, Y_PRED, pos_label=0) == pytest.approx(4 / 6)


def test_M3_precision():
    assert precision(Y_TRUE, Y_PRED) == pytest.approx(3 / 5)
    assert precision(Y_TRUE, Y_PRED, pos_label=0) == pytest.approx(4 / 5)


def test_M4_f1():
    p, r = 3 / 5, 3 / 4
    assert f1_score(Y_TRUE, Y_PRED) == pytest.approx(2 * p * r / (p + r))


def test_E5_f1_uses_precision():
    """The documents' 2·A·R/(A+R) with accuracy A gives another number here."""
    a, p, r = 0.7, 3 / 5, 3 / 4
    documents_f1 = 2 * a * r / (a + r)
    assert f1_score(Y_TRUE, Y_PRED) != pytest.approx(documents_f1, abs=1e-3)
    assert f1_score(Y_TRUE, Y_PRED) == pytest.approx(2 * p * r / (p + r))


def test_scores_are_turned_into_classes_by_argmax(backend):
    scores = mdl.tensor([[0.1, 2.0, -1.0], [3.0, 0.0, 0.0], [0.0, 0.0, 5.0]])
    assert accuracy(np.array([1, 0, 1]), scores) == pytest.approx(2 / 3)
    one_hot_true = mdl.data.one_hot(np.array([1, 0, 1]), 3)
    assert accuracy(one_hot_true, scores) == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match="one column of scores"):
        accuracy(Y_TRUE, np.full((10, 1), 0.7))
    assert accuracy(Y_TRUE.reshape(-1, 1).astype(np.float32), Y_PRED) == pytest.approx(0.7)


def test_confusion_matrix():
    y_true = np.array([0, 1, 2, 2, 1, 0])
    y_pred = np.array([0, 2, 2, 1, 1, 0])
    expected = np.array([[2, 0, 0], [0, 1, 1], [0, 1, 1]])
    np.testing.assert_array_equal(confusion_matrix(y_true, y_pred), expected)
    padded = confusion_matrix(y_true, y_pred, num_classes=4)
    assert padded.shape == (4, 4) and padded.sum() == 6
    with pytest.raises(ValueError, match="num_classes=2"):
        confusion_matrix(y_true, y_pred, num_classes=2)


def test_macro_average():
    y_true = np.array([0, 1, 2, 2, 1, 0])
    y_pred = np.array([0, 2, 2, 1, 1, 0])
    # per class precision: 0 → 2/2, 1 → 1/2, 2 → 1/2; recall: the same by symmetry here.
    assert precision(y_true, y_pred, average="macro") == pytest.approx((1 + 0.5 + 0.5) / 3)
    assert recall(y_true, y_pred, average="macro") == pytest.approx((1 + 0.5 + 0.5) / 3)
    assert f1_score(y_true, y_pred, average="macro") == pytest.approx((1 + 0.5 + 0.5) / 3)
    with pytest.raises(ValueError, match="average='macro'"):
        precision(y_true, y_pred)  # binary on three classes


def test_zero_division_gives_zero_without_warning(recwarn):
    nothing_predicted = np.zeros(4, dtype=int)
    assert precision(np.array([1, 0, 1, 0]), nothing_predicted) == 0.0
    assert recall(np.zeros(4, dtype=int), np.array([1, 0, 0, 0])) == 0.0
    assert f1_score(np.array([1, 0, 1, 0]), nothing_predicted) == 0.0
    assert len(recwarn) == 0


def test_bad_inputs():
    with pytest.raises(ValueError, match="3 labels but y_pred has 2"):
        accuracy([0, 1, 1], [0, 1])
    with pytest.raises(ValueError, match="non-integer"):
        accuracy([0, 1], [0.2, 0.9])
    with pytest.raises(ValueError, match="average must be one of"):
        recall([0, 1], [0, 1], average="micro")


@pytest.mark.parametrize("metric", [accuracy, precision, recall, f1_score])
def test_a_score_of_no_samples_is_refused(metric):
    with pytest.raises(ValueError, match="of no samples is undefined"):
        metric([], [])
    with pytest.raises(ValueError, match="of no samples is undefined"):
        metric(np.zeros(0, np.int64), np.zeros((0, 3)))

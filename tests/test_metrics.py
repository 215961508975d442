"""Metrics M1-M4 on small cases counted by hand, erratum E5; ROC/AUC (T5) and kappa (T6)
against scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import minidl as mdl
from minidl.metrics import (
    accuracy,
    cohen_kappa,
    confusion_matrix,
    f1_score,
    precision,
    recall,
    roc_auc,
    roc_curve,
)

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


# --------------------------------------------------------------------------- T5, T6


def labels_and_scores(tied: bool):
    """(y_true with both classes, scores): few distinct values when ``tied`` (many ties)."""
    score = st.integers(0, 4).map(float) if tied else st.floats(-10, 10, allow_nan=False)
    return st.integers(2, 40).flatmap(
        lambda n: st.tuples(
            st.lists(st.integers(0, 1), min_size=n, max_size=n),
            st.lists(score, min_size=n, max_size=n),
        )
    )


def pairwise_auc(y_true, scores):
    """P(score of a random positive > score of a random negative), ties counting ½."""
    positives = scores[y_true == 1][:, None]
    negatives = scores[y_true == 0][None, :]
    return float(np.mean((positives > negatives) + 0.5 * (positives == negatives)))


@pytest.mark.parametrize("tied", [False, True])
@given(data=st.data())
def test_T5_roc_curve(tied, data):
    sklearn_metrics = pytest.importorskip("sklearn.metrics")
    y_true, scores = map(np.array, data.draw(labels_and_scores(tied)))
    assume(0 < y_true.sum() < len(y_true))
    fpr, tpr, thresholds = roc_curve(y_true, scores)
    expected = sklearn_metrics.roc_curve(y_true, scores)
    for got, want in zip((fpr, tpr, thresholds), expected):
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)


@pytest.mark.parametrize("tied", [False, True])
@given(data=st.data())
def test_T5_roc_auc(tied, data):
    y_true, scores = map(np.array, data.draw(labels_and_scores(tied)))
    assume(0 < y_true.sum() < len(y_true))
    auc = roc_auc(y_true, scores)
    assert auc == pytest.approx(pairwise_auc(y_true, scores), abs=1e-12)
    sklearn_metrics = pytest.importorskip("sklearn.metrics")
    assert auc == pytest.approx(sklearn_metrics.roc_auc_score(y_true, scores), abs=1e-12)


def test_T5_roc_by_hand(backend):
    # scores 0.9 (+), 0.8 (−), 0.7 (+), 0.1 (−): thresholds walk (0,0) (0,½) (½,½) (½,1) (1,1)
    y_true, scores = mdl.tensor([1, 0, 1, 0]), mdl.tensor([[0.9], [0.8], [0.7], [0.1]])
    fpr, tpr, thresholds = roc_curve(y_true, scores)
    np.testing.assert_allclose(fpr, [0, 0, 0.5, 0.5, 1])
    np.testing.assert_allclose(tpr, [0, 0.5, 0.5, 1, 1])
    np.testing.assert_allclose(thresholds, [np.inf, 0.9, 0.8, 0.7, 0.1], rtol=1e-6)
    assert roc_auc(y_true, scores) == pytest.approx(0.75)


@given(data=st.data())
def test_T6_cohen_kappa(data):
    n = data.draw(st.integers(1, 40))
    classes = data.draw(st.integers(2, 4))
    y_true = np.array(data.draw(st.lists(st.integers(0, classes - 1), min_size=n, max_size=n)))
    y_pred = np.array(data.draw(st.lists(st.integers(0, classes - 1), min_size=n, max_size=n)))
    counts = confusion_matrix(y_true, y_pred).astype(float)
    chance = float(counts.sum(1) @ counts.sum(0)) / n**2
    assume(chance < 1)
    kappa = cohen_kappa(y_true, y_pred)
    observed = np.trace(counts) / n
    assert kappa == pytest.approx((observed - chance) / (1 - chance), abs=1e-12)
    sklearn_metrics = pytest.importorskip("sklearn.metrics")
    assert kappa == pytest.approx(sklearn_metrics.cohen_kappa_score(y_true, y_pred), abs=1e-12)


def test_T6_cohen_kappa_by_hand():
    # Y_TRUE/Y_PRED above: p_o = 0.7, p_e = 0.4·0.5 + 0.6·0.5 = 0.5, κ = 0.2 / 0.5
    assert cohen_kappa(Y_TRUE, Y_PRED) == pytest.approx(0.4)
    assert cohen_kappa(Y_TRUE, Y_TRUE) == pytest.approx(1.0)


def test_T5_T6_bad_input_is_a_clear_error():
    with pytest.raises(ValueError, match="only one class is present in y_true"):
        roc_curve([1, 1, 1], [0.2, 0.4, 0.9])
    with pytest.raises(ValueError, match="only one class is present in y_true"):
        roc_auc([0, 0], [0.2, 0.4])
    with pytest.raises(ValueError, match="y_true has 2 labels but scores has 3"):
        roc_auc([0, 1], [0.2, 0.4, 0.9])
    with pytest.raises(ValueError, match="expected y_true of 0/1 labels"):
        roc_curve([0, 2, 1], [0.2, 0.4, 0.9])
    with pytest.raises(ValueError, match=r"scores \(N,\).*\(3, 2\)"):
        roc_curve([0, 1, 1], np.ones((3, 2)))
    with pytest.raises(ValueError, match="finite numeric scores"):
        roc_auc([0, 1], [0.2, float("nan")])
    with pytest.raises(ValueError, match="undefined when y_true and y_pred both hold only one"):
        cohen_kappa([2, 2, 2], [2, 2, 2])
    with pytest.raises(ValueError, match="y_true has 2 labels but y_pred has 3"):
        cohen_kappa([0, 1], [0, 1, 1])
    with pytest.raises(ValueError, match="at least one sample"):
        cohen_kappa([], [])


@pytest.mark.parametrize("metric", [accuracy, precision, recall, f1_score])
def test_a_score_of_no_samples_is_refused(metric):
    with pytest.raises(ValueError, match="of no samples is undefined"):
        metric([], [])
    with pytest.raises(ValueError, match="of no samples is undefined"):
        metric(np.zeros(0, np.int64), np.zeros((0, 3)))

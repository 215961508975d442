"""Classification metrics: accuracy, precision, recall, F1, confusion matrix, Cohen's
kappa; and, from scores rather than class predictions, the ROC curve and its AUC.

Every function takes ``(y_true, y_pred)`` as Tensors or arrays (NumPy or CuPy, or
lists) and returns a Python float (``confusion_matrix`` a NumPy array). They are
computed on the host: metrics are cheap, and the answer is a number.

- ``y_true``: class indices of shape (N,), or one-hot rows (N, C).
- ``y_pred``: class indices of shape (N,), or scores (N, C) with C ≥ 2 (logits or
  probabilities; the predicted class is the argmax of each row). A single column of
  scores (N, 1) is ambiguous (a probability or a logit?) and is refused: threshold it
  first, e.g. ``(prob > 0.5)``.

With ``average="binary"`` precision, recall and F1 are about the class ``pos_label``;
with ``average="macro"`` they are the unweighted mean over the classes that occur in
``y_true`` or ``y_pred``. Where a ratio has nothing to divide by (no predicted
positives for precision, no actual positives for recall, P + R = 0 for F1), the value
is 0.0, silently. Empty ``y_true`` and ``y_pred`` are refused (ValueError): a score of
no samples is undefined.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from minidl.backend import backend_of
from minidl.tensor import Tensor

AVERAGES = ("binary", "macro")


def accuracy(y_true: Any, y_pred: Any) -> float:
    """FORMULAS M1: accuracy = correct / total."""
    true, predicted = _labels(y_true, y_pred)
    _refuse_empty(true, "accuracy")
    return float((true == predicted).sum() / len(true))


def recall(y_true: Any, y_pred: Any, average: str = "binary", pos_label: int = 1) -> float:
    """FORMULAS M2: recall = true positives / actual positives (TP / (TP + FN))."""
    return _averaged(_per_class_recall, y_true, y_pred, average, pos_label)


def precision(y_true: Any, y_pred: Any, average: str = "binary", pos_label: int = 1) -> float:
    """FORMULAS M3: precision = true positives / predicted positives (TP / (TP + FP))."""
    return _averaged(_per_class_precision, y_true, y_pred, average, pos_label)


def f1_score(y_true: Any, y_pred: Any, average: str = "binary", pos_label: int = 1) -> float:
    """FORMULAS M4: F1 = 2·P·R / (P + R), the harmonic mean of precision P and recall R.

    Erratum E5: documents 000 and 002 put accuracy where precision belongs. With
    ``average="macro"`` it is the mean of the per-class F1 scores.
    """
    return _averaged(_per_class_f1, y_true, y_pred, average, pos_label)


def confusion_matrix(y_true: Any, y_pred: Any, num_classes: int | None = None) -> np.ndarray:
    """Counts (C, C) int64: row = the true class, column = the predicted class.

    ``num_classes`` defaults to 1 + the largest label seen.
    """
    true, predicted = _labels(y_true, y_pred)
    largest = int(max(true.max(initial=-1), predicted.max(initial=-1)))
    if num_classes is None:
        num_classes = largest + 1
    elif largest >= num_classes:
        raise ValueError(
            f"confusion_matrix: num_classes={num_classes}, but a label is {largest}; "
            f"labels must be in [0, {num_classes - 1}]"
        )
    pair_codes = true * num_classes + predicted  # one number per (true, predicted) pair
    counts = np.bincount(pair_codes, minlength=num_classes * num_classes)
    return counts.reshape(num_classes, num_classes)


def cohen_kappa(y_true: Any, y_pred: Any) -> float:
    """FORMULAS T6, Cohen's kappa: κ = (p_o − p_e) / (1 − p_e).

    From the confusion matrix C of n samples: p_o = Σ_k C_kk / n is the observed
    agreement (the accuracy) and p_e = Σ_k (row_k / n)(col_k / n) the agreement two
    raters with the same class frequencies would reach by chance. κ = 1 is perfect
    agreement, 0 no better than chance. Undefined when p_e = 1 (both give one and the
    same class to every sample): a ValueError here, where scikit-learn warns and
    returns NaN.
    """
    true, predicted = _labels(y_true, y_pred)
    if len(true) == 0:
        raise ValueError("cohen_kappa needs at least one sample, got none")
    counts = confusion_matrix(true, predicted).astype(np.float64)
    total = counts.sum()
    observed = np.trace(counts) / total
    expected = float(np.dot(counts.sum(axis=1), counts.sum(axis=0)) / total**2)
    if expected == 1.0:
        raise ValueError(
            f"cohen_kappa is undefined when y_true and y_pred both hold only one class "
            f"({int(true[0])}): chance agreement p_e = 1 leaves 0/0"
        )
    return float((observed - expected) / (1 - expected))


def roc_curve(y_true: Any, scores: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """FORMULAS T5: the ROC curve, ``(fpr, tpr, thresholds)``, as scikit-learn gives it.

    Predict "positive" when score >= threshold. For each distinct score, from the
    highest down, fpr = false positives / negatives and tpr = true positives /
    positives. The first point is (0, 0) at threshold +inf; points on a straight
    segment between their neighbours are left out (scikit-learn's
    ``drop_intermediate=True``), which changes no area. ``y_true`` holds 0/1 (or
    booleans), ``scores`` one number per sample (a probability or a logit: only the
    order matters).
    """
    positive, ordered_scores = _binary_scores(y_true, scores, "roc_curve")
    order = np.argsort(-ordered_scores, kind="stable")
    sorted_scores, sorted_positive = ordered_scores[order], positive[order]
    # The last sample of each group of equal scores: one point per distinct threshold.
    ends = np.r_[np.flatnonzero(np.diff(sorted_scores)), len(sorted_scores) - 1]
    true_positives = np.cumsum(sorted_positive)[ends]
    false_positives = ends + 1 - true_positives
    thresholds = sorted_scores[ends]
    if len(ends) > 2:  # keep the corners: points where the curve changes direction
        corner = np.r_[
            True,
            (np.diff(false_positives, 2) != 0) | (np.diff(true_positives, 2) != 0),
            True,
        ]
        true_positives, false_positives = true_positives[corner], false_positives[corner]
        thresholds = thresholds[corner]
    true_positives = np.r_[0, true_positives]
    false_positives = np.r_[0, false_positives]
    thresholds = np.r_[np.inf, thresholds]
    return false_positives / false_positives[-1], true_positives / true_positives[-1], thresholds


def roc_auc(y_true: Any, scores: Any) -> float:
    """FORMULAS T5: the area under the ROC curve, by trapezoids.

    It equals the probability that a random positive sample scores higher than a random
    negative one, a tie counting one half: 1.0 ranks every positive first, 0.5 is
    chance.
    """
    fpr, tpr, _ = roc_curve(y_true, scores)
    return float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2))


# --------------------------------------------------------------------------- helpers


def _binary_scores(y_true: Any, scores: Any, name: str) -> tuple[np.ndarray, np.ndarray]:
    """(positive mask, float64 scores), both (N,), after checking they fit together."""
    true = _host(y_true)
    score_array = _host(scores)
    if true.ndim == 2 and true.shape[1] == 1:
        true = true[:, 0]
    if score_array.ndim == 2 and score_array.shape[1] == 1:
        score_array = score_array[:, 0]
    if true.ndim != 1 or score_array.ndim != 1:
        raise ValueError(
            f"{name} expected y_true (N,) of 0/1 labels and scores (N,) of one number per "
            f"sample, got shapes {true.shape} and {score_array.shape}"
        )
    if len(true) != len(score_array):
        raise ValueError(
            f"{name}: y_true has {len(true)} labels but scores has {len(score_array)}; "
            "they must describe the same samples"
        )
    if true.dtype.kind not in "biuf" or not np.all((true == 0) | (true == 1)):
        raise ValueError(
            f"{name} expected y_true of 0/1 labels (1 = positive), got values "
            f"{np.unique(true)[:5].tolist()}"
        )
    if score_array.dtype.kind not in "biuf" or not np.all(np.isfinite(score_array)):
        raise ValueError(f"{name} expected finite numeric scores")
    positive = true.astype(np.int64)
    if np.unique(positive).size < 2:
        raise ValueError(
            f"{name}: only one class is present in y_true ({len(true)} samples); the ROC "
            "curve needs positives and negatives (scikit-learn says the same)"
        )
    return positive, score_array.astype(np.float64)


def _host(values: Any) -> np.ndarray:
    """A Tensor, NumPy/CuPy array or list as a host NumPy array."""
    if isinstance(values, Tensor):
        return values.numpy()
    if hasattr(values, "shape"):
        return backend_of(values).to_host(values)
    return np.asarray(values)


def _counts(true: np.ndarray, predicted: np.ndarray, label: int) -> tuple[int, int, int]:
    """(true positives, false positives, false negatives) with ``label`` as positive."""
    is_true, is_predicted = true == label, predicted == label
    true_positives = int((is_true & is_predicted).sum())
    false_positives = int((~is_true & is_predicted).sum())
    false_negatives = int((is_true & ~is_predicted).sum())
    return true_positives, false_positives, false_negatives


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else 0.0


def _per_class_precision(true, predicted, label) -> float:
    true_positives, false_positives, _ = _counts(true, predicted, label)
    return _ratio(true_positives, true_positives + false_positives)


def _per_class_recall(true, predicted, label) -> float:
    true_positives, _, false_negatives = _counts(true, predicted, label)
    return _ratio(true_positives, true_positives + false_negatives)


def _per_class_f1(true, predicted, label) -> float:
    p = _per_class_precision(true, predicted, label)
    r = _per_class_recall(true, predicted, label)
    return _ratio(2 * p * r, p + r)


def _averaged(per_class, y_true: Any, y_pred: Any, average: str, pos_label: int) -> float:
    if average not in AVERAGES:
        raise ValueError(f"average must be one of {AVERAGES}, got {average!r}")
    true, predicted = _labels(y_true, y_pred)
    _refuse_empty(true, per_class.__name__.removeprefix("_per_class_"))
    classes = np.union1d(true, predicted)
    if average == "binary":
        if len(classes) > 2:
            raise ValueError(
                f"average='binary' needs two classes, but the labels have {len(classes)} "
                f"({classes.tolist()[:10]}); use average='macro' for several classes"
            )
        return per_class(true, predicted, pos_label)
    return float(np.mean([per_class(true, predicted, label) for label in classes]))


def _refuse_empty(true: np.ndarray, metric: str) -> None:
    if len(true) == 0:
        raise ValueError(
            f"{metric} of no samples is undefined: y_true and y_pred are empty "
            "(an empty validation set?)"
        )


def _labels(y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray]:
    """Both arguments as host int64 class indices of the same length."""
    true = _class_indices(y_true, "y_true")
    predicted = _class_indices(y_pred, "y_pred")
    if true.shape != predicted.shape:
        raise ValueError(
            f"y_true has {len(true)} labels but y_pred has {len(predicted)}; "
            "they must describe the same samples"
        )
    return true, predicted


def _class_indices(values: Any, name: str) -> np.ndarray:
    """Indices (N,) from indices, (N, 1) indices, or (N, C) scores / one-hot rows."""
    array = _host(values)
    if array.ndim == 2 and array.shape[1] >= 2:
        return array.argmax(axis=1).astype(np.int64)
    if array.ndim == 2 and array.shape[1] == 1:
        if array.dtype.kind == "f" and not np.all(array == np.round(array)):
            raise ValueError(
                f"{name} has one column of scores {array.shape}: a probability or a logit? "
                "Turn it into class indices first, e.g. (prob > 0.5) or (logit > 0)"
            )
        array = array[:, 0]
    if array.ndim != 1:
        raise ValueError(
            f"{name} must be class indices (N,) or scores (N, C), got shape {array.shape}"
        )
    if array.dtype.kind == "b":
        return array.astype(np.int64)
    if array.dtype.kind == "f" and not np.all(array == np.round(array)):
        raise ValueError(
            f"{name} must hold class indices, but has non-integer values such as "
            f"{array[array != np.round(array)][0]}; pass scores as an (N, C) array"
        )
    if array.dtype.kind not in "iuf":
        raise TypeError(f"{name} must hold class indices, got dtype {array.dtype}")
    indices = array.astype(np.int64)
    if indices.size and indices.min() < 0:
        raise ValueError(f"{name} has negative class indices (smallest {indices.min()})")
    return indices

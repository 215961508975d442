"""Classification metrics: accuracy, precision, recall, F1, confusion matrix.

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


# --------------------------------------------------------------------------- helpers


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
    if isinstance(values, Tensor):
        array = values.numpy()
    elif hasattr(values, "shape"):
        array = backend_of(values).to_host(values)
    else:
        array = np.asarray(values)
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

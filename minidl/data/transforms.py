"""Preprocessing: standardization, pixel scaling, one-hot labels, train/test split.

Each function takes NumPy or CuPy arrays (or Tensors) and computes on the device the
data already lives on; it returns the same kind of thing it was given.

The random image transforms of data augmentation (FORMULAS T4: RandomHorizontalFlip,
RandomRotation, RandomZoom, RandomShift, Compose) live in augmentation.py and are
importable from here too.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from minidl.backend import backend_of
from minidl.data.augmentation import (  # noqa: F401  (re-exported: transforms.RandomZoom etc.)
    Compose,
    RandomHorizontalFlip,
    RandomRotation,
    RandomShift,
    RandomZoom,
    Transform,
)
from minidl.tensor import Tensor


def _unwrap(x: Any) -> tuple[Any, bool]:
    """The array inside ``x`` and whether ``x`` was a Tensor (to wrap the answer again)."""
    if isinstance(x, Tensor):
        return x.data, True
    if not hasattr(x, "shape"):
        return np.asarray(x), False
    return x, False


def _as_float(array: Any) -> Any:
    """Integer and boolean arrays become float32 (minidl's default float); floats stay."""
    return array if array.dtype.kind == "f" else array.astype(np.float32)


def standardize(x: Any, mean: Any = None, std: Any = None) -> tuple[Any, Any, Any]:
    """FORMULAS D1, per feature (column): x' = (x − μ) / σ. Returns ``(x', μ, σ)``.

    μ and σ are computed over the samples (axis 0) unless given, so the test set can be
    standardized with the training set's statistics:

        x_train, mean, std = standardize(x_train)
        x_test, _, _ = standardize(x_test, mean, std)

    A feature that never changes has σ = 0; its σ is taken as 1 (so x' = x − μ = 0)
    instead of dividing by zero. The returned σ shows the 1.
    """
    array, was_tensor = _unwrap(x)
    array = _as_float(array)
    xp = backend_of(array).xp
    if mean is None:
        mean = array.mean(axis=0)
    if std is None:
        std = array.std(axis=0)
        std = xp.where(std == 0, xp.ones_like(std), std)
    mean = xp.asarray(_unwrap(mean)[0], dtype=array.dtype)
    std = xp.asarray(_unwrap(std)[0], dtype=array.dtype)
    if xp.any(std == 0):
        raise ValueError("standardize: the given std contains zeros; use 1 for constant features")
    standardized = (array - mean) / std
    return (Tensor(standardized) if was_tensor else standardized), mean, std


def scale_pixels(x: Any) -> Any:
    """FORMULAS D2: x / 255, for 8-bit pixel values 0..255 -> floats in [0, 1].

    Integer input becomes float32; float input keeps its dtype.
    """
    array, was_tensor = _unwrap(x)
    scaled = _as_float(array) / 255
    return Tensor(scaled) if was_tensor else scaled


def one_hot(labels: Any, num_classes: int) -> Any:
    """FORMULAS D3: class indices (N,) -> float32 rows (N, num_classes) with a single 1.

    Label k becomes the row with a 1 in column k: ``one_hot([2, 0], 3)`` is
    ``[[0, 0, 1], [1, 0, 0]]``, the target format of softmax + cross-entropy (L4).
    """
    array, was_tensor = _unwrap(labels)
    xp = backend_of(array).xp
    if (
        isinstance(num_classes, bool)
        or not isinstance(num_classes, numbers.Integral)
        or num_classes < 1
    ):
        raise ValueError(f"one_hot: num_classes must be a positive int, got {num_classes!r}")
    if array.dtype.kind == "f" and bool(xp.any(array != xp.round(array))):
        raise ValueError("one_hot expected integer class indices, got non-integer values")
    if array.dtype.kind not in "iuf":
        raise TypeError(f"one_hot expected integer class indices, got dtype {array.dtype}")
    indices = array.astype(np.int64)
    if indices.size and (int(indices.min()) < 0 or int(indices.max()) >= num_classes):
        raise ValueError(
            f"one_hot: labels must be in [0, {num_classes - 1}] for num_classes={num_classes}, "
            f"got values from {int(indices.min())} to {int(indices.max())}"
        )
    encoded = xp.eye(num_classes, dtype=np.float32)[indices]
    return Tensor(encoded) if was_tensor else encoded


def train_test_split(
    *arrays: Any, test_size: float | int = 0.2, seed: int = 0, stratify: Any = None
) -> list[Any]:
    """Shuffle the samples with ``seed`` and split every array the same way.

    Returns ``[a_train, a_test, b_train, b_test, ...]`` (like scikit-learn).
    ``test_size`` is a fraction in (0, 1) or a number of samples. With ``stratify``
    (usually the labels) each class is split on its own, so both parts keep the class
    proportions; each class gives ``round(test_fraction · class_count)`` test samples.
    """
    if not arrays:
        raise ValueError("train_test_split needs at least one array")
    hosts = [_unwrap(a)[0] for a in arrays]
    count = len(hosts[0])
    lengths = [len(a) for a in hosts]
    if len(set(lengths)) != 1:
        raise ValueError(f"train_test_split: arrays have different lengths {lengths}")
    if isinstance(test_size, numbers.Integral) and not isinstance(test_size, bool):
        if not 0 < test_size < count:
            raise ValueError(f"test_size={test_size} must be between 1 and {count - 1} samples")
        test_fraction = test_size / count
    elif isinstance(test_size, numbers.Real) and 0 < test_size < 1:
        test_fraction = float(test_size)
    else:
        raise ValueError(
            f"test_size must be a fraction in (0, 1) or a number of samples, got {test_size!r}"
        )

    rng = np.random.default_rng(seed)
    if stratify is None:
        order = rng.permutation(count)
        test_count = round(test_fraction * count)
        test_indices, train_indices = order[:test_count], order[test_count:]
    else:
        groups, _ = _unwrap(stratify)
        groups = backend_of(groups).to_host(groups)
        if len(groups) != count:
            raise ValueError(f"stratify has {len(groups)} labels for {count} samples")
        test_parts, train_parts = [], []
        for group in np.unique(groups):
            members = rng.permutation(np.flatnonzero(groups == group))
            test_count = round(test_fraction * len(members))
            test_parts.append(members[:test_count])
            train_parts.append(members[test_count:])
        test_indices = rng.permutation(np.concatenate(test_parts))
        train_indices = rng.permutation(np.concatenate(train_parts))

    result = []
    for original, array in zip(arrays, hosts):
        for indices in (train_indices, test_indices):
            part = array[backend_of(array).asarray(indices)]
            result.append(Tensor(part) if isinstance(original, Tensor) else part)
    return result

"""Real data sets: the small ones bundled with scikit-learn, and (Fashion-)MNIST; text
from a CSV file (``load_text_csv``); and minidl's generated text corpora (``reviews``,
``embedded_reber``, from ``minidl.data.corpora``).

Each loader returns host NumPy arrays ``(features, labels)``: float32 features and
int64 class labels (float32 targets for regression). Wrap them with ``TensorDataset``
and a ``DataLoader`` to train.

scikit-learn is used only to read its bundled files (no download); it is imported
inside the functions, so minidl works without it until one of them is called.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from minidl.data import idx
from minidl.data.corpora import REVIEW_CLASSES, embedded_reber, reviews  # noqa: F401


def _sklearn_datasets():
    try:
        from sklearn import datasets
    except ImportError:
        raise ImportError(
            "this data set is read from the files bundled with scikit-learn, which is not "
            "installed; install it with `pip install scikit-learn`"
        ) from None
    return datasets


def load_digits(images: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """1797 handwritten digits, 8×8 pixels with values 0..16, ten classes.

    Returns ``(x, y)``: ``x`` float32 scaled to [0, 1] (pixel / 16), of shape (1797, 64),
    or (1797, 1, 8, 8) images (N, channels, height, width) with ``images=True``;
    ``y`` int64 labels 0..9.
    """
    bunch = _sklearn_datasets().load_digits()
    features = (bunch.data / 16.0).astype(np.float32)
    if images:
        features = features.reshape(-1, 1, 8, 8)
    return features, bunch.target.astype(np.int64)


def load_breast_cancer() -> tuple[np.ndarray, np.ndarray]:
    """569 tumours, 30 measured features, binary label (1 = benign, 0 = malignant).

    Returns ``(x, y)``: float32 (569, 30) raw features (their scales differ a lot:
    standardize them, D1) and int64 labels.
    """
    bunch = _sklearn_datasets().load_breast_cancer()
    return bunch.data.astype(np.float32), bunch.target.astype(np.int64)


def load_diabetes() -> tuple[np.ndarray, np.ndarray]:
    """442 patients, 10 features (already centred and scaled), a regression target.

    Returns ``(x, y)``: float32 (442, 10) and float32 (442,) disease progression after
    one year (values about 25..346).
    """
    bunch = _sklearn_datasets().load_diabetes()
    return bunch.data.astype(np.float32), bunch.target.astype(np.float32)


# --------------------------------------------------------------------------- IDX sets

MNIST_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)
FASHION_MNIST_MIRRORS = (
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
)
MNIST_MD5 = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}
FASHION_MNIST_MD5 = {
    "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
    "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
    "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
    "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
}


def mnist(
    root: str | os.PathLike, train: bool = True, download: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """MNIST handwritten digits: 60000 training or 10000 test images of 28×28 pixels.

    The four official files are looked for in ``root/mnist/`` (gzipped or not).
    Returns ``(x, y)``: float32 images (N, 1, 28, 28) scaled to [0, 1] (D2) and int64
    labels 0..9. ``download=True`` fetches missing files from the official mirrors and
    checks their MD5.
    """
    return _idx_dataset(Path(root) / "mnist", "mnist", train, download, MNIST_MIRRORS, MNIST_MD5)


def fashion_mnist(
    root: str | os.PathLike, train: bool = True, download: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Fashion-MNIST: 28×28 images of 10 kinds of clothing, laid out like MNIST.

    Files in ``root/fashion-mnist/``; returns ``(x, y)`` as ``mnist`` does.
    """
    return _idx_dataset(
        Path(root) / "fashion-mnist",
        "fashion_mnist",
        train,
        download,
        FASHION_MNIST_MIRRORS,
        FASHION_MNIST_MD5,
    )


def _idx_dataset(
    folder: Path,
    function_name: str,
    train: bool,
    download: bool,
    mirrors: tuple[str, ...],
    checksums: dict[str, str],
) -> tuple[np.ndarray, np.ndarray]:
    prefix = "train" if train else "t10k"
    names = (f"{prefix}-images-idx3-ubyte.gz", f"{prefix}-labels-idx1-ubyte.gz")
    paths = [_find(folder, name) for name in names]
    missing = [name for name, path in zip(names, paths) if path is None]
    if missing and download:
        for name in missing:
            idx.fetch(mirrors, name, folder / name, checksums[name])
        paths = [_find(folder, name) for name in names]
    elif missing:
        raise FileNotFoundError(
            f"{function_name}: missing {', '.join(missing)} in {folder}/ (the .gz files as "
            f"published, or the same names without .gz). Put the files there, or call "
            f"{function_name}(root, download=True) to fetch them from the official mirrors"
        )
    images = idx.read_idx(paths[0], idx.IMAGES_MAGIC)
    labels = idx.read_idx(paths[1], idx.LABELS_MAGIC)
    if len(images) != len(labels):
        raise ValueError(
            f"{function_name}: {paths[0].name} has {len(images)} images but "
            f"{paths[1].name} has {len(labels)} labels"
        )
    images = (images.astype(np.float32) / 255)[:, None, :, :]  # D2, plus a channel axis
    return images, labels.astype(np.int64)


def _find(folder: Path, gz_name: str) -> Path | None:
    """The file, compressed or not, if it is in ``folder``."""
    for candidate in (folder / gz_name, folder / gz_name.removesuffix(".gz")):
        if candidate.is_file():
            return candidate
    return None


def load_text_csv(
    path: str | os.PathLike, text_column: str, label_column: str
) -> tuple[list[str], np.ndarray, list]:
    """The documents' ``data.csv`` flow (001: ``data['text']``, ``data['label']``).

    Returns ``(texts, labels, classes)``: the texts as strings, the labels as int64
    indices into ``classes``. Integer labels (0, 1, 2, ...) stay as they are and
    ``classes`` is ``[0, ..., max]``; other labels ("sports", "pos") are numbered in
    sorted order. Read with Python's csv module (quoted commas and newlines work).
    """
    import csv

    path = Path(path)
    with path.open(newline="", encoding="utf-8") as file:
        reader = csv.DictReader(file)
        columns = reader.fieldnames or []
        for column in (text_column, label_column):
            if column not in columns:
                raise KeyError(f"{path} has no column {column!r}; its columns are {columns}")
        rows = list(reader)
    texts = [row[text_column] or "" for row in rows]
    raw_labels = [(row[label_column] or "").strip() for row in rows]
    if raw_labels and all(label.isdigit() for label in raw_labels):
        labels = np.array([int(label) for label in raw_labels], dtype=np.int64)
        return texts, labels, list(range(int(labels.max()) + 1))
    classes = sorted(set(raw_labels))
    index = {name: i for i, name in enumerate(classes)}
    return texts, np.array([index[label] for label in raw_labels], dtype=np.int64), classes

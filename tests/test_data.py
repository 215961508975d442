"""Data: preprocessing formulas (D1-D3), loaders, bundled data sets and the IDX format."""

from __future__ import annotations

import gzip

import numpy as np
import pytest

import minidl as mdl
from minidl.data import (
    DataLoader,
    Dataset,
    TensorDataset,
    datasets,
    one_hot,
    scale_pixels,
    standardize,
    train_test_split,
)
from minidl.data.idx import IMAGES_MAGIC, LABELS_MAGIC, read_idx

# --------------------------------------------------------------------------- D1-D3


def test_D1_standardize(backend):
    x = backend.asarray(np.array([[1.0, 10.0, 5.0], [3.0, 30.0, 5.0]], dtype=np.float32))
    standardized, mean, std = standardize(x)
    host = backend.to_host(standardized)
    # per column: μ = (1+3)/2 = 2, σ = 1 → (−1, 1); μ = 20, σ = 10 → (−1, 1); σ = 0 → 1.
    np.testing.assert_allclose(host, [[-1, -1, 0], [1, 1, 0]])
    np.testing.assert_allclose(backend.to_host(mean), [2, 20, 5])
    np.testing.assert_allclose(backend.to_host(std), [1, 10, 1])  # the constant column
    assert host.dtype == np.float32 and np.isfinite(host).all()

    # The test set uses the training statistics.
    test = backend.asarray(np.array([[2.0, 40.0, 7.0]], dtype=np.float32))
    test_standardized, _, _ = standardize(test, mean, std)
    np.testing.assert_allclose(backend.to_host(test_standardized), [[0, 2, 2]])


def test_D1_standardize_tensor_in_tensor_out(backend):
    x = mdl.tensor([[0.0], [2.0]])
    standardized, _, _ = standardize(x)
    assert isinstance(standardized, mdl.Tensor)
    np.testing.assert_allclose(standardized.numpy(), [[-1.0], [1.0]])


def test_D2_scale_pixels(backend):
    pixels = backend.asarray(np.array([0, 51, 255], dtype=np.uint8))
    scaled = scale_pixels(pixels)
    assert scaled.dtype == np.float32
    np.testing.assert_allclose(backend.to_host(scaled), [0.0, 0.2, 1.0], rtol=1e-6)


def test_D3_one_hot(backend):
    labels = backend.asarray(np.array([2, 0, 1, 2]))
    encoded = backend.to_host(one_hot(labels, 3))
    np.testing.assert_array_equal(encoded, [[0, 0, 1], [1, 0, 0], [0, 1, 0], [0, 0, 1]])
    assert encoded.dtype == np.float32
    with pytest.raises(ValueError, match=r"labels must be in \[0, 2\].*from 0 to 3"):
        one_hot(np.array([0, 3]), 3)
    with pytest.raises(ValueError, match="non-integer"):
        one_hot(np.array([0.5]), 3)


def test_train_test_split_is_seeded_and_stratified():
    x = np.arange(100).reshape(50, 2)
    y = np.array([0] * 40 + [1] * 10)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.2, seed=3, stratify=y)
    assert len(x_test) == 10 and len(x_train) == 40
    assert (y_test == 1).sum() == 2 and (y_test == 0).sum() == 8  # proportions kept
    np.testing.assert_array_equal(y_train, y[x_train[:, 0] // 2])  # rows stay paired
    assert set(x_train[:, 0]).isdisjoint(x_test[:, 0])
    again = train_test_split(x, y, test_size=0.2, seed=3, stratify=y)
    np.testing.assert_array_equal(again[1], x_test)
    other = train_test_split(x, y, test_size=0.2, seed=4, stratify=y)
    assert not np.array_equal(other[1], x_test)
    with pytest.raises(ValueError, match="test_size"):
        train_test_split(x, test_size=1.5)


# --------------------------------------------------------------------------- loaders


def make_dataset(count=10):
    x = np.arange(count * 3, dtype=np.float32).reshape(count, 3)
    y = np.arange(count, dtype=np.int64)
    return TensorDataset(x, y)


def test_loader_batches_in_order(backend):
    loader = DataLoader(make_dataset(10), batch_size=4)
    batches = list(loader)
    assert len(loader) == 3 and [len(b[1]) for b in batches] == [4, 4, 2]
    for x, y in batches:
        assert isinstance(x, mdl.Tensor) and x.device == backend.name
        assert x.dtype == np.float32 and y.dtype == np.int64
    np.testing.assert_array_equal(np.concatenate([y.numpy() for _, y in batches]), np.arange(10))
    np.testing.assert_array_equal(batches[0][0].numpy()[1], [3, 4, 5])


def test_loader_drop_last(backend):
    loader = DataLoader(make_dataset(10), batch_size=4, drop_last=True)
    assert len(loader) == 2 and [len(y) for _, y in loader] == [4, 4]


def epoch_orders(loader, epochs=3):
    return [np.concatenate([y.numpy() for _, y in loader]) for _ in range(epochs)]


def test_loader_shuffle_is_reproducible_from_seed(backend):
    first = epoch_orders(DataLoader(make_dataset(20), batch_size=6, shuffle=True, seed=7))
    second = epoch_orders(DataLoader(make_dataset(20), batch_size=6, shuffle=True, seed=7))
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(np.sort(a), np.arange(20))  # a permutation
    assert not np.array_equal(first[0], first[1])  # a new order every epoch
    third = epoch_orders(DataLoader(make_dataset(20), batch_size=6, shuffle=True, seed=8))
    assert not np.array_equal(first[0], third[0])


def test_loader_without_seed_follows_manual_seed(backend):
    mdl.manual_seed(5)
    first = epoch_orders(DataLoader(make_dataset(20), batch_size=6, shuffle=True))
    mdl.manual_seed(5)
    second = epoch_orders(DataLoader(make_dataset(20), batch_size=6, shuffle=True))
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)


def test_loader_state_continues_shuffling():
    loader = DataLoader(make_dataset(20), batch_size=6, shuffle=True, seed=1)
    epoch_orders(loader, 2)
    saved = loader.get_state()
    expected = epoch_orders(loader, 2)
    restored = DataLoader(make_dataset(20), batch_size=6, shuffle=True, seed=999)
    restored.set_state(saved)
    for a, b in zip(expected, epoch_orders(restored, 2)):
        np.testing.assert_array_equal(a, b)


class SquaresDataset(Dataset):
    """A generic dataset: samples are computed one at a time."""

    def __len__(self):
        return 5

    def __getitem__(self, index):
        return np.array([index, index * index], dtype=np.float32), index


def test_loader_generic_dataset(backend):
    batches = list(DataLoader(SquaresDataset(), batch_size=2))
    assert len(batches) == 3
    x, y = batches[1]
    np.testing.assert_array_equal(x.numpy(), [[2, 4], [3, 9]])
    np.testing.assert_array_equal(y.numpy(), [2, 3])
    assert x.device == backend.name


def test_loader_and_dataset_errors():
    with pytest.raises(ValueError, match="batch_size must be >= 1"):
        DataLoader(make_dataset(), batch_size=0)
    with pytest.raises(TypeError, match="TensorDataset"):
        DataLoader(5, batch_size=2)
    with pytest.raises(ValueError, match=r"lengths \[3, 4\]"):
        TensorDataset(np.zeros((3, 2)), np.zeros(4))


# --------------------------------------------------------------------------- data sets


def test_bundled_datasets_shapes():
    x, y = datasets.load_digits()
    assert x.shape == (1797, 64) and x.dtype == np.float32 and y.dtype == np.int64
    assert 0.0 <= x.min() and x.max() == 1.0 and set(np.unique(y)) == set(range(10))
    images, labels = datasets.load_digits(images=True)
    assert images.shape == (1797, 1, 8, 8)
    np.testing.assert_array_equal(images.reshape(1797, 64), x)

    x, y = datasets.load_breast_cancer()
    assert x.shape == (569, 30) and x.dtype == np.float32 and set(np.unique(y)) == {0, 1}

    x, y = datasets.load_diabetes()
    assert x.shape == (442, 10) and y.shape == (442,) and y.dtype == np.float32


# --------------------------------------------------------------------------- IDX files


def idx_bytes(magic, shape, data):
    header = magic.to_bytes(4, "big") + b"".join(size.to_bytes(4, "big") for size in shape)
    return header + np.asarray(data, dtype=np.uint8).tobytes()


def write_mnist_files(folder, prefix, count=5, compress=True):
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(count, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=count, dtype=np.uint8)
    for kind, magic, data in (
        ("images-idx3", IMAGES_MAGIC, images),
        ("labels-idx1", LABELS_MAGIC, labels),
    ):
        content = idx_bytes(magic, data.shape, data)
        name = f"{prefix}-{kind}-ubyte"
        if compress:
            (folder / f"{name}.gz").write_bytes(gzip.compress(content))
        else:
            (folder / name).write_bytes(content)
    return images, labels


def test_idx_reader_plain_and_gzip(tmp_path):
    data = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    (tmp_path / "plain").write_bytes(idx_bytes(IMAGES_MAGIC, data.shape, data))
    (tmp_path / "packed.gz").write_bytes(gzip.compress(idx_bytes(IMAGES_MAGIC, data.shape, data)))
    np.testing.assert_array_equal(read_idx(tmp_path / "plain", IMAGES_MAGIC), data)
    np.testing.assert_array_equal(read_idx(tmp_path / "packed.gz", IMAGES_MAGIC), data)


def test_idx_wrong_magic(tmp_path):
    labels = np.arange(5, dtype=np.uint8)
    path = tmp_path / "labels"
    path.write_bytes(idx_bytes(LABELS_MAGIC, labels.shape, labels))
    with pytest.raises(ValueError, match="wrong magic number 0x00000801, expected 0x00000803"):
        read_idx(path, IMAGES_MAGIC)


def test_idx_truncated(tmp_path):
    data = np.zeros((4, 28, 28), dtype=np.uint8)
    content = idx_bytes(IMAGES_MAGIC, data.shape, data)
    (tmp_path / "short").write_bytes(content[:-100])
    with pytest.raises(ValueError, match=r"truncated.*3136 bytes of data, the file has 3036"):
        read_idx(tmp_path / "short", IMAGES_MAGIC)
    (tmp_path / "header").write_bytes(content[:10])
    with pytest.raises(ValueError, match="truncated IDX header"):
        read_idx(tmp_path / "header", IMAGES_MAGIC)
    (tmp_path / "short.gz").write_bytes(gzip.compress(content)[:-30])
    with pytest.raises(ValueError, match="damaged or truncated"):
        read_idx(tmp_path / "short.gz", IMAGES_MAGIC)


def test_mnist_loader_reads_written_files(tmp_path):
    images, labels = write_mnist_files(tmp_path / "mnist", "t10k", count=6)
    x, y = datasets.mnist(tmp_path, train=False)
    assert x.shape == (6, 1, 28, 28) and x.dtype == np.float32 and y.dtype == np.int64
    np.testing.assert_allclose(x[:, 0], images / 255, rtol=1e-6)
    np.testing.assert_array_equal(y, labels)

    write_mnist_files(tmp_path / "fashion-mnist", "train", count=3, compress=False)
    x, y = datasets.fashion_mnist(tmp_path, train=True)
    assert x.shape == (3, 1, 28, 28)


def test_mnist_missing_files_say_where(tmp_path):
    with pytest.raises(FileNotFoundError) as error:
        datasets.mnist(tmp_path, train=True)
    message = str(error.value)
    assert "train-images-idx3-ubyte.gz" in message and "train-labels-idx1-ubyte.gz" in message
    assert str(tmp_path / "mnist") in message and "download=True" in message


def test_mnist_count_mismatch(tmp_path):
    write_mnist_files(tmp_path / "mnist", "train", count=4)
    labels = np.zeros(3, dtype=np.uint8)
    (tmp_path / "mnist" / "train-labels-idx1-ubyte.gz").write_bytes(
        gzip.compress(idx_bytes(LABELS_MAGIC, labels.shape, labels))
    )
    with pytest.raises(ValueError, match="4 images but .* 3 labels"):
        datasets.mnist(tmp_path)


@pytest.mark.parametrize("dataset", ["digits", b"xy", {"x": 1}])
def test_a_string_or_a_dict_is_not_a_dataset(dataset):
    with pytest.raises(TypeError, match="DataLoader expected a Dataset"):
        DataLoader(dataset)

"""Data augmentation (FORMULAS T4): each random transform against a per-image reference."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import minidl as mdl
from minidl.data import DataLoader, TensorDataset, transforms

ndimage = pytest.importorskip("scipy.ndimage")


def images(count=5, channels=2, height=7, width=9, seed=0):
    return np.random.default_rng(seed).random((count, channels, height, width)).astype(np.float32)


def affine_reference(batch, matrices):
    """scipy's affine_transform image by image, channel by channel: the oracle."""
    height, width = batch.shape[2:]
    center = np.array([(height - 1) / 2, (width - 1) / 2])
    out = np.empty_like(batch)
    for n, matrix in enumerate(matrices):
        offset = center - matrix @ center  # source = center + M (output − center)
        for c in range(batch.shape[1]):
            out[n, c] = ndimage.affine_transform(
                batch[n, c], matrix, offset=offset, order=1, mode="nearest"
            )
    return out


def test_T4_horizontal_flip():
    batch = images()
    np.testing.assert_array_equal(transforms.RandomHorizontalFlip(1.0)(batch), batch[..., ::-1])
    np.testing.assert_array_equal(transforms.RandomHorizontalFlip(0.0)(batch), batch)
    flipped = np.random.default_rng(3).random(len(batch)) < 0.5
    got = transforms.RandomHorizontalFlip(0.5)(batch, rng=np.random.default_rng(3))
    for n in range(len(batch)):
        np.testing.assert_array_equal(got[n], batch[n, ..., ::-1] if flipped[n] else batch[n])


def test_T4_rotation():
    batch = images()
    angles = np.deg2rad(np.random.default_rng(4).uniform(-30, 30, len(batch)))
    matrices = [np.array([[np.cos(a), np.sin(a)], [-np.sin(a), np.cos(a)]]) for a in angles]
    got = transforms.RandomRotation(30)(batch, rng=np.random.default_rng(4))
    np.testing.assert_allclose(got, affine_reference(batch, matrices), rtol=1e-5, atol=1e-6)
    assert got.dtype == np.float32 and got.shape == batch.shape


def test_T4_rotation_by_90_degrees_is_rot90_counter_clockwise():
    square = images(2, 1, 5, 5)
    got = transforms.RandomRotation((90, 90))(square)
    np.testing.assert_allclose(got, np.rot90(square, axes=(2, 3)), atol=1e-6)


def test_T4_zoom():
    batch = images()
    factors = np.random.default_rng(5).uniform(0.8, 1.2, len(batch))
    got = transforms.RandomZoom(0.2)(batch, rng=np.random.default_rng(5))
    expected = affine_reference(batch, [np.eye(2) / z for z in factors])
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_T4_shift():
    batch = images()
    height, width = batch.shape[2:]
    limits = np.array([0.3 * height, 0.2 * width])
    shifts = np.rint(np.random.default_rng(6).uniform(-limits, limits, (len(batch), 2)))
    got = transforms.RandomShift((0.3, 0.2))(batch, rng=np.random.default_rng(6))
    for n, (dy, dx) in enumerate(shifts.astype(int)):
        rows = np.clip(np.arange(height) - dy, 0, height - 1)
        columns = np.clip(np.arange(width) - dx, 0, width - 1)
        np.testing.assert_array_equal(got[n], batch[n][:, rows][:, :, columns])
    assert np.any(shifts != 0)


def test_T4_compose_is_reproducible_under_manual_seed():
    augment = transforms.Compose(
        [
            transforms.RandomHorizontalFlip(),
            transforms.RandomRotation(20),
            transforms.RandomZoom((0.9, 1.1)),
            transforms.RandomShift(0.1),
        ]
    )
    batch = images()
    mdl.manual_seed(7)
    first = augment(batch)
    second = augment(batch)
    mdl.manual_seed(7)
    np.testing.assert_array_equal(augment(batch), first)
    assert not np.array_equal(first, second)  # a fresh draw every call
    np.testing.assert_array_equal(batch, images())  # the input is left alone


@pytest.mark.parametrize("seed", [None, 11])
def test_T4_data_loader_draws_afresh_every_epoch(seed):
    x, y = images(12), np.arange(12)
    augment = transforms.Compose([transforms.RandomHorizontalFlip(), transforms.RandomShift(0.3)])

    def two_epochs():
        mdl.manual_seed(0)
        loader = DataLoader(TensorDataset(x, y), batch_size=5, seed=seed, transform=augment)
        return [[batch[0].numpy() for batch in loader] for _ in range(2)]

    epoch_1, epoch_2 = two_epochs()
    assert all(b.shape[1:] == (2, 7, 9) and b.dtype == np.float32 for b in epoch_1)
    assert not all(np.array_equal(a, b) for a, b in zip(epoch_1, epoch_2))
    again_1, again_2 = two_epochs()
    for got, expected in zip(again_1 + again_2, epoch_1 + epoch_2):
        np.testing.assert_array_equal(got, expected)
    plain = DataLoader(TensorDataset(x, y), batch_size=12)
    np.testing.assert_array_equal(next(iter(plain))[0].numpy(), x)  # no transform: unchanged


def test_one_image_and_tensors_work(backend):
    image = images(1)[0]
    assert transforms.RandomRotation(10)(image).shape == image.shape
    tensor_batch = mdl.tensor(images())
    result = transforms.RandomHorizontalFlip(1.0)(tensor_batch)
    np.testing.assert_array_equal(backend.to_host(result), images()[..., ::-1])


def test_bad_input_is_named():
    with pytest.raises(ValueError, match=r"expected images of shape \(N, C, H, W\).*\(7, 9\)"):
        transforms.RandomHorizontalFlip()(np.zeros((7, 9), np.float32))
    with pytest.raises(TypeError, match="expected float images, got dtype uint8"):
        transforms.RandomShift(0.1)(np.zeros((1, 1, 4, 4), np.uint8))
    with pytest.raises(ValueError, match=r"p must be in \[0.0, 1.0\], got p=1.5"):
        transforms.RandomHorizontalFlip(1.5)
    with pytest.raises(ValueError, match="degrees must be >= 0"):
        transforms.RandomRotation(-5)
    with pytest.raises(ValueError, match="degrees must be finite"):
        transforms.RandomRotation(float("nan"))
    with pytest.raises(ValueError, match="needs low <= high"):
        transforms.RandomZoom((1.2, 0.8))
    with pytest.raises(ValueError, match="zoom factors must be > 0"):
        transforms.RandomZoom(1.5)
    with pytest.raises(ValueError, match="fraction must be in"):
        transforms.RandomShift(-0.1)
    with pytest.raises(TypeError, match="item 1 is a int"):
        transforms.Compose([transforms.RandomHorizontalFlip(), 3])
    with pytest.raises(TypeError, match="transform must be callable"):
        DataLoader(TensorDataset(images()), batch_size=2, transform="flip")


def test_missing_scipy_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "scipy", None)
    with pytest.raises(ImportError, match=r'pip install "minidl\[image\]"'):
        transforms.RandomRotation(10)
    transforms.RandomHorizontalFlip()  # flips and shifts need no scipy


@pytest.mark.parametrize("seed", [None, 2])
def test_fit_with_augmentation_resumes_bit_identically(tmp_path, seed):
    from minidl import nn, optim
    from minidl.train import fit

    x = images(20, 1, 6, 6)
    y = (x[:, 0, :, :3].mean(axis=(1, 2)) > x[:, 0, :, 3:].mean(axis=(1, 2))).astype(np.int64)
    augment = transforms.Compose([transforms.RandomRotation(10), transforms.RandomShift(0.2)])

    def run(epochs, resume, path):
        mdl.manual_seed(0)
        model = nn.Sequential(nn.Flatten(), nn.Linear(36, 2))
        optimizer = optim.SGD(model.parameters(), lr=0.1)
        loader = DataLoader(TensorDataset(x, y), 8, shuffle=True, seed=seed, transform=augment)
        fit(model, nn.CrossEntropyLoss(), optimizer, loader, epochs, progress=False,
            checkpoint_path=path, resume=resume)  # fmt: skip
        return [p.numpy() for p in model.parameters()]

    straight = run(4, False, tmp_path / "a.npz")
    run(2, False, tmp_path / "b.npz")
    for got, expected in zip(run(4, True, tmp_path / "b.npz"), straight):
        np.testing.assert_array_equal(got, expected)

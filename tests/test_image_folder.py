"""ImageFolder (network X5′): Keras' flow_from_directory, and X5 trained from a folder."""

from __future__ import annotations

import sys
import time

import numpy as np
import pytest

import minidl as mdl
from minidl.data import DataLoader, ImageFolder, transforms

Image = pytest.importorskip("PIL.Image")


def write_image(path, pixels):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path)


@pytest.fixture
def folder(tmp_path):
    """root/cats: 2 RGB images 4×6; root/dogs: 1 grayscale PNG and a text file."""
    rng = np.random.default_rng(0)
    pixels = {
        "cats/a.png": rng.integers(0, 256, (4, 6, 3), dtype=np.uint8),
        "cats/b.PNG": rng.integers(0, 256, (4, 6, 3), dtype=np.uint8),
        "dogs/c.png": rng.integers(0, 256, (4, 6), dtype=np.uint8),
    }
    root = tmp_path / "root"
    for name, array in pixels.items():
        write_image(root / name, array)
    (root / "dogs" / "notes.txt").write_text("not an image: skipped, like Keras")
    return root, pixels


def test_X5prime_reads_class_folders_like_flow_from_directory(folder):
    root, pixels = folder
    data = ImageFolder(root, target_size=(4, 6), class_mode="categorical")
    assert data.classes == ["cats", "dogs"] and data.class_indices == {"cats": 0, "dogs": 1}
    assert data.filenames == ["cats/a.png", "cats/b.PNG", "dogs/c.png"]
    np.testing.assert_array_equal(data.labels, [0, 0, 1])
    image, label = data[0]
    assert image.dtype == np.float32 and image.shape == (3, 4, 6)
    np.testing.assert_array_equal(image, pixels["cats/a.png"].transpose(2, 0, 1) / np.float32(255))
    np.testing.assert_array_equal(label, [1.0, 0.0])
    gray, label = data[2]  # a grayscale file becomes RGB, as Keras' color_mode="rgb"
    np.testing.assert_array_equal(
        gray, np.repeat(pixels["dogs/c.png"][None] / np.float32(255), 3, 0)
    )
    np.testing.assert_array_equal(label, [0.0, 1.0])

    binary = ImageFolder(root, target_size=(8, 3), class_mode="binary")
    images, labels = next(iter(DataLoader(binary, batch_size=3)))
    assert images.shape == (3, 3, 8, 3) and labels.shape == (3, 1)
    np.testing.assert_array_equal(labels.numpy(), [[0.0], [0.0], [1.0]])
    resized = np.asarray(Image.open(root / "cats/a.png").resize((3, 8), Image.Resampling.NEAREST))
    np.testing.assert_array_equal(images.numpy()[0], resized.transpose(2, 0, 1) / np.float32(255))
    assert ImageFolder(root, (4, 6), color_mode="grayscale")[0][0].shape == (1, 4, 6)


def test_X5prime_transform_is_applied_per_image(folder):
    root, _ = folder
    flip = ImageFolder(root, (4, 6), transform=transforms.RandomHorizontalFlip(1.0))
    plain = ImageFolder(root, (4, 6))
    np.testing.assert_array_equal(flip[1][0], plain[1][0][..., ::-1])


def test_bad_folders_and_files_are_named(tmp_path, folder):
    root, _ = folder
    with pytest.raises(FileNotFoundError, match="is not a folder"):
        ImageFolder(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="has no sub-folders"):
        ImageFolder(tmp_path / "empty")
    (tmp_path / "empty" / "cats").mkdir()
    with pytest.raises(ValueError, match=r"no images in the class folders .*\(cats\)"):
        ImageFolder(tmp_path / "empty")
    with pytest.raises(ValueError, match="class_mode must be one of"):
        ImageFolder(root, class_mode="sparse")
    with pytest.raises(ValueError, match=r"target_size must be \(height, width\)"):
        ImageFolder(root, target_size=150)
    write_image(root / "birds" / "d.png", np.zeros((2, 2, 3), np.uint8))
    with pytest.raises(ValueError, match="needs exactly 2 class folders .* found 3"):
        ImageFolder(root, class_mode="binary")

    (root / "cats" / "broken.jpg").write_bytes(b"this is not a jpeg")
    with pytest.raises(ValueError, match=r"broken\.jpg' is not an image Pillow can read"):
        ImageFolder(root)
    (root / "cats" / "broken.jpg").unlink()
    png = (root / "cats" / "a.png").read_bytes()
    (root / "cats" / "a.png").write_bytes(png[: len(png) // 2])  # header fine, data cut
    data = ImageFolder(root, (4, 6))
    with pytest.raises(ValueError, match=r"cannot read image .*a\.png"):
        data[data.filenames.index("cats/a.png")]


def test_missing_pillow_names_the_extra(folder, monkeypatch):
    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(ImportError, match=r'pip install "minidl\[image\]"'):
        ImageFolder(folder[0])


def write_shapes(root, per_class, seed, size=75):
    """Two classes of synthetic shapes on black: filled discs and thin crosses, in random
    bright colours, sizes and places (saved at 75×75, read at 150×150)."""
    rng = np.random.default_rng(seed)
    rows, columns = np.mgrid[:size, :size]
    for name in ("crosses", "discs"):
        for index in range(per_class):
            radius = rng.uniform(0.2, 0.3) * size
            center_row, center_column = rng.uniform(radius, size - radius, 2)
            dy, dx = np.abs(rows - center_row), np.abs(columns - center_column)
            if name == "discs":
                mask = dy**2 + dx**2 <= radius**2
            else:
                mask = ((dy <= 1.5) & (dx <= radius)) | ((dx <= 1.5) & (dy <= radius))
            colour = rng.uniform(0.6, 1.0, 3)
            pixels = np.where(mask[..., None], colour, 0.0)
            write_image(root / name / f"{index:02d}.png", (pixels * 255).astype(np.uint8))


def test_X5prime_x5_learns_an_image_folder(tmp_path):
    """X5 exactly as written (150×150×3, Conv 32/64/128 + MaxPool, Dense 512, Dropout 0.5,
    sigmoid, BCE, Adam 0.001, batch 32) from a class-folder data set, as in document 000
    §5.2. Kept small for CI: 24 images, one batch per epoch."""
    from minidl import models, nn, optim
    from minidl.train import evaluate, fit

    write_shapes(tmp_path / "train", per_class=12, seed=0)
    mdl.manual_seed(0)
    data = ImageFolder(tmp_path / "train", target_size=(150, 150), class_mode="binary")
    assert data.classes == ["crosses", "discs"] and data[0][0].shape == (3, 150, 150)
    model = models.x5_cnn(3, 150)
    optimizer = optim.Adam(model.parameters(), lr=0.001)
    loader = DataLoader(data, batch_size=32, shuffle=True, seed=0)
    started = time.perf_counter()
    history = fit(model, nn.BCELoss(), optimizer, loader, 6, progress=False)
    seconds = time.perf_counter() - started
    result = evaluate(model, DataLoader(data, batch_size=32), nn.BCELoss())
    print(f"X5' on {len(data)} images, 6 epochs: {seconds:.1f} s, {history.train_loss}")
    assert result["accuracy"] >= 0.9
    assert result["loss"] < 0.3 < history.train_loss[0]

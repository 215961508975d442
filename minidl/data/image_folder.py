"""ImageFolder: labelled images read from one sub-folder per class (network X5′).

    root/
        cats/  001.jpg 002.png ...
        dogs/  001.jpg ...

    train_set = ImageFolder("root", target_size=(150, 150), class_mode="binary")
    loader = DataLoader(train_set, batch_size=32, shuffle=True)

What Keras' ``ImageDataGenerator(rescale=1/255).flow_from_directory(...)`` does: the
classes are the sub-folders in alphabetical order (``class_indices`` maps name to
index); each image is decoded with Pillow, converted to RGB (or grayscale), resized to
``target_size`` (height, width), scaled by 1/255 and given as a float32 (C, H, W) array.
Labels are float32: one-hot rows (``class_mode="categorical"``, for cross-entropy) or a
single 0/1 (``"binary"``, two classes, for BCE, as a (1,) array so that batches are
(N, 1) like the model's output).

Images are read when a sample is asked for, so a folder larger than memory works; the
file headers are checked up front, so a file that is not an image is named at once.
Pillow comes with the ``image`` extra: ``pip install "minidl[image]"``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from minidl import random as minidl_random
from minidl.data.dataset import Dataset

# The file endings Keras' flow_from_directory reads.
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".ppm", ".tif", ".tiff")
CLASS_MODES = ("categorical", "binary")
COLOR_MODES = {"rgb": ("RGB", 3), "grayscale": ("L", 1)}


class ImageFolder(Dataset):
    """Samples ``(image, label)`` from ``root``'s class sub-folders (see the module text).

    ``transform`` (e.g. augmentation from ``minidl.data.transforms``) is applied to each
    image as it is read, with minidl's host generator (``manual_seed`` seeds it).
    """

    def __init__(
        self,
        root: str | os.PathLike,
        target_size: tuple[int, int] = (256, 256),
        class_mode: str = "categorical",
        transform: Callable[..., Any] | None = None,
        color_mode: str = "rgb",
    ) -> None:
        self.root = Path(root)
        self.target_size = _checked_size(target_size)
        if class_mode not in CLASS_MODES:
            raise ValueError(
                f"ImageFolder: class_mode must be one of {CLASS_MODES}, got {class_mode!r}"
            )
        if color_mode not in COLOR_MODES:
            raise ValueError(
                f"ImageFolder: color_mode must be one of {tuple(COLOR_MODES)}, got {color_mode!r}"
            )
        if transform is not None and not callable(transform):
            raise TypeError(
                f"ImageFolder: transform must be callable, got {type(transform).__name__}"
            )
        self.class_mode, self.color_mode, self.transform = class_mode, color_mode, transform
        self._pil_image = _require_pillow()

        self.classes = _class_folders(self.root)
        self.class_indices = {name: index for index, name in enumerate(self.classes)}
        if class_mode == "binary" and len(self.classes) != 2:
            raise ValueError(
                f"ImageFolder: class_mode='binary' needs exactly 2 class folders in "
                f"{os.fspath(self.root)!r}, found {len(self.classes)}: {self.classes}; use "
                "class_mode='categorical' for more"
            )
        self.samples = [
            (path, index)
            for index, name in enumerate(self.classes)
            for path in sorted((self.root / name).iterdir())
            if path.is_file() and path.suffix.lower() in IMAGE_EXTENSIONS
        ]
        if not self.samples:
            raise ValueError(
                f"ImageFolder: no images in the class folders of {os.fspath(self.root)!r} "
                f"({', '.join(self.classes)}); expected files ending in "
                f"{', '.join(IMAGE_EXTENSIONS)}"
            )
        for path, _ in self.samples:
            self._check_header(path)

    @property
    def filenames(self) -> list[str]:
        """Each sample's file, relative to ``root`` (Keras' ``filenames``)."""
        return [os.fspath(path.relative_to(self.root)) for path, _ in self.samples]

    @property
    def labels(self) -> np.ndarray:
        """Each sample's class index, int64 (Keras' ``classes``)."""
        return np.array([index for _, index in self.samples], dtype=np.int64)

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        path, class_index = self.samples[index]
        image = self.load_image(path)
        if self.transform is not None:
            image = self.transform(image, rng=minidl_random.host_rng())
        if self.class_mode == "binary":
            label = np.array([class_index], dtype=np.float32)
        else:
            label = np.eye(len(self.classes), dtype=np.float32)[class_index]
        return image, label

    def load_image(self, path: str | os.PathLike) -> np.ndarray:
        """One file as a float32 (C, H, W) array in [0, 1], resized to ``target_size``."""
        mode, _ = COLOR_MODES[self.color_mode]
        height, width = self.target_size
        try:
            with self._pil_image.open(path) as picture:
                picture = picture.convert(mode)
                if picture.size != (width, height):
                    # Keras' default interpolation is "nearest".
                    picture = picture.resize((width, height), self._pil_image.Resampling.NEAREST)
                pixels = np.asarray(picture, dtype=np.float32)
        except (OSError, ValueError, SyntaxError) as error:
            raise ValueError(
                f"ImageFolder: cannot read image {os.fspath(path)!r}: {error}"
            ) from error
        pixels = pixels / 255  # FORMULAS D2
        return pixels[None] if pixels.ndim == 2 else pixels.transpose(2, 0, 1).copy()

    def _check_header(self, path: Path) -> None:
        try:
            with self._pil_image.open(path):
                pass
        except (OSError, ValueError, SyntaxError) as error:
            raise ValueError(
                f"ImageFolder: {os.fspath(path)!r} is not an image Pillow can read ({error}); "
                "remove it or move it out of the class folders"
            ) from error

    def __repr__(self) -> str:
        return (
            f"ImageFolder({os.fspath(self.root)!r}, {len(self)} images, classes={self.classes}, "
            f"target_size={self.target_size}, class_mode={self.class_mode!r})"
        )


def _class_folders(root: Path) -> list[str]:
    if not root.is_dir():
        raise FileNotFoundError(
            f"ImageFolder: {os.fspath(root)!r} is not a folder; expected a folder with one "
            "sub-folder of images per class"
        )
    classes = sorted(entry.name for entry in root.iterdir() if entry.is_dir())
    if not classes:
        raise ValueError(
            f"ImageFolder: {os.fspath(root)!r} has no sub-folders; expected one sub-folder of "
            "images per class, e.g. root/cats/*.jpg and root/dogs/*.jpg"
        )
    return classes


def _checked_size(target_size: Any) -> tuple[int, int]:
    if (
        not isinstance(target_size, (tuple, list))
        or len(target_size) != 2
        or not all(
            isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in target_size
        )
        or min(target_size) < 1
    ):
        raise ValueError(
            f"ImageFolder: target_size must be (height, width), two positive ints, "
            f"got {target_size!r}"
        )
    return int(target_size[0]), int(target_size[1])


def _require_pillow() -> Any:
    try:
        from PIL import Image
    except ImportError as error:
        raise ImportError(
            f"ImageFolder decodes images with Pillow, which is not installed ({error}); "
            'install the image extra: pip install "minidl[image]"'
        ) from error
    return Image

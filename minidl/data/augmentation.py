"""Data augmentation (FORMULAS T4): random flips, rotations, zooms and shifts of images.

    augment = Compose([RandomHorizontalFlip(0.5), RandomRotation(15), RandomZoom(0.1)])
    train_loader = DataLoader(train_set, batch_size=32, shuffle=True, transform=augment)

Every transform takes a batch of float images (N, C, H, W) (or one image (C, H, W)) and
returns a new batch of the same shape; each image gets its own random draw, from the
generator it is given (the DataLoader passes its own) or else from minidl's host
generator, which ``minidl.manual_seed`` seeds. So every epoch sees freshly transformed
images, and the same seed gives the same ones, run after run.

Each transform works on the whole batch at once: flips and shifts by indexing, rotations
and zooms by one call of ``scipy.ndimage.map_coordinates`` (bilinear interpolation) on
the batch. Pixels that come from outside the image take the value of the nearest edge
pixel (Keras' default ``fill_mode="nearest"``). scipy comes with the ``image`` extra:
``pip install "minidl[image]"``.

Give the transform to the training loader only: a model is judged on the images as they
are.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from minidl import random as minidl_random
from minidl.backend import backend_of


class Transform:
    """Base class: ``transform(images, rng=None)`` -> transformed copy of ``images``.

    Subclasses implement ``apply(images, rng)`` on a host float array (N, C, H, W).
    """

    def __call__(self, images: Any, rng: np.random.Generator | None = None) -> Any:
        batch, single, backend = _as_host_batch(images, type(self).__name__)
        rng = rng if rng is not None else minidl_random.host_rng()
        result = self.apply(batch, rng)
        result = result[0] if single else result
        return result if backend is None else backend.asarray(result)

    def apply(self, images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        raise NotImplementedError

    def __repr__(self) -> str:
        settings = ", ".join(f"{key}={value!r}" for key, value in vars(self).items())
        return f"{type(self).__name__}({settings})"


class Compose(Transform):
    """Apply ``transforms`` one after the other, each with its own random draws."""

    def __init__(self, transforms: Sequence[Transform]) -> None:
        transforms = list(transforms)
        for position, transform in enumerate(transforms):
            if not callable(transform):
                raise TypeError(
                    f"Compose expected transforms (e.g. RandomHorizontalFlip()), but item "
                    f"{position} is a {type(transform).__name__}"
                )
        self.transforms = transforms

    def apply(self, images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        for transform in self.transforms:
            images = transform(images, rng)
        return images


class RandomHorizontalFlip(Transform):
    """Mirror each image left-right with probability ``p``."""

    def __init__(self, p: float = 0.5) -> None:
        self.p = _number_in("RandomHorizontalFlip", "p", p, 0.0, 1.0)

    def apply(self, images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        flipped = rng.random(len(images)) < self.p
        result = images.copy()
        result[flipped] = images[flipped][..., ::-1]
        return result


class RandomRotation(Transform):
    """Rotate each image about its centre by an angle drawn uniformly from the range.

    ``degrees=d`` draws from [−d, d]; a pair ``(low, high)`` from [low, high]. A positive
    angle turns the picture counter-clockwise as ``imshow`` shows it. The output pixel
    at offset (dy, dx) from the centre reads the input at

        (dy', dx') = (cos θ · dy + sin θ · dx, −sin θ · dy + cos θ · dx).
    """

    def __init__(self, degrees: float | tuple[float, float]) -> None:
        self.degrees = _range("RandomRotation", "degrees", degrees, symmetric_around=0.0)
        _require_scipy(type(self).__name__)

    def apply(self, images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        angles = np.deg2rad(rng.uniform(*self.degrees, size=len(images)))
        cos, sin = np.cos(angles), np.sin(angles)
        matrices = np.stack([np.stack([cos, sin], -1), np.stack([-sin, cos], -1)], -2)
        return _resample(images, matrices)


class RandomZoom(Transform):
    """Zoom each image about its centre by a factor drawn uniformly from the range.

    ``scale=s`` draws from [1 − s, 1 + s]; a pair ``(low, high)`` from [low, high]. A
    factor z > 1 zooms in (the content grows), z < 1 zooms out: the output pixel at
    offset (dy, dx) from the centre reads the input at (dy / z, dx / z).
    """

    def __init__(self, scale: float | tuple[float, float]) -> None:
        self.scale = _range("RandomZoom", "scale", scale, symmetric_around=1.0)
        if self.scale[0] <= 0:
            raise ValueError(f"RandomZoom: zoom factors must be > 0, got the range {self.scale}")
        _require_scipy(type(self).__name__)

    def apply(self, images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        inverse = 1.0 / rng.uniform(*self.scale, size=len(images))
        matrices = inverse[:, None, None] * np.eye(2)
        return _resample(images, matrices)


class RandomShift(Transform):
    """Move each image by whole pixels: up to ``fraction`` of its height and width.

    ``fraction=f`` draws a vertical shift from [−f·H, f·H] and a horizontal one from
    [−f·W, f·W] (rounded to whole pixels); a pair ``(f_height, f_width)`` sets the two
    apart. The content moves by (dy, dx): output pixel (y, x) is input pixel
    (y − dy, x − dx), clipped to the edge.
    """

    def __init__(self, fraction: float | tuple[float, float]) -> None:
        if isinstance(fraction, (tuple, list)) and len(fraction) == 2:
            pair = fraction
        else:
            pair = (fraction, fraction)
        self.fraction = tuple(
            _number_in("RandomShift", "fraction", value, 0.0, 1.0) for value in pair
        )

    def apply(self, images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        count, channels, height, width = images.shape
        limits = np.array([self.fraction[0] * height, self.fraction[1] * width])
        shifts = np.rint(rng.uniform(-limits, limits, size=(count, 2))).astype(np.int64)
        rows = np.clip(np.arange(height) - shifts[:, :1], 0, height - 1)  # (N, H)
        columns = np.clip(np.arange(width) - shifts[:, 1:], 0, width - 1)  # (N, W)
        return images[
            np.arange(count)[:, None, None, None],
            np.arange(channels)[None, :, None, None],
            rows[:, None, :, None],
            columns[:, None, None, :],
        ]


# --------------------------------------------------------------------------- helpers


def _resample(images: np.ndarray, matrices: np.ndarray) -> np.ndarray:
    """Image n read at centre + matrices[n] @ (output pixel − centre), bilinear, edge-filled.

    One ``map_coordinates`` call over the whole batch: the sample and channel
    coordinates are whole numbers, so only height and width are interpolated.
    """
    ndimage = _require_scipy("RandomRotation/RandomZoom")
    count, channels, height, width = images.shape
    center = np.array([(height - 1) / 2, (width - 1) / 2])
    rows, columns = np.meshgrid(np.arange(height), np.arange(width), indexing="ij")
    offsets = np.stack([rows - center[0], columns - center[1]])  # (2, H, W)
    source = np.einsum("nij,jhw->nihw", matrices, offsets) + center[None, :, None, None]
    coordinates = np.empty((4, count, channels, height, width))
    coordinates[0] = np.arange(count)[:, None, None, None]
    coordinates[1] = np.arange(channels)[None, :, None, None]
    coordinates[2] = source[:, None, 0]
    coordinates[3] = source[:, None, 1]
    return ndimage.map_coordinates(images, coordinates, order=1, mode="nearest")


def _require_scipy(user: str) -> Any:
    try:
        from scipy import ndimage
    except ImportError as error:
        raise ImportError(
            f"{user} resamples images with scipy.ndimage, and scipy is not installed "
            f'({error}); install the image extra: pip install "minidl[image]"'
        ) from error
    return ndimage


def _as_host_batch(images: Any, name: str) -> tuple[np.ndarray, bool, Any]:
    """(host batch (N, C, H, W), whether one image (C, H, W) came, its backend or None)."""
    from minidl.tensor import Tensor  # a Tensor's array is what gets transformed

    if isinstance(images, Tensor):
        images = images.data
    backend = None
    if hasattr(images, "shape") and not isinstance(images, np.ndarray):
        backend = backend_of(images)
        images = backend.to_host(images)
    array = np.asarray(images)
    if array.ndim not in (3, 4):
        raise ValueError(
            f"{name} expected images of shape (N, C, H, W) or one image (C, H, W), got "
            f"shape {array.shape}"
        )
    if array.dtype.kind != "f":
        raise TypeError(
            f"{name} expected float images, got dtype {array.dtype}; scale 8-bit pixels "
            "first, e.g. minidl.data.scale_pixels(x)"
        )
    single = array.ndim == 3
    return (array[None] if single else array), single, backend


def _number_in(name: str, setting: str, value: Any, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name}: {setting} must be a number, got {value!r}")
    if not low <= value <= high:  # also false for NaN
        raise ValueError(f"{name}: {setting} must be in [{low}, {high}], got {setting}={value!r}")
    return float(value)


def _range(name: str, setting: str, value: Any, symmetric_around: float) -> tuple[float, float]:
    """A number d >= 0 as [c − d, c + d] around c, or a pair (low, high) with low <= high."""
    pair = tuple(value) if isinstance(value, (tuple, list)) else (value,)
    if len(pair) not in (1, 2):
        raise ValueError(f"{name}: {setting} must be a number or a pair, got {value!r}")
    for bound in pair:
        if isinstance(bound, bool) or not isinstance(bound, numbers.Real):
            raise TypeError(f"{name}: {setting} must be a number or a pair, got {value!r}")
        if not math.isfinite(bound):
            raise ValueError(f"{name}: {setting} must be finite, got {setting}={value!r}")
    if len(pair) == 1:
        if pair[0] < 0:
            raise ValueError(f"{name}: {setting} must be >= 0, got {setting}={value!r}")
        pair = (symmetric_around - pair[0], symmetric_around + pair[0])
    if pair[0] > pair[1]:
        raise ValueError(f"{name}: {setting}=(low, high) needs low <= high, got {value!r}")
    return float(pair[0]), float(pair[1])

"""Ready-made models used by ``minidl train`` and the examples.

    mlp(64, (64, 64), 10)          Linear–ReLU–Linear–ReLU–Linear (the documents' X4 shape)
    cnn(1, 8, 10)                  Conv–ReLU–MaxPool twice, then Flatten–Linear (X6)
    x5_cnn(3, 150)                 the documents' X5 / X5′ image classifier, sigmoid output

mlp and cnn end in raw scores (logits): pair them with CrossEntropyLoss (several
classes), BCEWithLogitsLoss (one output, two classes) or MSELoss (regression). x5_cnn
ends in a sigmoid, as the document writes it: pair it with BCELoss.
"""

from __future__ import annotations

from collections.abc import Sequence

from minidl import nn


def mlp(
    in_features: int, hidden: Sequence[int] = (64, 64), out_features: int = 10
) -> nn.Sequential:
    """A multilayer perceptron: a Linear + ReLU per hidden size, then a Linear to the output."""
    layers: list[nn.Module] = []
    width = in_features
    for size in hidden:
        layers += [nn.Linear(width, size), nn.ReLU()]
        width = size
    layers.append(nn.Linear(width, out_features))
    return nn.Sequential(*layers)


def cnn(
    in_channels: int,
    image_size: int,
    num_outputs: int,
    channels: Sequence[int] = (16, 32),
) -> nn.Sequential:
    """A small CNN for square images of side ``image_size`` (NCHW input).

    Each entry of ``channels`` adds Conv2d(3×3, padding 1) – ReLU – MaxPool2d(2), which
    keeps the size through the convolution and halves it in the pooling; a final Linear
    maps the flattened feature maps to ``num_outputs``.
    """
    layers: list[nn.Module] = []
    width, size = in_channels, image_size
    for out_channels in channels:
        if size < 2:
            raise ValueError(
                f"cnn: {len(channels)} pooling stages halve {image_size}×{image_size} images "
                "below 1 pixel; use fewer channels entries"
            )
        layers += [nn.Conv2d(width, out_channels, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)]
        width, size = out_channels, size // 2
    layers += [nn.Flatten(), nn.Linear(width * size * size, num_outputs)]
    return nn.Sequential(*layers)


def x5_cnn(in_channels: int = 3, image_size: int = 150) -> nn.Sequential:
    """FORMULAS X5 as written: Conv(32, 3×3)–MaxPool2–Conv(64)–MaxPool2–Conv(128)–MaxPool2–
    Flatten–Dense(512)–Dropout(0.5)–Dense(1, sigmoid), ReLU after each conv and the Dense(512).

    The convolutions are "valid" (no padding), so 150×150 inputs shrink
    148→74→72→36→34→17 and the Flatten gives 128·17·17 = 36992 features.
    """
    size = image_size
    for _ in range(3):
        size = (size - 2) // 2
    if size < 1:
        raise ValueError(
            f"x5_cnn: three 3×3 convolutions and 2×2 poolings need images of at least "
            f"14×14 pixels, got {image_size}×{image_size}"
        )
    return nn.Sequential(
        nn.Conv2d(in_channels, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(64, 128, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(128 * size * size, 512), nn.ReLU(),
        nn.Dropout(0.5),
        nn.Linear(512, 1), nn.Sigmoid(),
    )  # fmt: skip

"""Ready-made models used by ``minidl train`` and the examples.

    mlp(64, (64, 64), 10)          Linear–ReLU–Linear–ReLU–Linear (the documents' X4 shape)
    cnn(1, 8, 10)                  Conv–ReLU–MaxPool twice, then Flatten–Linear (X6)

Both end in raw scores (logits): pair them with CrossEntropyLoss (several classes),
BCEWithLogitsLoss (one output, two classes) or MSELoss (regression).
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

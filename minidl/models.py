"""Ready-made models used by ``minidl train`` and the examples.

    mlp(64, (64, 64), 10)          Linear–ReLU–Linear–ReLU–Linear (the documents' X4 shape)
    cnn(1, 8, 10)                  Conv–ReLU–MaxPool twice, then Flatten–Linear (X6)
    x5_cnn(3, 150)                 the documents' X5 / X5′ image classifier, sigmoid output
    KerasTextClassifier(10000)     Embedding–LSTM(64)–Dense, document 001's (X7)
    TextClassifier(V, 100, 256, 6, 2, 0.5)  Embedding–2-layer LSTM–Linear, 002's (X8)

mlp and cnn end in raw scores (logits): pair them with CrossEntropyLoss (several
classes), BCEWithLogitsLoss (one output, two classes) or MSELoss (regression). x5_cnn
ends in a sigmoid, as the document writes it: pair it with BCELoss.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from minidl import nn
from minidl.tensor import Tensor


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


class KerasTextClassifier(nn.Module):
    """FORMULAS X7, document 001's Keras text classifier::

        Embedding(input_dim=vocab_size, output_dim=128, input_length=max_len)
        LSTM(64)
        Dense(num_classes, activation='softmax')      # categorical cross-entropy, Adam

    Input: token ids (batch, max_len), padded in front by ``pad_sequences`` (Keras'
    default). As in the document (no ``mask_zero``), the LSTM reads the padding too; its
    last hidden state, after the real tokens, goes to the Dense layer. The output is
    the scores before the softmax: ``nn.CrossEntropyLoss`` applies softmax and
    categorical cross-entropy in one stable step (FORMULAS L4).
    """

    def __init__(
        self,
        vocab_size: int = 10000,
        embedding_dim: int = 128,
        lstm_units: int = 64,
        num_classes: int = 10,
    ) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embedding_dim)
        self.lstm = nn.LSTM(embedding_dim, lstm_units, batch_first=True)
        self.dense = nn.Linear(lstm_units, num_classes)

    def forward(self, ids: Any) -> Tensor:
        _, (h_n, _) = self.lstm(self.embedding(ids))
        return self.dense(h_n[-1])


class TextClassifier(nn.Module):
    """FORMULAS X8, document 002's PyTorch news classifier, with erratum E9 corrected::

        embedded = self.dropout(self.embedding(text))
        packed_output, (hidden, cell) = self.rnn(pack_padded_sequence(embedded, text_len))
        hidden = self.dropout(torch.cat((hidden[-2,:,:], hidden[-1,:,:]), dim=1))   # E9
        return self.fc(hidden.squeeze(0))

    E9: concatenating the last two layers' h_n gives 2·hidden_dim features, which
    ``nn.Linear(hidden_dim, output_dim)`` cannot take (that concatenation belongs to a
    bidirectional LSTM's two directions). The classifier reads the last layer's h_n,
    ``hidden[-1]``. Input ``text``: (steps, batch) token ids, time-major like
    torchtext's, padded after each text; ``text_len``: the real lengths (S4).
    """

    def __init__(
        self,
        vocab_size: int,
        embedding_dim: int = 100,
        hidden_dim: int = 256,
        output_dim: int = 6,
        n_layers: int = 2,
        dropout: float = 0.5,
    ) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embedding_dim)
        self.rnn = nn.LSTM(embedding_dim, hidden_dim, n_layers, dropout=dropout)
        self.fc = nn.Linear(hidden_dim, output_dim)
        self.dropout = nn.Dropout(dropout)

    def forward(self, text: Any, text_len: Any) -> Tensor:
        embedded = self.dropout(self.embedding(text))
        _, (hidden, _) = self.rnn(embedded, lengths=text_len)
        return self.fc(self.dropout(hidden[-1]))

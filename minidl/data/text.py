"""Text to padded batches of token ids: tokenize, Vocabulary, pad_sequences, TextDataset.

The documents' flow (001: Keras' Tokenizer and pad_sequences; 002: torchtext's Field
with ``build_vocab(min_freq=2)`` and ``include_lengths=True``)::

    vocab = Vocabulary(min_freq=2).build(train_texts)          # "<pad>" = 0, "<unk>" = 1
    ids = pad_sequences([vocab.encode(t) for t in texts], maxlen=100)   # Keras: "pre"
    dataset = TextDataset(texts, labels, vocab, maxlen=100)     # (ids, length, label)
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from minidl.data.dataset import TensorDataset

__all__ = ["TextDataset", "Vocabulary", "pad_sequences", "tokenize"]

_WORD = re.compile(r"\w+(?:'\w+)*")


def tokenize(text: str) -> list[str]:
    """Lower-case word tokens: runs of letters and digits, with inner apostrophes kept
    ("don't"). Punctuation and spaces separate tokens and are dropped."""
    if not isinstance(text, str):
        raise TypeError(f"tokenize expected a string, got {type(text).__name__}")
    return _WORD.findall(text.lower())


class Vocabulary:
    """Token ↔ id. The ``specials`` come first (ids 0, 1, ...), then every token seen at
    least ``min_freq`` times in ``build``, most frequent first (ties alphabetical, so the
    ids do not depend on the order of the texts). ``max_size`` caps the total size
    (Keras' ``num_words``).

    ``encode`` maps a token it does not know to "<unk>"; without "<unk>" among the
    specials such tokens are dropped (what Keras' Tokenizer does without ``oov_token``).
    """

    def __init__(
        self,
        min_freq: int = 1,
        specials: Sequence[str] = ("<pad>", "<unk>"),
        max_size: int | None = None,
    ) -> None:
        if isinstance(min_freq, bool) or not isinstance(min_freq, int) or min_freq < 1:
            raise ValueError(f"Vocabulary min_freq must be an integer >= 1, got {min_freq!r}")
        specials = list(specials)
        if len(set(specials)) != len(specials):
            raise ValueError(f"Vocabulary specials must be distinct, got {specials}")
        if max_size is not None and max_size < len(specials):
            raise ValueError(
                f"Vocabulary max_size={max_size} leaves no room for the {len(specials)} specials"
            )
        self.min_freq, self.specials, self.max_size = min_freq, specials, max_size
        self.itos: list[str] = list(specials)
        self.stoi: dict[str, int] = {token: i for i, token in enumerate(specials)}
        self.counts: Counter[str] = Counter()

    def build(self, texts: Iterable[str]) -> Vocabulary:
        """Count the tokens of ``texts`` (strings) and assign ids; returns the vocabulary."""
        if isinstance(texts, str):
            raise TypeError("Vocabulary.build expected a list of texts, got a single string")
        self.counts = Counter(token for text in texts for token in tokenize(text))
        kept = [
            token
            for token, count in self.counts.items()
            if count >= self.min_freq and token not in self.stoi
        ]
        kept.sort(key=lambda token: (-self.counts[token], token))
        if self.max_size is not None:
            kept = kept[: self.max_size - len(self.specials)]
        self.itos = list(self.specials) + kept
        self.stoi = {token: i for i, token in enumerate(self.itos)}
        return self

    def encode(self, text: str) -> list[int]:
        """The ids of ``text``'s tokens."""
        unknown = self.stoi.get("<unk>")
        ids = (self.stoi.get(token, unknown) for token in tokenize(text))
        return [i for i in ids if i is not None]

    def decode(self, ids: Iterable[int]) -> list[str]:
        """The tokens of ``ids`` ("<pad>" included, so padding is visible)."""
        return [self.itos[int(i)] for i in ids]

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, token: str) -> bool:
        return token in self.stoi

    def __getitem__(self, token: str) -> int:
        return self.stoi[token]

    def __repr__(self) -> str:
        return f"Vocabulary({len(self)} tokens, min_freq={self.min_freq})"


def pad_sequences(
    seqs: Sequence[Sequence[int]],
    maxlen: int | None = None,
    padding: str = "pre",
    truncating: str = "pre",
    value: int = 0,
) -> np.ndarray:
    """FORMULAS S5: sequences of ids → one (N, maxlen) int64 array, Keras' defaults.

    A longer sequence is cut to its last ``maxlen`` ids (``truncating="pre"``; "post"
    keeps the first ones); a shorter one is filled with ``value`` in front
    (``padding="pre"``; "post" fills after it). ``maxlen`` defaults to the longest.
    For an LSTM given ``lengths``, pad "post": the sequence then starts at step 1.
    """
    for name, choice in (("padding", padding), ("truncating", truncating)):
        if choice not in ("pre", "post"):
            raise ValueError(f"pad_sequences {name} must be 'pre' or 'post', got {choice!r}")
    lengths = np.array([len(seq) for seq in seqs], dtype=np.int64)
    if maxlen is None:
        maxlen = int(lengths.max()) if len(lengths) else 0
    if isinstance(maxlen, bool) or not isinstance(maxlen, (int, np.integer)) or maxlen < 1:
        raise ValueError(f"pad_sequences maxlen must be a positive integer, got {maxlen!r}")
    padded = np.full((len(lengths), maxlen), value, dtype=np.int64)
    if not lengths.sum():
        return padded
    flat = np.concatenate([np.asarray(seq, dtype=np.int64).reshape(-1) for seq in seqs])
    # Where each kept id comes from (a position in `flat`) and goes to (row, column),
    # for all sequences at once.
    kept = np.minimum(lengths, maxlen)
    first_kept = np.cumsum(lengths) - lengths + (lengths - kept if truncating == "pre" else 0)
    rows = np.repeat(np.arange(len(lengths)), kept)
    within = np.arange(kept.sum()) - np.repeat(np.cumsum(kept) - kept, kept)
    columns = within + (np.repeat(maxlen - kept, kept) if padding == "pre" else 0)
    padded[rows, columns] = flat[np.repeat(first_kept, kept) + within]
    return padded


class TextDataset(TensorDataset):
    """Samples (token ids, length, label) for a DataLoader, from raw texts.

    Texts are encoded with ``vocab`` and padded to ``maxlen`` after their end by default
    (``padding="post"``), so that ``length`` (the number of real tokens, at most maxlen)
    is what ``nn.LSTM(..., lengths=)`` expects. An empty text keeps one "<pad>" token and
    length 1. ``DataLoader`` gives batches ``(ids (N, maxlen), lengths (N,), labels (N,))``.
    """

    def __init__(
        self,
        texts: Sequence[str],
        labels: Any,
        vocab: Vocabulary,
        maxlen: int,
        padding: str = "post",
        truncating: str = "post",
    ) -> None:
        sequences = [vocab.encode(text) for text in texts]
        ids = pad_sequences(sequences, maxlen, padding=padding, truncating=truncating)
        lengths = np.clip([len(seq) for seq in sequences], 1, maxlen).astype(np.int64)
        super().__init__(ids, lengths, np.asarray(labels))

"""Sequence layers: Embedding, LSTMCell and LSTM (FORMULAS S1–S4).

They take PyTorch's names, shapes, gate order (i, f, g, o) and initialisation, so a
PyTorch model's state_dict loads into them as it is. A text classifier reads token ids
(N, T), looks up one vector per token, runs an LSTM over them and classifies its last
hidden state::

    embedding = nn.Embedding(len(vocab), 128, padding_idx=0)
    lstm = nn.LSTM(128, 64, batch_first=True)
    output, (h_n, c_n) = lstm(embedding(ids), lengths=lengths)
    logits = nn.Linear(64, classes)(h_n[-1])
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from minidl import backend as backends
from minidl import functional as F
from minidl import random
from minidl.nn.module import Module, Parameter
from minidl.ops.shape import Stack
from minidl.tensor import DEFAULT_FLOAT, Tensor

__all__ = ["LSTM", "Embedding", "LSTMCell"]


def _check_positive(**sizes: int) -> None:
    for name, size in sizes.items():
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size <= 0:
            raise ValueError(f"{name} must be a positive integer, got {size!r}")


def _uniform_parameter(shape: tuple[int, ...], bound: float, dtype: Any) -> Parameter:
    """A parameter drawn from U(−bound, bound) on the host generator, put on the current
    backend (the same seed gives the same weights on every backend)."""
    values = random.host_rng().uniform(-bound, bound, size=shape).astype(dtype)
    return Parameter(backends.get_backend().asarray(values))


class Embedding(Module):
    """FORMULAS S1: a lookup table, e = weight[ids]; weight (num_embeddings, embedding_dim).

    Input: integer token ids of any shape, e.g. (batch, steps). Output: the same shape
    plus a last axis of embedding_dim. Initialisation N(0, 1) (PyTorch's). The row
    ``padding_idx`` (the id of "<pad>") starts at 0 and gets no gradient, so padded
    positions always read a zero vector.
    """

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        padding_idx: int | None = None,
        dtype: Any = DEFAULT_FLOAT,
    ) -> None:
        super().__init__()
        _check_positive(num_embeddings=num_embeddings, embedding_dim=embedding_dim)
        if padding_idx is not None:
            padding_idx = F.check_padding_idx("Embedding", padding_idx, num_embeddings)
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.padding_idx = padding_idx
        values = random.host_rng().standard_normal((num_embeddings, embedding_dim))
        if padding_idx is not None:
            values[padding_idx] = 0
        self.weight = Parameter(backends.get_backend().asarray(values.astype(dtype)))

    def forward(self, ids: Any) -> Tensor:
        return F.embedding(ids, self.weight, padding_idx=self.padding_idx)

    def extra_repr(self) -> str:
        padding = f", padding_idx={self.padding_idx}" if self.padding_idx is not None else ""
        return f"{self.num_embeddings}, {self.embedding_dim}{padding}"


class LSTMCell(Module):
    """FORMULAS S2, one time step: (x, (h, c)) → (h′, c′), built from Linear-style ops.

        i = σ(W_ii x + b_ii + W_hi h + b_hi)     f = σ(W_if x + b_if + W_hf h + b_hf)
        g = tanh(W_ig x + b_ig + W_hg h + b_hg)  o = σ(W_io x + b_io + W_ho h + b_ho)
        c′ = f ⊙ c + i ⊙ g                       h′ = o ⊙ tanh(c′)

    ``weight_ih`` (4H, input_size) stacks W_ii, W_if, W_ig, W_io (that order, PyTorch's);
    ``weight_hh`` (4H, H) and the biases (4H,) likewise. Every value starts in
    U(−1/√H, 1/√H). Stepping this cell over a sequence computes exactly what ``LSTM``
    computes with its one fused op per layer: the cell is the version to read.
    """

    def __init__(self, input_size: int, hidden_size: int, dtype: Any = DEFAULT_FLOAT) -> None:
        super().__init__()
        _check_positive(input_size=input_size, hidden_size=hidden_size)
        self.input_size, self.hidden_size = input_size, hidden_size
        bound = 1 / math.sqrt(hidden_size)
        self.weight_ih = _uniform_parameter((4 * hidden_size, input_size), bound, dtype)
        self.weight_hh = _uniform_parameter((4 * hidden_size, hidden_size), bound, dtype)
        self.bias_ih = _uniform_parameter((4 * hidden_size,), bound, dtype)
        self.bias_hh = _uniform_parameter((4 * hidden_size,), bound, dtype)

    def forward(
        self, x: Tensor, state: tuple[Tensor, Tensor] | None = None
    ) -> tuple[Tensor, Tensor]:
        name = f"LSTMCell(input_size={self.input_size}, hidden_size={self.hidden_size})"
        if x.ndim != 2 or x.shape[1] != self.input_size:
            raise ValueError(
                f"{name} expected input of shape (batch, {self.input_size}), got {tuple(x.shape)}"
            )
        shape = (x.shape[0], self.hidden_size)
        h, c = _initial_state(name, state, shape, x)
        return F.lstm_cell(x, h, c, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}"


class LSTM(Module):
    """A stack of LSTM layers over whole sequences (FORMULAS S2–S4), PyTorch's ``nn.LSTM``.

    Input x: (T, N, input_size), or (N, T, input_size) with ``batch_first=True``.
    ``forward(x, lengths=None, state=None)`` returns ``output, (h_n, c_n)``:

    - output: the last layer's h at every step, (T, N, H) (batch first if asked);
    - h_n, c_n: every layer's state after the last step, (num_layers, N, H).

    S3: layer l reads layer l−1's outputs; between layers (not after the last) inverted
    dropout with probability ``dropout`` in training mode. S4: ``lengths`` (N,) makes
    sequence n stop after lengths[n] steps, like PyTorch's pack_padded_sequence: its
    h_n, c_n are the state after its last real step and its outputs after it are 0.
    ``state`` = (h_0, c_0), each (num_layers, N, H), defaults to zeros.

    Parameters per layer k, with PyTorch's names, shapes and init U(−1/√H, 1/√H):
    weight_ih_lk (4H, input of layer k), weight_hh_lk (4H, H), bias_ih_lk, bias_hh_lk (4H,).
    Each layer runs as one op (``minidl.ops.recurrent.LSTMLayer``).
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        dropout: float = 0.0,
        batch_first: bool = False,
        dtype: Any = DEFAULT_FLOAT,
    ) -> None:
        super().__init__()
        _check_positive(input_size=input_size, hidden_size=hidden_size, num_layers=num_layers)
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)):
            raise ValueError(f"LSTM dropout must be a number in [0, 1), got {dropout!r}")
        if not 0 <= dropout < 1:
            raise ValueError(f"LSTM dropout must be a number in [0, 1), got {dropout!r}")
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.dropout, self.batch_first = float(dropout), bool(batch_first)
        bound = 1 / math.sqrt(hidden_size)
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else hidden_size
            shapes = {
                "weight_ih": (4 * hidden_size, layer_input),
                "weight_hh": (4 * hidden_size, hidden_size),
                "bias_ih": (4 * hidden_size,),
                "bias_hh": (4 * hidden_size,),
            }
            for name, shape in shapes.items():
                setattr(self, f"{name}_l{layer}", _uniform_parameter(shape, bound, dtype))

    def layer_parameters(self, layer: int) -> tuple[Parameter, Parameter, Parameter, Parameter]:
        """(weight_ih, weight_hh, bias_ih, bias_hh) of one layer."""
        return tuple(
            getattr(self, f"{name}_l{layer}")
            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
        )

    def forward(
        self,
        x: Tensor,
        lengths: Any = None,
        state: tuple[Tensor, Tensor] | None = None,
    ) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        layout = "(batch, steps, features)" if self.batch_first else "(steps, batch, features)"
        name = f"LSTM(input_size={self.input_size}, hidden_size={self.hidden_size})"
        if not isinstance(x, Tensor):
            x = Tensor(x)
        if x.ndim != 3:
            hint = ""
            if x.ndim == 2:
                hint = "; a single sequence needs a batch axis of size 1"
            if x.ndim == 2 and x.dtype.kind in "iu":
                hint = "; it looks like token ids: put an nn.Embedding before the LSTM"
            raise ValueError(f"{name} expected a 3-D input {layout}, got shape {x.shape}{hint}")
        if x.shape[2] != self.input_size:
            raise ValueError(
                f"{name} expected input of shape {layout} with {self.input_size} features, "
                f"got shape {x.shape}"
            )
        if self.batch_first:
            x = x.transpose(0, 1)
        steps, batch = x.shape[0], x.shape[1]
        if lengths is not None:
            lengths = F.check_lengths(name, lengths, steps, batch)
        h0, c0 = _initial_state(name, state, (self.num_layers, batch, self.hidden_size), x)
        final_h, final_c = [], []
        output = x
        for layer in range(self.num_layers):
            if layer > 0 and self.dropout and self.training:
                output = F.dropout(output, p=self.dropout)
            output, h_n, c_n = F.lstm(
                output, h0[layer], c0[layer], *self.layer_parameters(layer), lengths=lengths
            )
            final_h.append(h_n)
            final_c.append(c_n)
        if self.batch_first:
            output = output.transpose(0, 1)
        return output, (Stack.apply(*final_h), Stack.apply(*final_c))

    def extra_repr(self) -> str:
        options = [f"{self.input_size}, {self.hidden_size}"]
        if self.num_layers != 1:
            options.append(f"num_layers={self.num_layers}")
        if self.dropout:
            options.append(f"dropout={self.dropout}")
        if self.batch_first:
            options.append("batch_first=True")
        return ", ".join(options)


def _initial_state(
    name: str, state: Any, shape: tuple[int, ...], like: Tensor
) -> tuple[Tensor, Tensor]:
    """(h_0, c_0): zeros of ``shape`` on ``like``'s device, or the given pair, checked."""
    if state is None:
        zeros = Tensor(like.backend.xp.zeros(shape, dtype=like.dtype))
        return zeros, zeros
    if not isinstance(state, (tuple, list)) or len(state) != 2:
        raise TypeError(f"{name} expected state=(h_0, c_0), a pair of tensors, got {state!r}")
    h0, c0 = (value if isinstance(value, Tensor) else Tensor(value) for value in state)
    for label, value in (("h_0", h0), ("c_0", c0)):
        if tuple(value.shape) != shape:
            raise ValueError(f"{name} expected {label} of shape {shape}, got {tuple(value.shape)}")
    return h0, c0

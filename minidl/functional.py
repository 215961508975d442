"""Functional API: differentiable activations, layers and losses (imported as F).

    from minidl import functional as F
    hidden = F.relu(F.linear(x, W1, b1))
    loss = F.cross_entropy(F.linear(hidden, W2, b2), labels)

Each function checks its arguments and explains what is wrong before anything runs
(so a bad call changes nothing), then applies one op from ``minidl.ops``, where the
forward and backward live side by side. The formula ids (A1, N2, ...) are
the rows of docs/formulas.md.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any

import numpy as np

from minidl.amp import autocast_dtype
from minidl.backend import backend_of
from minidl.ops.activation import LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from minidl.ops.cast import Cast
from minidl.ops.conv import Conv2d, as_pair, check_window_fits
from minidl.ops.dropout import Dropout
from minidl.ops.embedding import Embedding
from minidl.ops.linear import Linear
from minidl.ops.loss import (
    BinaryCrossEntropy,
    BinaryCrossEntropyWithLogits,
    CrossEntropy,
    MSELoss,
)
from minidl.ops.pool import AvgPool2d, MaxPool2d
from minidl.ops.recurrent import LSTMLayer
from minidl.tensor import Tensor, tensor

__all__ = [
    "avg_pool2d", "binary_cross_entropy", "binary_cross_entropy_with_logits", "conv2d",
    "cross_entropy", "dropout", "embedding", "flatten", "linear", "log_softmax", "lstm",
    "lstm_cell", "max_pool2d", "mse_loss", "relu", "sigmoid", "softmax", "tanh",
]  # fmt: skip

MSE_REDUCTIONS = ("mean", "half_sum", "sum")


# --------------------------------------------------------------------------- helpers


def _as_tensor(x: Any, function: str = "this function") -> Tensor:
    """A tensor as is; raw arrays and numbers wrapped (on the current backend).

    Lists and other containers are refused, as in PyTorch: their dtype and device would
    be guesses.
    """
    if isinstance(x, Tensor):
        return x
    if not (isinstance(x, (numbers.Real, np.generic)) or hasattr(x, "__array__")):
        raise TypeError(
            f"{function} expected a Tensor (or a NumPy/CuPy array), got {type(x).__name__}; "
            "make one with minidl.tensor(data), e.g. minidl.tensor([[0.5, 1.0]])"
        )
    return Tensor(x)


def _target_tensor(target: Any, like: Tensor) -> Tensor:
    """A target as a tensor on ``like``'s device (raw lists/arrays/numbers are copied there)."""
    if isinstance(target, Tensor):
        return target
    return tensor(target, device=like.device)


# Class labels and token ids index rows, and a GPU does not refuse a bad index: CuPy wraps
# it around, so label 10 of 10 classes would quietly train class 0. So ids are checked
# here, where it is cheap. Host data (lists, NumPy arrays) and NumPy tensors are checked
# on the host, exactly, and a bad id raises at once; host data is uploaded after its
# check. Ids already on a GPU are checked there without reading the answer back (a read
# would stall the GPU on every call): the result is made NaN where an id is bad, so a
# bad label shows up as a NaN loss, which fit() stops on, never as a quietly wrong model.


def _ids_tensor(ids: Any) -> Tensor:
    """Integer ids as a tensor; host data stays on the host until checked (``_ids_on``)."""
    if isinstance(ids, Tensor):
        return ids
    source = backend_of(ids)
    return tensor(ids, device="numpy" if source.host_memory else source.name)


def _ids_on(ids: Tensor, raw: bool, like: Tensor) -> Tensor:
    """Checked ids on ``like``'s device: host data is uploaded now (a Tensor the user
    made on another device is left for the op's device check to refuse)."""
    return ids.to(like.backend) if raw else ids


def _check_ids(ids: Tensor, limit: int, error: Callable[[int, int], Exception]) -> Any:
    """Check that every id is in [0, limit).

    On the host: raise ``error(smallest, largest)`` if not, and return None. On a device:
    return the boolean mask of the bad ids, for ``_nan_where`` (nothing is read back).
    """
    if ids.size == 0:
        return None
    bad = (ids.data < 0) | (ids.data >= limit)
    if not ids.backend.host_memory:
        return bad
    if bad.any():
        raise error(int(ids.data.min()), int(ids.data.max()))
    return None


def _nan_where(bad: Any, x: Tensor) -> Tensor:
    """``x`` with NaN where ``bad`` (broadcast) is set; gradients pass through unchanged."""
    if bad is None:
        return x
    xp = x.backend.xp
    return x + Tensor(x.backend.asarray(xp.where(bad, xp.nan, 0.0), dtype=x.dtype))


def _float_target(target: Tensor, like: Tensor) -> Tensor:
    """A regression/binary target in ``like``'s float dtype, so float32 stays float32.

    Integer and boolean labels (0/1 from a dataset) are converted; a target that itself
    requires a gradient is left alone.
    """
    if target.dtype == like.dtype or target.requires_grad:
        return target
    return Tensor(target.data.astype(like.dtype))


def _require_float(function: str, what: str, x: Tensor) -> None:
    if x.dtype.kind != "f":
        raise TypeError(
            f"{function} expected floating-point {what}, got dtype {x.dtype}; convert it "
            f"first, e.g. x.astype('float32')"
        )


def _require_nonempty(function: str, what: str, x: Tensor) -> None:
    if x.size == 0:
        raise ValueError(
            f"{function} got empty {what} of shape {x.shape}; the mean over no elements is "
            "undefined"
        )


def _check_axis(function: str, x: Tensor, axis: int) -> None:
    if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
        raise TypeError(f"{function} axis must be an int, got {axis!r}")
    if x.ndim == 0:
        raise ValueError(f"{function} needs a tensor with at least one axis, got a 0-d tensor")
    if not -x.ndim <= axis < x.ndim:
        raise ValueError(
            f"{function} axis {axis} is out of range for a tensor of shape {x.shape} "
            f"(valid axes: {-x.ndim} to {x.ndim - 1})"
        )


def _check_same_shape(function: str, prediction: Tensor, target: Tensor) -> None:
    if prediction.shape == target.shape:
        return
    hint = ""
    if prediction.shape == (*target.shape, 1):
        hint = "; reshape the target to match, e.g. target.reshape(-1, 1)"
    elif target.shape == (*prediction.shape, 1):
        hint = "; reshape the prediction to match, e.g. prediction.reshape(-1)"
    raise ValueError(
        f"{function} expected prediction and target of the same shape, got prediction "
        f"{prediction.shape} and target {target.shape}{hint}"
    )


def _pool_arguments(
    function: str, x: Tensor, kernel_size: Any, stride: Any, padding: Any
) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int]]:
    kernel = as_pair(kernel_size, "kernel_size")
    strides = kernel if stride is None else as_pair(stride, "stride")
    paddings = as_pair(padding, "padding")
    if min(kernel) < 1:
        raise ValueError(f"{function} needs kernel_size ≥ 1, got {kernel_size!r}")
    if paddings[0] > kernel[0] // 2 or paddings[1] > kernel[1] // 2:
        # A window made only of padding would have no input element in it.
        raise ValueError(
            f"{function}: padding {paddings} must be at most half the kernel size {kernel}"
        )
    check_window_fits(function, x.shape, kernel, strides, paddings)
    return kernel, strides, paddings


# --------------------------------------------------------------------------- activations


def relu(x: Tensor) -> Tensor:
    """FORMULAS A1: max(0, x), elementwise. Derivative 1 for x ≥ 0 (1 at exactly 0), else 0."""
    x = _as_tensor(x, "relu")
    _require_float("relu", "input", x)
    return ReLU.apply(x)


def sigmoid(x: Tensor) -> Tensor:
    """FORMULAS A2: σ(x) = 1/(1 + e^(−x)), elementwise; derivative σ(1 − σ). Stable for any x."""
    x = _as_tensor(x, "sigmoid")
    _require_float("sigmoid", "input", x)
    return Sigmoid.apply(x)


def tanh(x: Tensor) -> Tensor:
    """FORMULAS A3: tanh(x) = (eˣ − e^(−x))/(eˣ + e^(−x)), elementwise; derivative 1 − tanh²."""
    x = _as_tensor(x, "tanh")
    _require_float("tanh", "input", x)
    return Tanh.apply(x)


def softmax(x: Tensor, axis: int = -1) -> Tensor:
    """FORMULAS A4: e^(x_i) / Σ_j e^(x_j) along ``axis`` (shifted by the max: stable)."""
    x = _full_precision(_as_tensor(x, "softmax"))
    _require_float("softmax", "input", x)
    _check_axis("softmax", x, axis)
    return Softmax.apply(x, axis=axis)


def log_softmax(x: Tensor, axis: int = -1) -> Tensor:
    """log of FORMULAS A4: x_i − log Σ_j e^(x_j) along ``axis``, computed stably."""
    x = _full_precision(_as_tensor(x, "log_softmax"))
    _require_float("log_softmax", "input", x)
    _check_axis("log_softmax", x, axis)
    return LogSoftmax.apply(x, axis=axis)


# --------------------------------------------------------------------------- layers


def linear(x: Tensor, W: Tensor, b: Tensor | None = None) -> Tensor:
    """FORMULAS N1: z = x·Wᵀ + b, one matrix product.

    x: (..., in_features); W, the weight: (out_features, in_features), as in PyTorch;
    b, the bias: (out_features,) or None. Returns (..., out_features).
    """
    weight, bias = W, b  # the public parameter names are W and b; descriptive ones below
    x = _as_tensor(x, "linear")
    _require_float("linear", "input", x)
    if weight.ndim != 2:
        raise ValueError(
            f"linear expected a 2-D weight of shape (out_features, in_features), got shape "
            f"{weight.shape}"
        )
    out_features, in_features = weight.shape
    if x.ndim == 0 or x.shape[-1] != in_features:
        hint = "; flatten it first, e.g. F.flatten(x)" if x.ndim > 2 else ""
        raise ValueError(
            f"linear: weight of shape {weight.shape} expects in_features={in_features} "
            f"on the last axis of the input, got input of shape {x.shape}{hint}"
        )
    if bias is not None and bias.shape != (out_features,):
        raise ValueError(
            f"linear expected a bias of shape ({out_features},) (out_features), got {bias.shape}"
        )
    x, weight, bias = autocast_operands(x, weight, bias)
    return Linear.apply(x, weight) if bias is None else Linear.apply(x, weight, bias)


def conv2d(
    x: Tensor,
    W: Tensor,
    b: Tensor | None = None,
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, int] = 0,
) -> Tensor:
    """FORMULAS N2: 2-D cross-correlation, output = Σ weight·input over each window (+ b).

    x: (N, C_in, H, W); W, the weight: (C_out, C_in, kH, kW); b, the bias: (C_out,) or None.
    Output: (N, C_out, OH, OW) with OH = ⌊(H + 2·padding − kH)/stride⌋ + 1 (same for W);
    "valid" (no padding) by default, so 3×3 with a 3×3 kernel gives 1×1 (erratum E7).
    """
    weight, bias = W, b  # the public parameter names are W and b; descriptive ones below
    x = _as_tensor(x, "conv2d")
    _require_float("conv2d", "input", x)
    strides, paddings = as_pair(stride, "stride"), as_pair(padding, "padding")
    if weight.ndim != 4:
        raise ValueError(
            f"conv2d expected a 4-D weight (out_channels, in_channels, kernel_h, kernel_w), "
            f"got shape {weight.shape}"
        )
    check_window_fits("conv2d", x.shape, weight.shape[2:], strides, paddings)
    if x.shape[1] != weight.shape[1]:
        hint = "; it looks channels-last (NHWC): use x.permute(0, 3, 1, 2)"
        raise ValueError(
            f"conv2d: weight of shape {weight.shape} expects {weight.shape[1]} input "
            f"channels, got input of shape {x.shape} with {x.shape[1]} channels (axis 1)"
            f"{hint if x.shape[3] == weight.shape[1] else ''}"
        )
    if bias is not None and bias.shape != (weight.shape[0],):
        raise ValueError(
            f"conv2d expected a bias of shape ({weight.shape[0]},) (out_channels), got {bias.shape}"
        )
    x, weight, bias = autocast_operands(x, weight, bias)
    if bias is None:
        return Conv2d.apply(x, weight, stride=strides, padding=paddings)
    return Conv2d.apply(x, weight, bias, stride=strides, padding=paddings)


def autocast_operands(*tensors: Tensor | None) -> tuple[Tensor | None, ...]:
    """Inside ``mdl.amp.autocast()`` the tensors cast down to its dtype (FORMULAS T7: the
    layer computes in float16, the float32 weights get float32 gradients back); outside
    it they come back unchanged. Dense and convolution layers call it on their operands."""
    dtype = autocast_dtype()
    if dtype is None:
        return tensors
    return tuple(
        t if t is None or t.dtype == dtype else Cast.apply(t, dtype=dtype) for t in tensors
    )


def _full_precision(x: Tensor) -> Tensor:
    """Inside ``autocast``, softmax and the losses compute in float32 (FORMULAS T7): their
    exponentials and logs lose too much in float16."""
    if autocast_dtype() is not None and x.dtype == np.float16:
        return Cast.apply(x, dtype=np.float32)
    return x


def max_pool2d(
    x: Tensor,
    kernel_size: int | tuple[int, int],
    stride: int | tuple[int, int] | None = None,
    padding: int | tuple[int, int] = 0,
) -> Tensor:
    """FORMULAS N3: the maximum of each kernel window (NCHW); stride defaults to kernel_size.

    Padding (at most half the kernel) is −inf, so it never wins. The gradient goes to
    each window's maximum.
    """
    x = _as_tensor(x, "max_pool2d")
    _require_float("max_pool2d", "input", x)
    kernel, strides, paddings = _pool_arguments("max_pool2d", x, kernel_size, stride, padding)
    return MaxPool2d.apply(x, kernel_size=kernel, stride=strides, padding=paddings)


def avg_pool2d(
    x: Tensor,
    kernel_size: int | tuple[int, int],
    stride: int | tuple[int, int] | None = None,
    padding: int | tuple[int, int] = 0,
) -> Tensor:
    """The mean of each kernel window, (1/(kH·kW))·Σ (NCHW); stride defaults to kernel_size.

    Padding counts as zeros in the mean (the divisor is always kH·kW).
    """
    x = _as_tensor(x, "avg_pool2d")
    _require_float("avg_pool2d", "input", x)
    kernel, strides, paddings = _pool_arguments("avg_pool2d", x, kernel_size, stride, padding)
    return AvgPool2d.apply(x, kernel_size=kernel, stride=strides, padding=paddings)


def dropout(x: Tensor, p: float = 0.5, training: bool = True) -> Tensor:
    """Inverted dropout: while training, zero each element with probability p and scale
    the rest by 1/(1 − p), so the expected value is unchanged; otherwise the identity.

    The mask is drawn on x's device from the generator ``minidl.manual_seed`` seeds.
    """
    if isinstance(p, bool) or not isinstance(p, numbers.Real) or not 0 <= p < 1:
        raise ValueError(f"dropout probability p must be a number in [0, 1), got {p!r}")
    x = _as_tensor(x, "dropout")
    if not training or p == 0:
        return x
    _require_float("dropout", "input", x)
    return Dropout.apply(x, p=float(p))


def flatten(x: Tensor) -> Tensor:
    """(N, d1, d2, ...) -> (N, d1·d2·...): keeps the batch axis (FORMULAS N4's input)."""
    x = _as_tensor(x, "flatten")
    if x.ndim == 0:
        raise ValueError("flatten expected a tensor with a batch axis, got a 0-d tensor")
    return x.reshape(x.shape[0], -1)


def embedding(indices: Any, weight: Tensor, padding_idx: int | None = None) -> Tensor:
    """FORMULAS S1: ``weight[indices]``, one row of ``weight`` per token id.

    indices: integer token ids of any shape, each in [0, vocabulary); weight:
    (vocabulary, embedding_dim). Returns (*indices.shape, embedding_dim). In backward the
    gradients of repeated ids add up in their row; row ``padding_idx`` gets none.
    """
    if not isinstance(weight, Tensor) or weight.ndim != 2:
        shape = weight.shape if isinstance(weight, Tensor) else type(weight).__name__
        raise ValueError(
            f"embedding expected a 2-D weight tensor of shape (num_embeddings, "
            f"embedding_dim), got {shape}"
        )
    vocabulary = weight.shape[0]
    raw = not isinstance(indices, Tensor)
    indices = _ids_tensor(indices)
    if indices.dtype.kind not in "iu":
        raise TypeError(
            f"embedding expected integer token ids, got dtype {indices.dtype}; token ids "
            f"index rows of the weight, convert them with ids.astype('int64')"
        )

    def out_of_range(low: int, high: int) -> IndexError:
        hint = (
            "; negative ids do not count from the end here"
            if low < 0
            else "; the vocabulary is larger than the embedding: make num_embeddings=len(vocab)"
        )
        return IndexError(
            f"embedding: token ids must be in [0, {vocabulary - 1}] for a weight with "
            f"{vocabulary} rows (num_embeddings), got ids from {low} to {high}{hint}"
        )

    bad = _check_ids(indices, vocabulary, out_of_range)
    if padding_idx is not None:
        padding_idx = check_padding_idx("embedding", padding_idx, vocabulary)
    rows = Embedding.apply(_ids_on(indices, raw, weight), weight, padding_idx=padding_idx)
    return _nan_where(None if bad is None else bad[..., None], rows)  # a bad id: a NaN row


def check_padding_idx(function: str, padding_idx: Any, vocabulary: int) -> int:
    """padding_idx as a row number in [0, vocabulary); negative counts from the end."""
    if isinstance(padding_idx, bool) or not isinstance(padding_idx, numbers.Integral):
        raise TypeError(f"{function} padding_idx must be an int or None, got {padding_idx!r}")
    if not -vocabulary <= padding_idx < vocabulary:
        raise ValueError(
            f"{function} padding_idx {padding_idx} is out of range for {vocabulary} "
            f"embeddings (valid: {-vocabulary} to {vocabulary - 1})"
        )
    return int(padding_idx) % vocabulary


def lstm_cell(
    x: Tensor,
    h: Tensor,
    c: Tensor,
    weight_ih: Tensor,
    weight_hh: Tensor,
    bias_ih: Tensor,
    bias_hh: Tensor,
) -> tuple[Tensor, Tensor]:
    """FORMULAS S2, one step, composed of other ops (the readable twin of ``lstm``):

        z = x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh          (the four gates' rows: i, f, g, o)
        i, f, o = σ(z_i), σ(z_f), σ(z_o);  g = tanh(z_g)
        c′ = f ⊙ c + i ⊙ g;   h′ = o ⊙ tanh(c′)

    x: (N, input_size); h, c: (N, H); weight_ih (4H, input_size), weight_hh (4H, H),
    biases (4H,). Returns (h′, c′). Autograd differentiates it op by op.
    """
    hidden = weight_hh.shape[1]
    z = linear(x, weight_ih, bias_ih) + linear(h, weight_hh, bias_hh)
    i, f, g, o = (z[:, k * hidden : (k + 1) * hidden] for k in range(4))
    c_next = sigmoid(f) * c + sigmoid(i) * tanh(g)
    h_next = sigmoid(o) * tanh(c_next)
    return h_next, c_next


def lstm(
    x: Tensor,
    h0: Tensor,
    c0: Tensor,
    weight_ih: Tensor,
    weight_hh: Tensor,
    bias_ih: Tensor,
    bias_hh: Tensor,
    lengths: Any = None,
) -> tuple[Tensor, Tensor, Tensor]:
    """One LSTM layer over a whole sequence (FORMULAS S2 at every step, S4's lengths).

    x: (T, N, input_size), time-major; h0, c0: (N, H); weights and biases as in
    ``lstm_cell``. ``lengths`` (N,): sequence n runs steps 1 … lengths[n] only, like
    PyTorch's pack_padded_sequence (None: all T steps). Returns (output (T, N, H),
    h_n (N, H), c_n (N, H)); outputs after a sequence's end are 0, and h_n, c_n are its
    state after its last real step. One op (``minidl.ops.recurrent.LSTMLayer``) runs all
    steps forward and backward; stepping ``lstm_cell`` over time gives the same numbers.
    """
    x = _as_tensor(x, "lstm")
    _require_float("lstm", "input", x)
    if x.ndim != 3:
        raise ValueError(
            f"lstm expected input of shape (steps, batch, features), got shape {x.shape}"
        )
    steps, batch, input_size = x.shape
    hidden = weight_hh.shape[-1]
    expected = {
        "weight_ih": (weight_ih, (4 * hidden, input_size)),
        "weight_hh": (weight_hh, (4 * hidden, hidden)),
        "bias_ih": (bias_ih, (4 * hidden,)),
        "bias_hh": (bias_hh, (4 * hidden,)),
        "h0": (h0, (batch, hidden)),
        "c0": (c0, (batch, hidden)),
    }
    for name, (value, shape) in expected.items():
        if tuple(value.shape) != shape:
            raise ValueError(
                f"lstm expected {name} of shape {shape} (batch {batch}, input_size "
                f"{input_size}, hidden_size {hidden}), got {tuple(value.shape)}"
            )
        if value.dtype != x.dtype:
            raise TypeError(
                f"lstm expected {name} of the input's dtype {x.dtype}, got {value.dtype}"
            )
    lengths = None if lengths is None else check_lengths("lstm", lengths, steps, batch)
    result = LSTMLayer.apply(x, h0, c0, weight_ih, weight_hh, bias_ih, bias_hh, lengths=lengths)
    return result[:steps], result[steps], result[steps + 1]


def check_lengths(function: str, lengths: Any, steps: int, batch: int) -> Any:
    """Sequence lengths as a host int64 array of shape (batch,), each in [1, steps]."""
    if isinstance(lengths, Tensor):
        lengths = lengths.numpy()
    lengths = np.asarray(lengths)
    if lengths.dtype.kind not in "iu":
        raise TypeError(f"{function} expected integer lengths, got dtype {lengths.dtype}")
    if lengths.shape != (batch,):
        raise ValueError(
            f"{function} expected one length per sequence, shape ({batch},), got lengths of "
            f"shape {lengths.shape}"
        )
    if batch and (lengths.min() < 1 or lengths.max() > steps):
        raise ValueError(
            f"{function}: every length must be in [1, {steps}] (the input has {steps} steps), "
            f"got lengths from {lengths.min()} to {lengths.max()}"
        )
    return lengths.astype(np.int64)


# --------------------------------------------------------------------------- losses


def mse_loss(pred: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Squared error: "mean" (1/n)·Σ(y − ŷ)² (FORMULAS L1), "half_sum" (1/2)·Σ(y − ŷ)²
    (FORMULAS L2), or "sum" Σ(y − ŷ)². Prediction and target must have the same shape."""
    prediction = pred  # pred is the public parameter name
    if reduction not in MSE_REDUCTIONS:
        raise ValueError(f"mse_loss reduction must be one of {MSE_REDUCTIONS}, got {reduction!r}")
    prediction = _full_precision(_as_tensor(prediction, "mse_loss"))
    _require_float("mse_loss", "predictions", prediction)
    target = _float_target(_target_tensor(target, prediction), prediction)
    _check_same_shape("mse_loss", prediction, target)
    if reduction == "mean":
        _require_nonempty("mse_loss", "prediction and target", prediction)
    return MSELoss.apply(prediction, target, reduction=reduction)


def cross_entropy(logits: Tensor, target: Any) -> Tensor:
    """Softmax (A4) + cross-entropy, mean over samples (FORMULAS L3–L5):

        J = −(1/N) Σ_n Σ_k y_nk · log softmax(logits_n)_k

    logits: (N, C), raw scores (no softmax before it). target: class indices (N,) of an
    integer dtype, or one-hot / probability rows (N, C). Gradient at the logits:
    (softmax − y)/N (FORMULAS L7) for rows that sum to 1, (softmax·Σ_k y_k − y)/N for
    any others. Stable for logits of any size.
    """
    logits = _full_precision(_as_tensor(logits, "cross_entropy"))
    _require_float("cross_entropy", "logits", logits)
    if logits.ndim != 2:
        raise ValueError(
            f"cross_entropy expected logits of shape (batch, classes), got shape {logits.shape}"
        )
    batch, classes = logits.shape
    if batch == 0 or classes == 0:
        raise ValueError(
            f"cross_entropy needs at least one sample and one class, got logits of shape "
            f"{logits.shape}"
        )
    raw = not isinstance(target, Tensor)
    target = _ids_tensor(target)
    if target.ndim == 1:
        if target.dtype.kind not in "iu":
            raise TypeError(
                f"cross_entropy expected a 1-D target of integer class indices, got dtype "
                f"{target.dtype}; convert labels with target.astype('int64'), or pass "
                f"one-hot/probability rows of shape {logits.shape}"
            )
        if target.shape[0] != batch:
            raise ValueError(
                f"cross_entropy expected {batch} class indices (one per row of logits "
                f"{logits.shape}), got target of shape {target.shape}"
            )
        bad = _check_ids(
            target,
            classes,
            lambda low, high: ValueError(
                f"cross_entropy: class indices must be in [0, {classes - 1}] for logits with "
                f"{classes} classes, got values from {low} to {high}"
            ),
        )
        loss = CrossEntropy.apply(logits, _ids_on(target, raw, logits))
        return _nan_where(None if bad is None else bad.any(), loss)
    target = _ids_on(target, raw, logits)  # one-hot or probability rows
    if target.ndim == 2:
        if target.shape != logits.shape:
            raise ValueError(
                f"cross_entropy expected one-hot/probability targets of shape {logits.shape} "
                f"({classes} classes), got target of shape {target.shape}"
            )
        return CrossEntropy.apply(logits, _float_target(target, logits))
    raise ValueError(
        f"cross_entropy expected a target of class indices ({batch},) or one-hot rows "
        f"{logits.shape}, got shape {target.shape}"
    )


def binary_cross_entropy(prob: Tensor, target: Any) -> Tensor:
    """FORMULAS L6, mean over all elements: −(1/n)·Σ[y·log ŷ + (1 − y)·log(1 − ŷ)].

    ``probability`` is ŷ ∈ [0, 1] (a sigmoid's output); it is clipped to [1e-7, 1 − 1e-7]
    inside the logs (``minidl.ops.loss.BCE_EPS``) so 0 and 1 give finite values.
    binary_cross_entropy_with_logits is the stabler choice when you have the logits.
    """
    probability = prob  # prob is the public parameter name
    probability = _full_precision(_as_tensor(probability, "binary_cross_entropy"))
    _require_float("binary_cross_entropy", "probabilities", probability)
    target = _float_target(_target_tensor(target, probability), probability)
    _check_same_shape("binary_cross_entropy", probability, target)
    _require_nonempty("binary_cross_entropy", "probabilities and targets", probability)
    p = probability.data
    # ŷ outside [0, 1] would be clipped into the logs and give a finite, wrong loss. On
    # the host that raises at once; on a GPU (where reading the check back would stall
    # it every call) it makes the loss NaN instead, as a NaN ŷ does by itself.
    outside = (p < 0) | (p > 1)
    if not probability.backend.host_memory:
        return _nan_where(outside.any(), BinaryCrossEntropy.apply(probability, target))
    if np.isnan(p).any():
        raise ValueError(
            "binary_cross_entropy got NaN probabilities (from a NaN in the model's output "
            "or in the data?); run the forward pass inside minidl.detect_anomaly() to find it"
        )
    if outside.any():
        raise ValueError(
            "binary_cross_entropy expected probabilities in [0, 1], got values from "
            f"{float(p.min())} to {float(p.max())}; for raw scores (logits) use "
            "binary_cross_entropy_with_logits"
        )
    return BinaryCrossEntropy.apply(probability, target)


def binary_cross_entropy_with_logits(logits: Tensor, target: Any) -> Tensor:
    """Sigmoid (A2) + binary cross-entropy (L6), mean over all elements, computed stably:

        J = (1/n)·Σ[max(x, 0) − x·y + log(1 + e^(−|x|))]

    Gradient at the logits: (σ(x) − y)/n. Finite for logits of any size.
    """
    logits = _full_precision(_as_tensor(logits, "binary_cross_entropy_with_logits"))
    _require_float("binary_cross_entropy_with_logits", "logits", logits)
    target = _float_target(_target_tensor(target, logits), logits)
    _check_same_shape("binary_cross_entropy_with_logits", logits, target)
    _require_nonempty("binary_cross_entropy_with_logits", "logits and targets", logits)
    return BinaryCrossEntropyWithLogits.apply(logits, target)

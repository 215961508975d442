"""Random shapes, dtypes and values into every public function (issue: reliability).

Every outcome must be either a result or one of minidl's documented errors (ValueError,
TypeError, IndexError, RuntimeError and their minidl subclasses) with a message; never
an AttributeError, KeyError, ZeroDivisionError or other crash from inside the library.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minidl as mdl
from minidl import functional as F
from minidl import nn

DOCUMENTED_ERRORS = (ValueError, TypeError, IndexError, RuntimeError)

dtypes = st.sampled_from([np.float32, np.float64, np.int64, np.bool_])
shapes = hnp.array_shapes(min_dims=0, max_dims=5, min_side=0, max_side=5)


@st.composite
def tensors(draw, shape=shapes):
    dtype = draw(dtypes)
    array = draw(
        hnp.arrays(
            dtype,
            draw(shape) if not isinstance(shape, tuple) else shape,
            elements=hnp.from_dtype(
                np.dtype(dtype), allow_nan=False, allow_infinity=False, min_value=-5, max_value=5
            )
            if dtype not in (np.bool_,)
            else None,
        )
    )
    requires_grad = array.dtype.kind == "f" and draw(st.booleans())
    return mdl.tensor(array, requires_grad=requires_grad)


small_ints = st.integers(-2, 5)
maybe_ints = st.one_of(st.none(), small_ints)

ONE_TENSOR = {
    "relu": lambda d, x: F.relu(x),
    "sigmoid": lambda d, x: F.sigmoid(x),
    "tanh": lambda d, x: F.tanh(x),
    "softmax": lambda d, x: F.softmax(x, axis=d.draw(small_ints)),
    "log_softmax": lambda d, x: F.log_softmax(x, axis=d.draw(small_ints)),
    "flatten": lambda d, x: F.flatten(x),
    "dropout": lambda d, x: F.dropout(
        x, p=d.draw(st.floats(-0.5, 1.5)), training=d.draw(st.booleans())
    ),
    "max_pool2d": lambda d, x: F.max_pool2d(x, d.draw(small_ints), d.draw(maybe_ints)),
    "avg_pool2d": lambda d, x: F.avg_pool2d(x, d.draw(small_ints), d.draw(maybe_ints)),
    "sum": lambda d, x: x.sum(axis=d.draw(maybe_ints), keepdims=d.draw(st.booleans())),
    "mean": lambda d, x: x.mean(axis=d.draw(maybe_ints)),
    "max": lambda d, x: x.max(axis=d.draw(maybe_ints)),
    "reshape": lambda d, x: x.reshape(d.draw(st.lists(st.integers(-1, 6), max_size=4))),
    "transpose": lambda d, x: x.transpose(*d.draw(st.lists(st.integers(-2, 4), max_size=4))),
    "getitem": lambda d, x: x[d.draw(st.integers(-6, 6))],
    "exp": lambda d, x: x.exp(),
    "log": lambda d, x: x.log(),
    "sqrt": lambda d, x: x.sqrt(),
    "abs": lambda d, x: x.abs(),
    "clip": lambda d, x: x.clip(d.draw(st.one_of(st.none(), st.floats(-2, 2))), 1.0),
    "backward": lambda d, x: x.backward(),
    "item": lambda d, x: x.item(),
    "linear_layer": lambda d, x: nn.Linear(d.draw(st.integers(1, 5)), 2)(x),
    "conv_layer": lambda d, x: nn.Conv2d(d.draw(st.integers(1, 3)), 2, d.draw(st.integers(1, 3)))(
        x
    ),
    "softmax_layer": lambda d, x: nn.Softmax()(x),
}

TWO_TENSORS = {
    "add": lambda d, a, b: a + b,
    "mul": lambda d, a, b: a * b,
    "div": lambda d, a, b: a / b,
    "pow": lambda d, a, b: a**b,
    "matmul": lambda d, a, b: a @ b,
    "linear": lambda d, a, b: F.linear(a, b),
    "conv2d": lambda d, a, b: F.conv2d(a, b, None, d.draw(small_ints), d.draw(small_ints)),
    "mse_loss": lambda d, a, b: F.mse_loss(
        a, b, reduction=d.draw(st.sampled_from(["mean", "sum", "half_sum", "avg"]))
    ),
    "cross_entropy": lambda d, a, b: F.cross_entropy(a, b),
    "binary_cross_entropy": lambda d, a, b: F.binary_cross_entropy(a, b),
    "bce_with_logits": lambda d, a, b: F.binary_cross_entropy_with_logits(a, b),
    "mse_module": lambda d, a, b: nn.MSELoss()(a, b),
    "ce_module": lambda d, a, b: nn.CrossEntropyLoss()(a, b),
}


def call_and_classify(function):
    """Run ``function``; a documented error with a message is fine, anything else fails.

    A tensor result must hold an array of its backend (never a bare NumPy scalar, which
    in-place updates and ``out=`` cannot write to).
    """
    try:
        with np.errstate(all="ignore"):
            result = function()
    except DOCUMENTED_ERRORS as error:
        assert str(error), f"{type(error).__name__} without a message"
        if type(error) is IndexError:
            assert "shape" in str(error), f"bare IndexError from the array library: {error}"
    else:
        if isinstance(result, mdl.Tensor):
            assert isinstance(result.data, result.backend.array_type), type(result.data)


@given(name=st.sampled_from(sorted(ONE_TENSOR)), x=tensors(), data=st.data())
def test_one_tensor_functions_fail_only_with_documented_errors(name, x, data):
    call_and_classify(lambda: ONE_TENSOR[name](data, x))


@given(name=st.sampled_from(sorted(TWO_TENSORS)), a=tensors(), b=tensors(), data=st.data())
def test_two_tensor_functions_fail_only_with_documented_errors(name, a, b, data):
    call_and_classify(lambda: TWO_TENSORS[name](data, a, b))


@given(
    name=st.sampled_from(sorted(TWO_TENSORS)),
    a=tensors(shape=hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=3)),
    data=st.data(),
)
def test_matching_shapes_fail_only_with_documented_errors(name, a, data):
    # Same-shaped pairs get past the shape checks and into the arithmetic.
    b = mdl.tensor(data.draw(hnp.arrays(np.float64, a.shape, elements=st.floats(-1, 1))))
    call_and_classify(lambda: TWO_TENSORS[name](data, a, b))

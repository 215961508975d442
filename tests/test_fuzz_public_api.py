"""Random shapes, dtypes and values into every public function, and random bad inputs
(lists, strings, None, complex numbers, NaN/inf settings, crafted files, garbage command
lines) into the public API and the ``minidl`` command.

Every outcome must be either a result or one of minidl's documented errors (ValueError,
TypeError, IndexError, RuntimeError, FloatingPointError, OSError for file paths, and
their minidl subclasses) with a message; never an AttributeError, KeyError,
ZeroDivisionError, RecursionError, MemoryError or other crash from inside the library.
With MINIDL_FUZZ_REPORT=1 the counts (tried / result / clear error) are printed.
"""

from __future__ import annotations

import io
import math
import os
import tempfile
from collections import Counter

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minidl as mdl
from minidl import functional as F
from minidl import nn

DOCUMENTED_ERRORS = (ValueError, TypeError, IndexError, RuntimeError, FloatingPointError)
OUTCOMES: Counter = Counter()  # (test, "result" | "clear error") -> count


@pytest.fixture(scope="module", autouse=True)
def report_outcomes():
    yield
    if os.environ.get("MINIDL_FUZZ_REPORT"):
        for (test, outcome), count in sorted(OUTCOMES.items()):
            print(f"\nfuzz {test}: {outcome} {count}")


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


def call_and_classify(function, test="api", allowed=DOCUMENTED_ERRORS):
    """Run ``function``; a documented error with a message is fine, anything else fails.

    A tensor result must hold an array of its backend (never a bare NumPy scalar, which
    in-place updates and ``out=`` cannot write to).
    """
    try:
        with np.errstate(all="ignore"):
            result = function()
    except allowed as error:
        OUTCOMES[test, "clear error"] += 1
        assert str(error), f"{type(error).__name__} without a message"
        if type(error) is IndexError:
            assert "shape" in str(error), f"bare IndexError from the array library: {error}"
    else:
        OUTCOMES[test, "result"] += 1
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


# ---------------------------------------------------------------------------- bad values

bad_values = st.one_of(
    st.none(),
    st.text(max_size=3),
    st.complex_numbers(allow_nan=False, max_magnitude=10),
    st.sampled_from([math.nan, math.inf, -math.inf, 1e30, -1.0, 0.0, 1.5, True, object()]),
    st.lists(st.one_of(st.floats(allow_nan=True), st.text(max_size=2), st.none()), max_size=3),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
    st.builds(lambda: np.zeros((2, 0))),
    st.builds(lambda: np.array(["a", "b"])),
)


def small_model():
    return nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))


def digits_like_loader():
    from minidl.data import DataLoader, TensorDataset

    x = np.random.default_rng(0).normal(size=(8, 4)).astype(np.float32)
    return DataLoader(TensorDataset(x, np.arange(8) % 2), batch_size=4)


def save_and_remove(obj):
    path = os.path.join(tempfile.gettempdir(), f"minidl-fuzz-{os.getpid()}.npz")
    try:
        mdl.save(obj, path)
    finally:
        if os.path.exists(path):
            os.remove(path)


BAD_VALUE_CALLS = {
    "tensor": lambda v: mdl.tensor(v),
    "tensor_requires_grad": lambda v: mdl.tensor(v, requires_grad=True),
    "add": lambda v: mdl.tensor([1.0, 2.0]) + v,
    "rmul": lambda v: v * mdl.tensor([1.0, 2.0]),
    "relu": lambda v: F.relu(v),
    "model_call": lambda v: small_model()(v),
    "conv2d_stride": lambda v: F.conv2d(
        mdl.tensor(np.ones((1, 1, 4, 4), np.float32)), mdl.tensor(np.ones((1, 1, 2, 2))), stride=v
    ),
    "max_pool_kernel": lambda v: F.max_pool2d(mdl.tensor(np.ones((1, 1, 4, 4))), v),
    "linear_layer_size": lambda v: nn.Linear(v, 2),
    "dropout_p": lambda v: nn.Dropout(v),
    "sgd_lr": lambda v: mdl.optim.SGD(small_model().parameters(), lr=v),
    "adam_betas": lambda v: mdl.optim.Adam(small_model().parameters(), betas=(v, 0.9)),
    "momentum": lambda v: mdl.optim.Momentum(small_model().parameters(), lr=0.1, momentum=v),
    "optimizer_params": lambda v: mdl.optim.SGD(v, lr=0.1),
    "data_loader": lambda v: mdl.data.DataLoader(v, batch_size=2),
    "batch_size": lambda v: mdl.data.DataLoader(mdl.data.TensorDataset(np.zeros((4, 2))), v),
    "fit_loader": lambda v: mdl.train.fit(
        small_model(),
        nn.CrossEntropyLoss(),
        mdl.optim.SGD(small_model().parameters(), 0.1),
        v,
        1,
        progress=False,
    ),  # fmt: skip
    "fit_epochs": lambda v: mdl.train.fit(
        small_model(),
        nn.CrossEntropyLoss(),
        mdl.optim.SGD(small_model().parameters(), 0.1),
        digits_like_loader(),
        v,
        progress=False,
    ),  # fmt: skip
    "fit_metrics": lambda v: mdl.train.fit(
        small_model(),
        nn.CrossEntropyLoss(),
        mdl.optim.SGD(small_model().parameters(), 0.1),
        digits_like_loader(),
        1,
        val_loader=digits_like_loader(),
        metrics=v,
        progress=False,
    ),  # fmt: skip
    "accuracy": lambda v: mdl.metrics.accuracy(v, v),
    "f1": lambda v: mdl.metrics.f1_score([0, 1], v),
    "load_state_dict": lambda v: small_model().load_state_dict(v),
    "optimizer_load_state_dict": lambda v: mdl.optim.Adam(
        small_model().parameters()
    ).load_state_dict(v),
    "bce_target": lambda v: F.binary_cross_entropy(mdl.tensor([[0.5]]), v),
    "save_object": lambda v: save_and_remove(v),
}


@given(name=st.sampled_from(sorted(BAD_VALUE_CALLS)), value=bad_values)
def test_bad_values_into_the_public_api_fail_only_with_documented_errors(name, value):
    call_and_classify(lambda: BAD_VALUE_CALLS[name](value), test="bad values")


@given(
    where=st.sampled_from(["", ".", "missing/m.npz", "m.npz", "m.npz/x", "\x00.npz"]),
    obj=st.one_of(bad_values, st.dictionaries(st.text(max_size=3), bad_values, max_size=2)),
)
def test_bad_saves_fail_only_with_documented_errors(tmp_path_factory, where, obj):
    base = tmp_path_factory.mktemp("save")
    (base / "m.npz").write_bytes(b"")
    path = "" if not where else str(base / where)
    call_and_classify(lambda: mdl.save(obj, path), "save",
                      allowed=(*DOCUMENTED_ERRORS, OSError))  # fmt: skip


def valid_checkpoint_bytes() -> bytes:
    path = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"fuzz-{os.getpid()}.npz")
    mdl.save({"model": small_model().state_dict(), "epoch": 1, "note": "x"}, path)
    with open(path, "rb") as file:
        data = file.read()
    os.remove(path)
    return data


VALID_CHECKPOINT = valid_checkpoint_bytes()


@given(
    edits=st.lists(
        st.tuples(st.integers(0, len(VALID_CHECKPOINT) - 1), st.integers(0, 255)), max_size=4
    ),
    cut=st.one_of(st.none(), st.integers(0, len(VALID_CHECKPOINT))),
)
def test_damaged_checkpoints_load_whole_or_raise_checkpoint_error(tmp_path_factory, edits, cut):
    data = bytearray(VALID_CHECKPOINT)
    for position, byte in edits:
        data[position] = byte
    if cut is not None:
        data = data[:cut]
    path = tmp_path_factory.mktemp("load") / "c.npz"
    path.write_bytes(bytes(data))
    try:
        loaded = mdl.load(path)
    except mdl.CheckpointError as error:
        OUTCOMES["damaged files", "clear error"] += 1
        assert str(error)
        return
    OUTCOMES["damaged files", "result"] += 1
    assert sorted(loaded) == ["epoch", "model", "note"]  # never with parts missing
    assert sorted(loaded["model"]) == sorted(small_model().state_dict())


# ---------------------------------------------------------------------------- the CLI

FLAGS = {
    "--model": ["mlp", "cnn", "rnn", ""],
    "--dataset": ["digits", "diabetes", "mnist", "imagenet"],
    "--optimizer": ["adam", "sgd", "rmsprop", "gd"],
    "--lr": ["0.01", "inf", "nan", "-1", "0", "1e30", "x", ""],
    "--epochs": ["1", "0", "-3", "1.5", "x"],
    "--batch-size": ["16", "0", "-1", "x"],
    "--seed": ["0", "-1", "x"],
    "--backend": ["numpy", "cupy", "torch"],
    "--save": ["", ".", "missing/m.npz", "m.npz"],
    "--data-root": ["nowhere"],
    "--bogus": ["1"],
}


@given(
    command=st.sampled_from(["train", "info", "nonsense", ""]),
    flags=st.lists(
        st.sampled_from(sorted(FLAGS)).flatmap(
            lambda flag: st.tuples(st.just(flag), st.sampled_from(FLAGS[flag]))
        ),
        max_size=4,
    ),
)
def test_bad_command_lines_give_an_exit_status_and_a_message(tmp_path_factory, command, flags):
    """No traceback: argparse's exit 2, or main's 0/1/2 with a message on stderr."""
    import contextlib

    from minidl import cli

    argv = [command] if command else []
    for flag, value in flags:
        argv += [flag, value]
    if command == "train":
        argv += ["--no-progress"]
        if "--epochs" not in argv:
            argv += ["--epochs", "1"]  # keep each run short
    stderr = io.StringIO()
    cwd = os.getcwd()
    os.chdir(tmp_path_factory.mktemp("cli"))
    try:
        with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
            try:
                status = cli.main(argv)
            except SystemExit as exit_:
                status = exit_.code
    finally:
        os.chdir(cwd)
    assert status in (0, 1, 2), (argv, status)
    OUTCOMES["cli", "result" if status == 0 else "clear error"] += 1
    if status != 0:
        assert stderr.getvalue().strip(), (argv, status)
        assert "Traceback" not in stderr.getvalue()

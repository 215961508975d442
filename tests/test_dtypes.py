"""The dtype rule: an op that must make floats from integer or bool inputs makes float32
(the default float dtype); float64 appears only when an input is float64. PyTorch's rule,
checked against PyTorch where it is installed."""

from __future__ import annotations

import numpy as np
import pytest

import minidl as mdl
from minidl import functional as F

INT = [1, 2, 3]

# (description, expression on minidl, expected dtype)
CASES = [
    ("int + 0.5", lambda m: m.tensor(INT) + 0.5, np.float32),
    ("0.5 - int", lambda m: 0.5 - m.tensor(INT), np.float32),
    ("int / int", lambda m: m.tensor(INT) / m.tensor(INT), np.float32),
    ("int / 2", lambda m: m.tensor(INT) / 2, np.float32),
    ("exp(int)", lambda m: m.tensor(INT).exp(), np.float32),
    ("sqrt(int)", lambda m: m.tensor(INT).sqrt(), np.float32),
    ("log(int)", lambda m: m.tensor(INT).log(), np.float32),
    ("int ** 0.5", lambda m: m.tensor(INT) ** 0.5, np.float32),
    ("0.7 ** int", lambda m: 0.7 ** m.tensor(INT), np.float32),
    ("bool * 0.5", lambda m: m.tensor([True, False]) * 0.5, np.float32),
    ("mean(int)", lambda m: m.tensor(INT).mean(), np.float32),
    ("float32 + int", lambda m: m.tensor([1.0, 2.0, 3.0]) + m.tensor(INT), np.float32),
    ("float32 * int", lambda m: m.tensor(INT) * m.tensor([1.0, 2.0, 3.0]), np.float32),
    (
        "float16 * int",
        lambda m: m.tensor([1.0, 2.0, 3.0], dtype="float16") * m.tensor(INT),
        np.float16,
    ),
    ("float64 + 1", lambda m: m.tensor([1.0], dtype="float64") + 1, np.float64),
    (
        "float64 + int",
        lambda m: m.tensor([1.0, 2.0, 3.0], dtype="float64") + m.tensor(INT),
        np.float64,
    ),
    ("int + 1", lambda m: m.tensor(INT) + 1, np.int64),
    ("int * int", lambda m: m.tensor(INT) * m.tensor(INT), np.int64),
    (
        "where(int > 1, int, 0.5)",
        lambda m: m.where(m.tensor(INT) > 1, m.tensor(INT), 0.5),
        np.float32,
    ),
    ("maximum(int, 1.5)", lambda m: m.maximum(m.tensor(INT), 1.5), np.float32),
]


@pytest.mark.parametrize(
    ("description", "expression", "expected"), CASES, ids=[c[0] for c in CASES]
)
def test_the_dtype_rule(backend, description, expression, expected):
    assert expression(mdl).dtype == expected, description


# PyTorch refuses the mean of an integer tensor; minidl gives the float32 mean.
TORCH_CASES = [case for case in CASES if case[0] != "mean(int)"]


@pytest.mark.parametrize(
    ("description", "expression", "expected"), TORCH_CASES, ids=[c[0] for c in TORCH_CASES]
)
def test_the_dtype_rule_is_pytorchs(description, expression, expected):
    torch = pytest.importorskip("torch")
    torch_like = type("torch_like", (), {})()
    torch_like.tensor = lambda data, dtype=None: torch.tensor(
        data, dtype=getattr(torch, dtype) if dtype else None
    )
    torch_like.where, torch_like.maximum = torch.where, lambda a, b: torch.clamp(a, min=b)
    theirs = expression(torch_like)
    assert theirs.numpy().dtype == expected, description


def test_float32_work_with_integer_labels_stays_float32(backend):
    logits = mdl.tensor(np.zeros((4, 3)), dtype="float32", requires_grad=True)
    weights = mdl.tensor([1, 2, 3, 4])[:, None]  # an integer column
    loss = F.cross_entropy(logits * weights, mdl.tensor([0, 1, 2, 0]))
    loss.backward()
    assert loss.dtype == np.float32 and logits.grad.dtype == np.float32

"""A PyTorch habit that meets a different minidl name gets an error naming the minidl one."""

from __future__ import annotations

import numpy as np
import pytest

import minidl as mdl
from minidl import nn, optim


def test_sgd_with_momentum_points_to_momentum():
    params = nn.Linear(2, 1).parameters()
    with pytest.raises(TypeError, match=r"use optim.Momentum\(params, lr, momentum=0.9\)"):
        optim.SGD(params, lr=0.1, momentum=0.9)
    optim.SGD(nn.Linear(2, 1).parameters(), lr=0.1, momentum=0)  # PyTorch's default is fine


@pytest.mark.parametrize(
    "method", ["sum", "mean", "max", "min", "argmax", "argmin", "logsumexp", "var", "std"]
)
def test_dim_and_keepdim_point_to_axis_and_keepdims(method):
    x = mdl.tensor(np.ones((2, 3)))
    with pytest.raises(TypeError, match=rf"{method}\(\) takes axis=, not dim="):
        getattr(x, method)(dim=1)
    with pytest.raises(TypeError, match=r"takes keepdims=, not keepdim="):
        getattr(x, method)(1, keepdim=True)
    with pytest.raises(TypeError, match="unexpected keyword argument 'dimension'"):
        getattr(x, method)(dimension=1)


@pytest.mark.parametrize(
    ("call", "hint"),
    [
        (lambda x: x.view(3, 2), r"x.reshape\(...\)"),
        (lambda x: x.unsqueeze(0), r"x\[None\]"),
        (lambda x: x.squeeze(), r"x.reshape"),
        (lambda x: x.cuda(), r'x.to\("cupy"\)'),
        (lambda x: x.cpu(), r'x.to\("numpy"\)'),
        (lambda x: x.dim(), r"x.ndim"),
    ],
)
def test_pytorch_method_names_point_to_minidl_ones(call, hint):
    with pytest.raises(AttributeError, match=hint):
        call(mdl.tensor(np.ones((2, 3))))


def test_other_missing_attributes_are_plain_attribute_errors():
    x = mdl.tensor([1.0])
    with pytest.raises(AttributeError, match="no attribute 'frobnicate'"):
        x.frobnicate  # noqa: B018
    assert not hasattr(x, "frobnicate") and getattr(x, "__deepcopy__", None) is None


def test_transpose_with_a_full_order_points_to_permute():
    with pytest.raises(TypeError, match=r"use x.permute"):
        mdl.tensor(np.ones((2, 3, 4))).transpose(2, 0, 1)


def test_asarray_of_a_host_tensor_is_its_array():
    x = mdl.tensor([[1.0, 2.0]], device="numpy")
    array = np.asarray(x)
    assert array is x.data and array.dtype == np.float32
    assert np.asarray(x, dtype=np.float64).dtype == np.float64
    np.testing.assert_array_equal(np.array(x), [[1.0, 2.0]])
    assert x.size == 2  # NumPy's element count, as before

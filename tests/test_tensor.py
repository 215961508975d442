"""Tensor creation, dtypes, conversions and operators."""

from __future__ import annotations

import numpy as np
import pytest

import minidl as mdl


def test_python_floats_become_float32():
    assert mdl.tensor([[1.0, 2.0]]).dtype == np.float32
    assert mdl.Tensor(3.0).dtype == np.float32


def test_float64_is_kept_when_given():
    assert mdl.tensor(np.zeros(3)).dtype == np.float64
    assert mdl.tensor([1.0], dtype="float64").dtype == np.float64


def test_integers_stay_integers_and_cannot_require_grad():
    labels = mdl.tensor([1, 2, 3])
    assert labels.dtype.kind == "i"
    with pytest.raises(TypeError, match="only floating-point tensors.*int"):
        mdl.tensor([1, 2], requires_grad=True)
    with pytest.raises(TypeError, match="bool"):
        mdl.tensor([True], requires_grad=True)


def test_strings_are_refused():
    with pytest.raises(TypeError, match="expected numbers"):
        mdl.tensor(["a", "b"])


def test_tensor_copies_but_Tensor_shares():
    host = np.ones(3, dtype=np.float32)
    copied, shared = mdl.tensor(host), mdl.Tensor(host)
    host[0] = 5
    assert copied.numpy()[0] == 1 and shared.numpy()[0] == 5


def test_properties_and_conversions():
    x = mdl.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
    assert x.shape == (1, 3) and x.ndim == 2 and x.size == 3 and len(x) == 1
    assert x.device == mdl.get_backend().name and x.is_leaf
    assert isinstance(x.numpy(), np.ndarray)
    assert x.sum().item() == 6.0 and float(x.sum()) == 6.0
    assert x.tolist() == [[1.0, 2.0, 3.0]]
    with pytest.raises(ValueError, match="one-element"):
        x.item()
    assert x.double().dtype == np.float64 and x.float().dtype == np.float32


def test_comparisons_give_boolean_tensors_without_graph():
    x = mdl.tensor([1.0, 2.0, 3.0], requires_grad=True)
    for result in (x > 2, x >= 2, x < 2, x <= 2, x == 2, x != 2):
        assert result.dtype == np.bool_ and not result.requires_grad
    np.testing.assert_array_equal((x > 1.5).numpy(), [False, True, True])


def test_tensors_hash_by_identity():
    a, b = mdl.tensor([1.0]), mdl.tensor([1.0])
    assert len({a, b}) == 2


def test_truth_value_of_many_elements_is_an_error():
    with pytest.raises(ValueError, match="ambiguous"):
        bool(mdl.tensor([1.0, 2.0]))
    assert bool(mdl.tensor([1.0]))


def test_iteration_and_argmax():
    x = mdl.tensor([[1.0, 5.0], [7.0, 2.0]])
    assert [row.tolist() for row in x] == [[1.0, 5.0], [7.0, 2.0]]
    assert x.argmax(axis=1).tolist() == [1, 0]


def test_repr_is_readable():
    x = mdl.tensor([1.0, 2.0], requires_grad=True, device="numpy")
    assert repr(x) == "tensor([1., 2.], requires_grad=True)"
    assert "grad_fn=Mul" in repr(x * 2)
    assert "dtype=float64" in repr(mdl.tensor(np.zeros(1)))


def test_numpy_scalar_on_the_left_defers_to_tensor():
    x = mdl.tensor([1.0], requires_grad=True)
    y = np.float32(2.0) * x
    assert isinstance(y, mdl.Tensor) and y.requires_grad


@pytest.mark.parametrize("data", [[1j], np.array([1 + 2j]), np.array([1j], np.complex64), 2j])
def test_complex_data_is_refused(data):
    with pytest.raises(TypeError, match="complex data .* real numbers only"):
        mdl.tensor(data)
    with pytest.raises(TypeError, match="complex data"):
        mdl.Tensor(data)


@pytest.mark.parametrize("other", ["a", None, 1j, [["a"]], object()])
def test_arithmetic_with_a_non_number_is_a_clear_type_error(other):
    x = mdl.tensor([1.0, 2.0])
    for operation in (lambda: x + other, lambda: other * x, lambda: x - other):
        with pytest.raises(TypeError, match="a tensor op cannot take .* expected a real number"):
            operation()

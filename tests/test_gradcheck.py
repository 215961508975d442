"""gradcheck itself: it must catch a wrong backward and say where."""

from __future__ import annotations

import numpy as np
import pytest

import minidl as mdl
from minidl.autograd import Function


class WrongSquare(Function):
    """Claims d(x²)/dx = x (the right answer is 2x)."""

    def forward(self, x):
        self.x = x
        return x * x

    def backward(self, grad_output):
        return grad_output * self.x


def test_a_correct_gradient_passes():
    x = mdl.tensor(np.array([0.5, -1.0]), requires_grad=True)
    assert mdl.gradcheck(lambda t: (t * t).sum(), [x]) is True


def test_a_wrong_gradient_is_reported_with_input_element_and_values():
    x = mdl.tensor(np.array([0.5, -1.0]), requires_grad=True)
    with pytest.raises(mdl.GradcheckError) as error:
        mdl.gradcheck(lambda t: WrongSquare.apply(t), [x])
    message = str(error.value)
    assert "input 0" in message and "element (0,)" in message
    assert "analytic" in message and "numeric" in message and "eps=" in message


def test_raise_exception_false_returns_false():
    x = mdl.tensor(np.array([0.5]), requires_grad=True)
    assert mdl.gradcheck(lambda t: WrongSquare.apply(t), [x], raise_exception=False) is False


def test_float32_inputs_are_checked_in_float64():
    x = mdl.tensor([0.3, 0.7], requires_grad=True)
    assert mdl.gradcheck(lambda t: t.exp() * t, [x])
    assert x.grad is None  # the user's tensor is untouched


def test_needs_an_input_that_requires_grad():
    with pytest.raises(ValueError, match="requires_grad=True"):
        mdl.gradcheck(lambda t: t * 2, [mdl.tensor([1.0])])

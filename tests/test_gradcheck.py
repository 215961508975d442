"""gradcheck itself: it must catch a wrong backward and say where."""

from __future__ import annotations

import numpy as np
import pytest

import minidl as mdl
from minidl.autograd import Function
from minidl.backend import backend_of


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


class NanGradient(Function):
    """A correct forward (x²) whose backward sends NaN: gradcheck must not wave it through."""

    def forward(self, x):
        return x * x

    def backward(self, grad_output):
        return grad_output * float("nan")


class InfGradient(Function):
    """A correct forward (x²) whose backward sends +inf."""

    def forward(self, x):
        return x * x

    def backward(self, grad_output):
        return grad_output * 0 + float("inf")


@pytest.mark.parametrize("op", [NanGradient, InfGradient])
def test_a_non_finite_analytic_gradient_fails_with_a_report(op):
    x = mdl.tensor(np.array([0.5, -1.0]), requires_grad=True)
    with pytest.raises(mdl.GradcheckError, match="NaN or inf") as error:
        mdl.gradcheck(lambda t: op.apply(t), [x])
    assert "input 0" in str(error.value) and "element (0,)" in str(error.value)
    assert mdl.gradcheck(lambda t: op.apply(t), [x], raise_exception=False) is False


class NanAwayFromZero(Function):
    """Claims gradient 1 everywhere, but its forward is NaN except at exactly 0, so the
    numeric gradient at 0 is NaN."""

    def forward(self, x):
        return backend_of(x).xp.where(x == 0, x, float("nan"))

    def backward(self, grad_output):
        return grad_output


def test_a_non_finite_numeric_gradient_fails_against_a_finite_analytic_one():
    x = mdl.tensor(np.array([0.0]), requires_grad=True)
    with pytest.raises(mdl.GradcheckError, match="NaN or inf"):
        mdl.gradcheck(lambda t: NanAwayFromZero.apply(t), [x])


def test_the_zero_exponent_nan_that_used_to_pass_is_caught():
    # Before the fix gradcheck compared |nan − 0| > tol, which is False: this passed.
    class NanAtZero(Function):
        def forward(self, x):
            self.x = x
            return x**0.0

        def backward(self, grad_output):
            with np.errstate(divide="ignore", invalid="ignore"):
                return grad_output * 0.0 * self.x ** (-1.0)  # 0 · inf = NaN at x = 0

    x = mdl.tensor(np.array([0.0]), requires_grad=True)
    with pytest.raises(mdl.GradcheckError, match="NaN or inf"):
        mdl.gradcheck(lambda t: NanAtZero.apply(t), [x])

"""The graph and backward(): topological order, accumulation, freeing, grad mode."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest
from strategies import leaf

import minidl as mdl
from minidl import functional as F
from minidl.autograd import Function


def grad_of(t):
    return mdl.Tensor(t.grad).numpy()


def test_diamond_graph_accumulates(backend):
    # y = (2x)·(3x) = 6x²  → dy/dx = 12x: x reaches y along two paths.
    x = leaf([1.5, -2.0])
    a, b = x * 2, x * 3
    (a * b).sum().backward()
    np.testing.assert_allclose(grad_of(x), 12 * np.array([1.5, -2.0]))


def test_tensor_used_twice_in_one_op(backend):
    x = leaf([3.0])
    (x * x).sum().backward()
    np.testing.assert_allclose(grad_of(x), [6.0])


def test_deep_chain_of_10000_ops(backend):
    x = leaf([1.0])
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    y.sum().backward()
    np.testing.assert_allclose(grad_of(x), [1.0001**10_000], rtol=1e-9)


def test_deep_chain_is_freed_without_backward(backend):
    # Dropping a 50,000-op graph must not overflow the stack while it is deallocated.
    x = leaf([1.0])
    y = x
    for _ in range(50_000):
        y = y + 1.0
    del y
    gc.collect()


def test_gradients_accumulate_across_backward_calls_until_zero_grad(backend):
    x = leaf([2.0])
    (x * 3).sum().backward()
    (x * 3).sum().backward()
    np.testing.assert_allclose(grad_of(x), [6.0])
    x.zero_grad()
    assert x.grad is None


def test_retain_graph_allows_a_second_backward(backend):
    x = leaf([2.0])
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(grad_of(x), [8.0])


def test_second_backward_through_freed_graph_says_retain_graph(backend):
    x = leaf([2.0])
    y = (x * x).sum()
    y.backward()
    with pytest.raises(mdl.GraphFreedError, match="retain_graph=True"):
        y.backward()


def test_backward_frees_saved_arrays_and_intermediates(backend):
    x = leaf(np.ones(1000))
    hidden = x * 2
    hidden_ref = weakref.ref(hidden.data)
    loss = (hidden * hidden).sum()
    del hidden
    assert hidden_ref() is not None  # Mul saved the array for its backward
    loss.backward()
    gc.collect()
    assert hidden_ref() is None
    assert loss.grad_fn.released and vars(loss.grad_fn) == {"released": True}


def test_no_live_tensors_leak_from_training_steps(backend):
    # tinygrad-style: count live Tensors after a few steps of a tiny model.
    w = leaf(np.random.default_rng(0).standard_normal((4, 3)))
    x = mdl.tensor(np.ones((5, 4)))

    def live_tensors():
        gc.collect()
        return sum(isinstance(o, mdl.Tensor) for o in gc.get_objects())

    def step():
        loss = ((x @ w).exp() - 1.0).abs().mean()
        loss.backward()
        with mdl.no_grad():
            w.data -= 0.01 * w.grad
        w.zero_grad()

    step()
    before = live_tensors()
    for _ in range(5):
        step()
    assert live_tensors() == before


def test_no_grad_builds_no_graph(backend):
    x = leaf([1.0, 2.0])
    with mdl.no_grad():
        y = (x * 2).exp().sum()
        assert not mdl.is_grad_enabled()
    assert mdl.is_grad_enabled()
    assert y.grad_fn is None and not y.requires_grad
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.backward()


def test_no_grad_as_decorator_and_enable_grad(backend):
    x = leaf([1.0])

    @mdl.no_grad()
    def double(t):
        with mdl.enable_grad():
            inside = t * 2
        return inside, t * 2

    inside, outside = double(x)
    assert inside.requires_grad and not outside.requires_grad


def test_detach_shares_data_and_stops_gradient(backend):
    x = leaf([1.0, 2.0])
    y = x * 2
    d = y.detach()
    assert d.data is y.data and not d.requires_grad and d.grad_fn is None
    (x * d).sum().backward()
    np.testing.assert_allclose(grad_of(x), [2.0, 4.0])


def test_backward_of_non_scalar_needs_a_gradient(backend):
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"one-element tensor.*shape \(2,\)"):
        (x * 2).backward()
    (x * 2).backward(np.array([1.0, 10.0]))
    np.testing.assert_allclose(grad_of(x), [2.0, 20.0])


def test_backward_gradient_of_wrong_shape(backend):
    with pytest.raises(ValueError, match=r"shape \(2,\).*got \(3,\)"):
        (leaf([1.0, 2.0]) * 2).backward(np.ones(3))


def test_zero_upstream_gradient_gives_zero_gradients(backend):
    x = leaf([[1.0, -2.0], [3.0, 0.5]])
    y = (x.exp() * x).sum(axis=0)
    y.backward(np.zeros(2))
    np.testing.assert_array_equal(grad_of(x), np.zeros((2, 2)))


def test_leaf_gradients_are_never_shared_arrays(backend):
    a, b = leaf([1.0]), leaf([2.0])
    (a + b).sum().backward()
    assert a.grad is not b.grad
    a.grad[...] = 100.0
    np.testing.assert_array_equal(grad_of(b), [1.0])


def test_gradient_dtype_follows_the_leaf(backend):
    x = mdl.tensor([1.0, 2.0], requires_grad=True)  # float32
    y = mdl.tensor(np.array([3.0, 4.0]))  # float64 constant
    (x * y).sum().backward()
    assert x.grad.dtype == np.float32


def test_custom_function_with_needs_input_grad(backend):
    class Square(Function):
        """y = x².  dy/dx = 2x."""

        def forward(self, x):
            self.x = x
            return x * x

        def backward(self, grad_output):
            return 2 * self.x * grad_output

    x = leaf([3.0])
    y = Square.apply(x)
    assert y.grad_fn.needs_input_grad == (True,)
    y.sum().backward()
    np.testing.assert_allclose(grad_of(x), [6.0])
    assert mdl.gradcheck(lambda t: Square.apply(t), [leaf([0.3, -1.2])])


def test_detect_anomaly_names_the_op(backend):
    x = leaf([-1.0, 1.0])
    with mdl.detect_anomaly(), pytest.raises(mdl.AnomalyError, match="Log"):
        with np.errstate(invalid="ignore"):
            x.log()
    with np.errstate(invalid="ignore"):
        assert np.isnan(x.log().numpy()[0])  # off again outside the block


def test_a_path_that_sends_no_gradient_does_not_block_the_others(backend):
    class Blocked(Function):
        """Forward is the identity; backward sends nothing back."""

        def forward(self, x):
            return x * 1

        def backward(self, grad_output):
            return None

    x = leaf([1.0, 2.0])
    y = Blocked.apply(x * 3) + x * 2
    y.sum().backward()
    np.testing.assert_allclose(grad_of(x), [2.0, 2.0])


def test_python_numbers_are_constants_in_ops(backend):
    x = leaf([1.0, 2.0])
    y = (2.0 - x) * 3 + 1 / x
    assert y.grad_fn.needs_input_grad == (True, True)
    assert mdl.gradcheck(lambda t: (2.0 - t) * 3 + 1 / t - t**2.0, [x])


def test_detect_anomaly_names_the_op_that_made_a_loss_nan(backend):
    from minidl import functional as F

    x = leaf([[1.0, -4.0]])
    with mdl.detect_anomaly(), np.errstate(invalid="ignore"):
        with pytest.raises(mdl.AnomalyError, match="Sqrt"):
            F.mse_loss(x.sqrt(), mdl.tensor(np.zeros((1, 2))))
        logits = leaf([[np.nan, 1.0]])
        with pytest.raises(mdl.AnomalyError, match="CrossEntropy"):
            F.cross_entropy(logits, mdl.tensor([1]))


_RETAIN_CASES = {
    "relu": lambda x: F.relu(x),
    "sigmoid": lambda x: F.sigmoid(x),
    "tanh": lambda x: F.tanh(x),
    "softmax": lambda x: F.softmax(x, axis=1) * x,
    "log_softmax": lambda x: F.log_softmax(x, axis=1),
    "linear": lambda x: F.linear(F.flatten(x), mdl.tensor(np.ones((3, 12)) / 7)),
    "conv2d": lambda x: F.conv2d(x, mdl.tensor(np.ones((2, 3, 2, 2)) / 5), padding=1),
    "max_pool2d": lambda x: F.max_pool2d(x, 2, stride=1),
    "avg_pool2d": lambda x: F.avg_pool2d(x, 2, stride=1, padding=1),
    "dropout": lambda x: F.dropout(x, 0.5),
    "mse_loss": lambda x: F.mse_loss(x, np.zeros((2, 3, 2, 2))),
    "cross_entropy": lambda x: F.cross_entropy(F.flatten(x), np.array([0, 5])),
    "bce": lambda x: F.binary_cross_entropy(F.sigmoid(x), np.ones((2, 3, 2, 2))),
    "bce_with_logits": lambda x: F.binary_cross_entropy_with_logits(x, np.ones((2, 3, 2, 2))),
    "arithmetic": lambda x: (x * x / (x.abs() + 1) - x.exp()).sum(axis=1),
    "shape": lambda x: x.transpose()[1:, ::2].reshape(-1).max(),
}


@pytest.mark.parametrize("name", sorted(_RETAIN_CASES))
def test_every_op_backward_twice_with_retain_graph(backend, name):
    # Each op's backward must leave what it saved intact: only autograd's release, which
    # retain_graph=True skips, may drop it. The second backward then adds the same again.
    x = mdl.tensor(np.random.default_rng(1).standard_normal((2, 3, 2, 2)), requires_grad=True)
    mdl.manual_seed(0)
    loss = _RETAIN_CASES[name](x).sum()
    loss.backward(retain_graph=True)
    once = mdl.get_backend().to_host(x.grad).copy()
    loss.backward()
    np.testing.assert_allclose(mdl.get_backend().to_host(x.grad), 2 * once, rtol=1e-12)

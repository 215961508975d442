"""Seeing intermediate gradients: retain_grad() and register_hook(fn)."""

from __future__ import annotations

import gc

import numpy as np
import pytest
from strategies import leaf

import minidl as mdl


def lesson():
    """L = (a·b + c)², a = 2, b = −3, c = 10 (notebook 01's first graph)."""
    a = mdl.tensor(2.0, requires_grad=True)
    b = mdl.tensor(-3.0, requires_grad=True)
    c = mdl.tensor(10.0, requires_grad=True)
    e = a * b
    d = e + c
    return a, b, c, e, d, d**2


def test_retain_grad_keeps_every_intermediate_gradient():
    a, b, c, e, d, L = lesson()
    for tensor in (e, d, L):
        tensor.retain_grad()
    L.backward()
    # dL/dL = 1, dL/dd = 2d = 8, dL/de = dL/dd · 1 = 8, dL/da = dL/de · b = −24, ...
    got = {name: float(t.grad) for name, t in zip("abcedL", (a, b, c, e, d, L))}
    assert got == {"a": -24.0, "b": 16.0, "c": 8.0, "e": 8.0, "d": 8.0, "L": 1.0}
    assert e.retains_grad and not a.retains_grad  # a leaf keeps its grad anyway


def test_without_retain_grad_an_intermediate_has_no_grad():
    a, b, c, e, d, L = lesson()
    L.backward()
    assert e.grad is None and d.grad is None and a.grad is not None


def test_retained_gradients_accumulate_like_a_leafs(backend):
    x = leaf([1.0, 2.0])
    y = x * 3
    y.retain_grad()
    z = (y * y).sum()
    z.backward(retain_graph=True)
    z.backward()
    np.testing.assert_allclose(mdl.Tensor(y.grad).numpy(), 2 * (2 * 3 * np.array([1.0, 2.0])))
    y.zero_grad()
    assert y.grad is None


def test_a_retained_grad_is_its_own_array(backend):
    # Add hands its gradient to both inputs: changing y.grad must not change x.grad.
    x = leaf([1.0, 2.0])
    y = x * 1.0
    y.retain_grad()
    (y + x).sum().backward()
    y.grad[...] = 100.0
    np.testing.assert_array_equal(mdl.Tensor(x.grad).numpy(), [2.0, 2.0])


def test_hook_sees_the_gradient_when_it_is_computed(backend):
    x = leaf([1.0, -2.0])
    y = x * x
    seen = []
    y.register_hook(lambda grad: seen.append(mdl.Tensor(grad).numpy().copy()))
    (y * 5).sum().backward()
    assert len(seen) == 1
    np.testing.assert_allclose(seen[0], [5.0, 5.0])
    np.testing.assert_allclose(mdl.Tensor(x.grad).numpy(), [10.0, -20.0])


def test_hook_replacing_the_gradient_changes_what_flows_back(backend):
    x = leaf([1.0, -2.0])
    y = x * 3
    y.register_hook(lambda grad: grad * 0 + 1.0)  # pretend dL/dy = 1
    (y * 7).sum().backward()
    np.testing.assert_allclose(mdl.Tensor(x.grad).numpy(), [3.0, 3.0])


def test_hooks_run_in_order_and_a_retained_grad_sees_their_result():
    x = mdl.tensor(2.0, requires_grad=True)
    y = x * 1.0
    y.retain_grad()
    calls = []
    y.register_hook(lambda grad: calls.append("first") or grad * 2)
    y.register_hook(lambda grad: calls.append(("second", float(grad))))
    (y * 3).backward()
    assert calls == ["first", ("second", 6.0)]
    assert float(y.grad) == 6.0 and float(x.grad) == 6.0


def test_hook_on_a_leaf_runs_before_the_gradient_is_stored(backend):
    w = leaf([1.0, 2.0])
    w.register_hook(lambda grad: grad.clip(-1.0, 1.0))  # gradient clipping by hook
    (w * 10).sum().backward()
    np.testing.assert_array_equal(mdl.Tensor(w.grad).numpy(), [1.0, 1.0])


def test_hook_handle_removes_the_hook():
    x = mdl.tensor(1.0, requires_grad=True)
    y = x * 2
    handle = y.register_hook(lambda grad: grad * 100)
    handle.remove()
    y.backward()
    assert float(x.grad) == 2.0


def test_hook_returning_the_wrong_shape_is_a_clear_error():
    x = mdl.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.register_hook(lambda grad: np.ones(3, dtype=grad.dtype))
    with pytest.raises(ValueError, match=r"hook .* shape \(3,\).* expected \(2,\)"):
        y.sum().backward()


def test_hooks_and_retain_grad_need_a_tensor_that_requires_grad():
    constant = mdl.tensor([1.0])
    with pytest.raises(RuntimeError, match="does not require grad"):
        constant.register_hook(lambda grad: grad)
    with pytest.raises(RuntimeError, match="does not require grad"):
        constant.retain_grad()
    with pytest.raises(TypeError, match="callable"):
        mdl.tensor(1.0, requires_grad=True).register_hook("not a function")


def test_hook_on_a_freed_graph_is_a_clear_error():
    x = mdl.tensor(1.0, requires_grad=True)
    y = x * 2
    z = y * 3
    z.backward()
    with pytest.raises(mdl.GraphFreedError, match="freed"):
        y.register_hook(lambda grad: grad)


def test_retain_grad_does_not_keep_the_tensor_alive():
    x = mdl.tensor([1.0], requires_grad=True)
    y = x * 2
    y.retain_grad()
    z = (y * 3).sum()
    del y
    gc.collect()
    z.backward()  # the retained tensor is gone: nothing to store, no error
    assert float(x.grad[0]) == 6.0


def test_hook_sees_the_summed_gradient_of_a_node_used_twice():
    x = mdl.tensor(3.0, requires_grad=True)
    y = x * 1.0
    seen = []
    y.register_hook(lambda grad: seen.append(float(grad)))
    (y * y + y).backward()  # dL/dy = 2y + 1 = 7, called once with the total
    assert seen == [7.0]

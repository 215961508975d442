"""An adapter that runs a peer framework's op test cases against minidl.

A ported case names its inputs (shapes of uniform random float32 data, or explicit
values), a PyTorch function and the minidl function that should compute the same thing
(by default the same lambda: ``lambda x, y: x + y`` reads the same in both libraries).
``helper_test_op`` then checks, like the peer's helper of the same name,

- forward: same shape, same dtype, values within atol/rtol of PyTorch's;
- backward: the gradient of ``output.sum()`` at every input within grad_atol/grad_rtol
  of PyTorch's (NaN matching NaN, inf matching the same inf).

PyTorch is the oracle when it is installed (the ``dev`` extra brings it). Without it the
same cases still run: minidl's forward and backward must complete, and for inputs drawn
from shapes (smooth points, no hand-picked kinks) the backward is compared with float64
central differences (``minidl.gradcheck``) when the inputs are small enough for that.
"""

from __future__ import annotations

import numpy as np
import pytest

import minidl as mdl

try:
    import torch
except ImportError:  # the fallback oracle below takes over
    torch = None

# Inputs up to this many elements in all are gradchecked when PyTorch is missing
# (central differences cost two forward passes per element).
GRADCHECK_MAX_ELEMENTS = 400


def helper_test_op(
    shps,
    torch_fxn,
    minidl_fxn=None,
    atol=1e-6,
    rtol=1e-3,
    grad_atol=1e-4,
    grad_rtol=1e-3,
    forward_only=False,
    vals=None,
    low=-2,
    high=2,
):
    """Run ``torch_fxn`` and ``minidl_fxn`` on the same inputs and compare (see module doc)."""
    minidl_fxn = torch_fxn if minidl_fxn is None else minidl_fxn
    host_inputs = _host_inputs(shps, vals, low, high)
    wants_grad = [not forward_only and a.dtype.kind == "f" for a in host_inputs]
    inputs = [mdl.tensor(a, requires_grad=g) for a, g in zip(host_inputs, wants_grad)]
    with np.errstate(all="ignore"):
        output = minidl_fxn(*inputs)
    if torch is None:
        _fallback_check(minidl_fxn, inputs, output, shps, forward_only)
        return
    torch_inputs = [torch.tensor(a, requires_grad=g) for a, g in zip(host_inputs, wants_grad)]
    expected = torch_fxn(*torch_inputs)
    compare("forward pass", output.numpy(), expected.detach().numpy(), atol, rtol)
    if forward_only or not torch_inputs:
        return
    torch_grads = torch.autograd.grad(torch_fxn(*torch_inputs).sum(), torch_inputs)
    with np.errstate(all="ignore"):
        minidl_fxn(*inputs).sum().backward()
    for i, (tensor, torch_grad) in enumerate(zip(inputs, torch_grads)):
        grad = np.zeros(tensor.shape, tensor.dtype) if tensor.grad is None else tensor.grad
        compare(
            f"backward pass tensor {i}",
            mdl.tensor(grad).numpy(),
            torch_grad.numpy(),
            grad_atol,
            grad_rtol,
        )


def helper_test_exception(
    shps, torch_fxn, minidl_fxn=None, expected=None, vals=None, low=-1.5, high=1.5
):
    """Both libraries raise on the same inputs: PyTorch ``expected[0]``, minidl
    ``expected[1]`` (minidl raises Python's usual types, e.g. ValueError for a bad shape,
    where PyTorch raises RuntimeError)."""
    minidl_fxn = torch_fxn if minidl_fxn is None else minidl_fxn
    torch_error, minidl_error = expected
    host_inputs = _host_inputs(shps, vals, low, high)
    if torch is not None:
        with pytest.raises(torch_error):
            torch_fxn(*[torch.tensor(a) for a in host_inputs])
    with pytest.raises(minidl_error):
        minidl_fxn(*[mdl.tensor(a) for a in host_inputs])


def compare(what, minidl_output, torch_output, atol, rtol):
    """Same shape, same dtype, close values (NaN equal to NaN), with a message that says
    which pass failed."""
    assert minidl_output.shape == torch_output.shape, (
        f"{what}: shape mismatch: minidl={minidl_output.shape} | torch={torch_output.shape}"
    )
    assert minidl_output.dtype == torch_output.dtype, (
        f"{what}: dtype mismatch: minidl={minidl_output.dtype} | torch={torch_output.dtype}"
    )
    if np.issubdtype(minidl_output.dtype, np.floating):
        np.testing.assert_allclose(minidl_output, torch_output, atol=atol, rtol=rtol, err_msg=what)
    else:
        np.testing.assert_equal(minidl_output, torch_output, err_msg=what)


def _host_inputs(shps, vals, low, high):
    """The peer's inputs: seeded uniform float32 data of the given shapes, or the values."""
    if shps is None:
        return [_host_value(v) for v in vals]
    rng = np.random.RandomState(0)  # the peer seeds NumPy's global generator with 0
    return [rng.uniform(low=low, high=high, size=size).astype(np.float32) for size in shps]


def _host_value(value):
    """A value as the array both libraries get: Python floats become float32 (both
    libraries' default), ints int64, bools bool; arrays keep their dtype."""
    if isinstance(value, np.ndarray):
        return value
    array = np.asarray(value)
    return array.astype(np.float32) if array.dtype == np.float64 else array


def _fallback_check(minidl_fxn, inputs, output, shps, forward_only):
    """Without PyTorch: backward must run; smooth random inputs are gradchecked."""
    assert isinstance(output, mdl.Tensor)
    if forward_only or not any(t.requires_grad for t in inputs):
        return
    with np.errstate(all="ignore"):
        minidl_fxn(*inputs).sum().backward()
    small = sum(t.size for t in inputs) <= GRADCHECK_MAX_ELEMENTS
    finite = bool(np.isfinite(output.numpy()).all())  # no derivative where f is NaN/inf
    if shps is not None and small and finite:
        fresh = [mdl.tensor(t.numpy(), requires_grad=t.requires_grad) for t in inputs]
        assert mdl.gradcheck(minidl_fxn, fresh, atol=1e-4, rtol=1e-3)

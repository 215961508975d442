"""Gradient checking: does an op's backward agree with central differences?

For f: inputs → output, pick a fixed random upstream gradient r (so a non-scalar output
is checked in every direction at once) and compare, for each element x_k of each input,

    analytic  ∂(Σ r·f)/∂x_k   from backward(r)
    numeric   (Σ r·f(x + eps·e_k) − Σ r·f(x − eps·e_k)) / (2·eps)

in float64. They agree when |analytic − numeric| ≤ atol + rtol·|numeric|. A NaN never
agrees with anything, and an infinity agrees only with the same infinity, so a NaN or
inf gradient where the other side is finite is a failure (``abs(nan) > tol`` alone would
be False and let it pass).
A loop over elements is the nature of finite differences; gradcheck is a test tool.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from minidl.autograd import no_grad
from minidl.errors import GradcheckError
from minidl.tensor import Tensor


def gradcheck(
    fn: Callable[..., Tensor],
    inputs: Sequence[Any] | Tensor,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    seed: int = 0,
) -> bool:
    """Check ``fn``'s gradients w.r.t. every input that requires grad, in float64.

    Returns True when they agree. Otherwise raises GradcheckError (or returns False with
    ``raise_exception=False``) with a report naming the input, the element, the analytic
    and the numeric value, eps and the tolerances.
    """
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    inputs = [_as_float64(x) for x in inputs]
    wanted = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not wanted:
        raise ValueError("gradcheck needs at least one input tensor with requires_grad=True")

    output = fn(*inputs)
    if not isinstance(output, Tensor):
        raise TypeError(f"gradcheck: fn must return a Tensor, got {type(output).__name__}")
    backend = output.backend
    xp = backend.xp
    upstream = backend.asarray(np.random.default_rng(seed).standard_normal(output.shape))
    if output.requires_grad:
        output.backward(upstream)

    def projected(*args: Any) -> float:
        with no_grad():
            return float(xp.sum(fn(*args).data * upstream))

    for i in wanted:
        x = inputs[i]
        analytic = backend.to_host(x.grad) if x.grad is not None else np.zeros(x.shape)
        flat = x.data.reshape(-1)  # a view: perturbing it perturbs x
        numeric = np.empty(flat.size)
        for k in range(flat.size):
            original = flat[k].item()
            flat[k] = original + eps
            plus = projected(*inputs)
            flat[k] = original - eps
            minus = projected(*inputs)
            flat[k] = original
            numeric[k] = (plus - minus) / (2 * eps)
        numeric = numeric.reshape(x.shape)
        bad = _disagree(analytic, numeric, atol, rtol)
        if bad.any():
            element = tuple(int(j) for j in np.argwhere(bad)[0])
            pair = (float(analytic[element]), float(numeric[element]))
            non_finite = "" if np.isfinite(pair).all() else " (a NaN or inf gradient)"
            report = (
                f"gradcheck failed for input {i} (shape {x.shape}) at element {element}: "
                f"analytic {pair[0]!r} vs numeric {pair[1]!r}{non_finite} "
                f"(eps={eps}, atol={atol}, rtol={rtol}; {int(bad.sum())} of {bad.size} "
                "elements disagree)"
            )
            if raise_exception:
                raise GradcheckError(report)
            return False
    return True


def _disagree(analytic: np.ndarray, numeric: np.ndarray, atol: float, rtol: float) -> np.ndarray:
    """Where the two gradients disagree, NaN and inf included."""
    both_finite = np.isfinite(analytic) & np.isfinite(numeric)
    with np.errstate(invalid="ignore"):  # inf − inf is NaN here; those are handled below
        too_far = np.abs(analytic - numeric) > atol + rtol * np.abs(numeric)
    same_infinity = np.isinf(analytic) & (analytic == numeric)
    return np.where(both_finite, too_far, ~same_infinity)


def _as_float64(x: Any) -> Any:
    """A float64 leaf copy of a floating tensor (keeps requires_grad); others unchanged."""
    if not isinstance(x, Tensor) or x.dtype.kind != "f":
        return x
    copy = Tensor(x.data.astype("float64"))  # astype always copies
    copy.requires_grad = x.requires_grad
    return copy

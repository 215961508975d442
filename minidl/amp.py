"""Mixed precision (FORMULAS T7): float16 compute, float32 master weights, a scaled loss.

    with mdl.amp.autocast():              # dense and conv layers compute in float16;
        loss = loss_fn(model(x), y)       # softmax, cross-entropy, BCE and MSE in float32
    scaler.scale(loss).backward()         # backward of S·L: small gradients stay above
    scaler.step(optimizer)                #   float16's underflow; step divides by S first
    scaler.update()                       #   and is skipped when a gradient is inf/nan

The parameters stay float32 (the master weights): inside ``autocast`` a layer casts its
input, weight and bias down to float16 (``Cast``), and the gradients that reach the
weights are cast back up to float32. The dynamic loss scale S follows T7: a step whose
gradients hold an inf or nan is skipped and S is halved; after ``growth_interval`` clean
steps in a row S is doubled.

On NumPy this is slow, not fast: NumPy has no float16 matrix product (it converts
element by element). Use it on a GPU; on the CPU it is for learning and testing.
"""

from __future__ import annotations

import contextlib
import contextvars
import math
from collections.abc import Iterator
from typing import Any

import numpy as np

from minidl.backend import backend_of

_autocast_dtype: contextvars.ContextVar[np.dtype | None] = contextvars.ContextVar(
    "minidl_autocast", default=None
)


@contextlib.contextmanager
def autocast(dtype: str = "float16", enabled: bool = True) -> Iterator[None]:
    """Inside the block, dense and convolution layers compute in ``dtype`` (float16).

    Per thread (a context variable), like grad mode.
    """
    chosen = np.dtype(dtype)
    if chosen.kind != "f" or chosen.itemsize >= 4:
        raise ValueError(f"autocast computes in a half-precision float dtype, got {dtype!r}")
    token = _autocast_dtype.set(chosen if enabled else None)
    try:
        yield
    finally:
        _autocast_dtype.reset(token)


def autocast_dtype() -> np.dtype | None:
    """The dtype layers compute in now (float16 inside ``autocast``), or None."""
    return _autocast_dtype.get()


class GradScaler:
    """Dynamic loss scaling (FORMULAS T7), PyTorch's ``torch.amp.GradScaler`` API.

    ``scale(loss)`` returns S·loss. ``step(optimizer)`` checks the gradients once (one
    host sync per step): if any is inf or nan the step is skipped; otherwise they are
    divided by S and the optimizer steps. ``update()`` then halves S after a skipped step
    and doubles it after ``growth_interval`` clean steps in a row.
    """

    def __init__(
        self,
        init_scale: float = 2.0**16,
        growth_factor: float = 2.0,
        backoff_factor: float = 0.5,
        growth_interval: int = 2000,
    ) -> None:
        if not (math.isfinite(init_scale) and init_scale > 0):
            raise ValueError(f"GradScaler init_scale must be finite and > 0, got {init_scale!r}")
        if not growth_factor > 1 or not 0 < backoff_factor < 1:
            raise ValueError(
                "GradScaler expected growth_factor > 1 and 0 < backoff_factor < 1, got "
                f"{growth_factor!r} and {backoff_factor!r}"
            )
        if not isinstance(growth_interval, int) or growth_interval < 1:
            raise ValueError(
                f"GradScaler growth_interval must be an int >= 1, got {growth_interval!r}"
            )
        self.scale_value = float(init_scale)
        self.growth_factor, self.backoff_factor = float(growth_factor), float(backoff_factor)
        self.growth_interval = growth_interval
        self.clean_steps = 0
        self.found_inf: bool | None = None  # set by step(), read by update()

    def get_scale(self) -> float:
        return self.scale_value

    def scale(self, loss: Any) -> Any:
        """S·loss: backward of it gives S times the gradients."""
        return loss * self.scale_value

    def step(self, optimizer: Any) -> bool:
        """Unscale the gradients and step, unless one is inf/nan. True when it stepped."""
        grads = [param.grad for param in optimizer.params if param.grad is not None]
        self.found_inf = _any_not_finite(grads)
        if self.found_inf:
            return False
        for grad in grads:
            grad *= 1.0 / self.scale_value
        optimizer.step()
        return True

    def update(self) -> None:
        """Halve S after a skipped step; double it after ``growth_interval`` clean ones."""
        if self.found_inf is None:
            raise RuntimeError("GradScaler.update() must follow GradScaler.step(optimizer)")
        if self.found_inf:
            self.scale_value *= self.backoff_factor
            self.clean_steps = 0
        else:
            self.clean_steps += 1
            if self.clean_steps == self.growth_interval:
                self.scale_value *= self.growth_factor
                self.clean_steps = 0
        self.found_inf = None

    def state_dict(self) -> dict[str, float | int]:
        return {"scale": self.scale_value, "clean_steps": self.clean_steps}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        scale, clean_steps = float(state["scale"]), int(state["clean_steps"])
        if not (math.isfinite(scale) and scale > 0) or clean_steps < 0:
            raise ValueError(f"GradScaler.load_state_dict got an invalid state {state!r}")
        self.scale_value, self.clean_steps = scale, clean_steps


def _any_not_finite(grads: list[Any]) -> bool:
    """True when any gradient holds an inf or nan; one sync for all of them."""
    if not grads:
        return False
    xp = backend_of(grads[0]).xp
    flags = [xp.logical_not(xp.isfinite(grad)).any() for grad in grads]
    return bool(xp.stack(flags).any())

"""Timing steps fairly: warm-up, calibrated repeats, and interleaved rounds.

Two implementations of one workload are timed in the same process, round by round
(round r: minidl, then PyTorch; round r+1: PyTorch, then minidl, ...), so a noisy
neighbour or a CPU that changes its clock slows both alike instead of one of them.

On a GPU the work is queued, not done, when a call returns: every clock read is
preceded by the contender's ``synchronize()`` (``backend.synchronize()`` for CuPy,
``torch.cuda.synchronize()`` for PyTorch).
"""

from __future__ import annotations

import gc
import math
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from minidl.bench import seconds_per_step

try:
    import resource  # Unix only
except ImportError:
    resource = None


def _no_wait() -> None:
    """The CPU finishes its work before a call returns: nothing to wait for."""


@dataclass
class Contender:
    """One implementation of a workload on one device, ready to be timed.

    ``step()`` runs one unit of the workload (one training step, one forward pass, ...);
    ``synchronize()`` waits until the device has really finished it.
    """

    framework: str  # "minidl" or "torch"
    device: str  # "numpy", "cupy", "cpu", "cuda"
    step: Callable[[], Any]
    synchronize: Callable[[], None] = _no_wait
    samples_ms: list[float] = field(default_factory=list)
    page_faults_per_step: list[float] = field(default_factory=list)
    steps_per_sample: int = 1

    @property
    def label(self) -> str:
        return f"{self.framework}/{self.device}"


def minor_page_faults() -> int:
    """Minor page faults of this process so far (0 where the OS does not count them).

    Each is a page of memory the process touched for the first time since the OS gave
    it: a step that keeps allocating fresh memory pays for them (about a microsecond or
    more each) on top of its arithmetic.
    """
    if resource is None:
        return 0
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def time_steps(contender: Contender, steps: int) -> float:
    """Seconds per step, averaged over ``steps`` back-to-back steps (``minidl bench``'s clock)."""
    return seconds_per_step(contender.step, contender.synchronize, steps)


def time_sample(contender: Contender) -> None:
    """Take one timed sample: ms per step, and minor page faults per step alongside."""
    faults_before = minor_page_faults()
    seconds = time_steps(contender, contender.steps_per_sample)
    faults = minor_page_faults() - faults_before
    contender.samples_ms.append(seconds * 1e3)
    contender.page_faults_per_step.append(faults / contender.steps_per_sample)


def calibrate(contender: Contender, warmup_steps: int, min_sample_seconds: float) -> None:
    """Warm the contender up, then choose how many steps one timed sample holds.

    Fast steps (the autograd chain: about a millisecond) are repeated until one sample
    lasts ``min_sample_seconds``, so that the clock's resolution and one-off hiccups
    do not dominate; slow steps (a CNN step) are timed one at a time.
    """
    for _ in range(warmup_steps):
        contender.step()
    seconds = time_steps(contender, 1)
    contender.steps_per_sample = max(1, math.ceil(min_sample_seconds / max(seconds, 1e-9)))


def run_interleaved(contenders: list[Contender], rounds: int) -> None:
    """Take ``rounds`` samples of each contender, alternating their order every round.

    Garbage from one round is collected before the next, outside the clock.
    """
    for round_index in range(rounds):
        order = contenders if round_index % 2 == 0 else contenders[::-1]
        for contender in order:
            gc.collect()
            time_sample(contender)


def summarize(samples_ms: list[float]) -> dict[str, float]:
    """Median, quartiles and extremes of per-step times (ms)."""
    ordered = sorted(samples_ms)
    if len(ordered) >= 2:
        q1, _, q3 = statistics.quantiles(ordered, n=4, method="inclusive")
    else:
        q1 = q3 = ordered[0]
    return {
        "median_ms": statistics.median(ordered),
        "q1_ms": q1,
        "q3_ms": q3,
        "min_ms": ordered[0],
        "max_ms": ordered[-1],
    }

"""Peak memory of one step: the most bytes of arrays alive at once, above what lived before.

What is measured, per contender (the same quantity on both sides of a comparison):

- minidl on NumPy: ``tracemalloc``. NumPy reports every array buffer it allocates to
  tracemalloc, so the traced peak during one step is the step's working memory (saved
  activations, gradients, temporaries). Python objects (tensors, graph nodes) are
  counted too, which slightly favours PyTorch in the comparison.
- PyTorch on the CPU: ``torch.profiler`` with ``profile_memory=True`` records every
  allocation and free of PyTorch's CPU allocator; summing them in time order gives the
  live bytes, whose maximum is the peak. PyTorch's allocator does not cache on the CPU,
  so this is the same quantity as tracemalloc's.
- minidl on CuPy: a CuPy memory hook sums the bytes handed out by, and returned to,
  CuPy's memory pool (sizes rounded up to the pool's 512-byte blocks).
- PyTorch on CUDA: ``torch.cuda.max_memory_allocated()`` (bytes handed out by its
  caching allocator, also rounded to 512-byte blocks).

Parameters and optimizer state that exist before the step are not counted on either
side: the step being measured is a warm one, after the first.
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable
from typing import Any

MemoryReport = dict[str, Any]


def _not_measured(reason: str) -> MemoryReport:
    return {"peak_bytes": None, "method": None, "note": reason}


def numpy_peak(step: Callable[[], Any]) -> MemoryReport:
    """Peak bytes traced by tracemalloc during one call of ``step``."""
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    try:
        baseline, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        step()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        if not was_tracing:
            tracemalloc.stop()
    return {"peak_bytes": peak - baseline, "method": "tracemalloc", "note": None}


def cupy_peak(step: Callable[[], Any], synchronize: Callable[[], None]) -> MemoryReport:
    """Peak bytes taken from CuPy's memory pool during one call of ``step``."""
    try:
        import cupy
    except ImportError:
        return _not_measured("CuPy is not importable")

    class PoolUsage(cupy.cuda.MemoryHook):
        """Counts the live bytes handed out by the pool (by pointer, to pair frees)."""

        name = "minidl_bench_pool_usage"

        def __init__(self) -> None:
            self.live: dict[int, int] = {}
            self.current = 0
            self.peak = 0

        def malloc_postprocess(self, **kwargs: Any) -> None:
            self.live[kwargs["mem_ptr"]] = kwargs["mem_size"]
            self.current += kwargs["mem_size"]
            self.peak = max(self.peak, self.current)

        def free_postprocess(self, **kwargs: Any) -> None:
            self.current -= self.live.pop(kwargs["mem_ptr"], 0)

    synchronize()
    hook = PoolUsage()
    with hook:
        step()
        synchronize()
    return {"peak_bytes": hook.peak, "method": "cupy MemoryHook (pool malloc/free)", "note": None}


def torch_cpu_peak(step: Callable[[], Any]) -> MemoryReport:
    """Peak live bytes of PyTorch's CPU allocator during one call of ``step``."""
    from torch.profiler import ProfilerActivity, profile

    try:
        with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as profiler:
            step()
        events = [
            event
            for event in profiler.profiler.kineto_results.events()
            if event.name() == "[memory]"
        ]
    except Exception as error:  # the profiler's internals change between versions
        return _not_measured(f"torch.profiler memory events unavailable: {error}")
    events.sort(key=lambda event: event.start_ns())
    live = peak = 0
    for event in events:
        live += event.nbytes()
        peak = max(peak, live)
    return {
        "peak_bytes": peak,
        "method": "torch.profiler profile_memory (allocator events)",
        "note": None,
    }


def torch_cuda_peak(step: Callable[[], Any]) -> MemoryReport:
    """Peak bytes of PyTorch's CUDA caching allocator during one call of ``step``."""
    import torch

    torch.cuda.synchronize()
    baseline = torch.cuda.memory_allocated()
    torch.cuda.reset_peak_memory_stats()
    step()
    torch.cuda.synchronize()
    return {
        "peak_bytes": torch.cuda.max_memory_allocated() - baseline,
        "method": "torch.cuda.max_memory_allocated",
        "note": None,
    }


def peak_memory(
    framework: str, device: str, step: Callable[[], Any], synchronize: Callable[[], None]
) -> MemoryReport:
    """The peak memory of one step of a contender, measured the way its device allows."""
    try:
        if framework == "minidl" and device == "numpy":
            return numpy_peak(step)
        if framework == "minidl" and device == "cupy":
            return cupy_peak(step, synchronize)
        if framework == "torch" and device == "cpu":
            return torch_cpu_peak(step)
        if framework == "torch" and device == "cuda":
            return torch_cuda_peak(step)
    except Exception as error:
        return _not_measured(f"measuring failed: {type(error).__name__}: {error}")
    return _not_measured(f"no fair way to measure {framework} on {device}")

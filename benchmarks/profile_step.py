"""Profile one workload's step: where minidl's time goes, and PyTorch's for comparison.

    python benchmarks/profile_step.py a-mlp-train-b64            # cProfile of minidl's step
    python benchmarks/profile_step.py b-cnn-train-b64 --torch    # and torch.profiler's ops
    python benchmarks/profile_step.py f --steps 200 --top 25

minidl's time is shown per Python function (cProfile, sorted by own time); PyTorch's per
ATen op (torch.profiler, sorted by self CPU time). Run on a quiet machine.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the checkout's packages

from benchmarks.workloads import select_cases  # noqa: E402
from minidl.backend import tune_malloc  # noqa: E402


def steady_ms(step, steps: int) -> float:
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return (time.perf_counter() - start) / steps * 1e3


def profile_minidl(case, steps: int, top: int) -> None:
    prepared = case.build_minidl("numpy")
    for _ in range(3):
        prepared.step()
    print(f"minidl/numpy {case.key}: {steady_ms(prepared.step, steps):.3f} ms/step unprofiled")
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(steps):
        prepared.step()
    profiler.disable()
    pstats.Stats(profiler).sort_stats("tottime").print_stats(top)


def profile_torch(case, steps: int, top: int) -> None:
    import torch
    from torch.profiler import ProfilerActivity, profile

    from benchmarks.harness.machine import blas_info

    torch.set_num_threads(blas_info()["threads"] or 1)
    prepared = case.build_torch("cpu")
    for _ in range(3):
        prepared.step()
    print(f"torch/cpu {case.key}: {steady_ms(prepared.step, steps):.3f} ms/step unprofiled")
    with profile(activities=[ProfilerActivity.CPU]) as profiler:
        for _ in range(steps):
            prepared.step()
    print(profiler.key_averages().table(sort_by="self_cpu_time_total", row_limit=top))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workload", help="a case key or group letter (the first case of it)")
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--top", type=int, default=20)
    parser.add_argument("--torch", action="store_true", help="profile PyTorch's step too")
    args = parser.parse_args()
    tune_malloc()  # as benchmarks/run.py and minidl train do
    case = select_cases(args.workload, quick=False)[0]
    profile_minidl(case, args.steps, args.top)
    if args.torch and case.build_torch is not None:
        profile_torch(case, args.steps, args.top)


if __name__ == "__main__":
    main()

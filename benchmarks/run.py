"""The comparison of minidl with PyTorch, from a checkout: ``python benchmarks/run.py``.

    python benchmarks/run.py                     everything, every backend, vs PyTorch if installed
    python benchmarks/run.py --quick             under a minute: few rounds, the biggest case skipped
    python benchmarks/run.py --workloads a,f --backends numpy --rounds 20 --out /tmp/r --no-torch

It times the workloads of ``benchmarks/workloads/`` for minidl on every backend and for
PyTorch from the same weights and data, interleaved, and measures peak memory and
GFLOP/s against this machine's GEMM peak; it prints a table and writes a JSON file to
``benchmarks/results/``. benchmarks/README.md says how each number is measured. The
installed ``minidl bench`` is the small, PyTorch-free version of the same timing.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import asdict, replace
from datetime import datetime
from pathlib import Path
from typing import Any

REPOSITORY = Path(__file__).resolve().parent.parent
if __name__ == "__main__":  # run as a script: the checkout's minidl and benchmarks package
    sys.path.insert(0, str(REPOSITORY))

from benchmarks.harness import machine, report  # noqa: E402
from benchmarks.harness.suite import (  # noqa: E402
    FULL,
    QUICK,
    Settings,
    measure_case,
    measure_case_in_fresh_process,
    torch_devices,
)
from benchmarks.workloads import GROUPS, select_cases  # noqa: E402
from minidl import backend as backends  # noqa: E402

DEFAULT_OUT = REPOSITORY / "benchmarks" / "results"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    groups = "; ".join(f"{letter}: {text}" for letter, text in GROUPS.items())
    parser = argparse.ArgumentParser(
        prog="python benchmarks/run.py",
        description="Time minidl's workloads on every backend, side by side with PyTorch.",
        epilog=f"workload groups: {groups}",
    )
    parser.add_argument(
        "--quick", action="store_true", help="few rounds, skip the biggest cases (under a minute)"
    )
    parser.add_argument(
        "--workloads", help="comma-separated group letters or case keys (default: all)"
    )
    parser.add_argument(
        "--backends", help="comma-separated minidl backends (default: all available)"
    )
    parser.add_argument(
        "--rounds", type=int, help="timed rounds per case (default 15; 3 with --quick)"
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT,
        help=f"folder for the JSON file (default {DEFAULT_OUT})",
    )
    parser.add_argument("--no-torch", action="store_true", help="do not compare with PyTorch")
    parser.add_argument("--label", help="a word for the result file's name, e.g. the variant run")
    parser.add_argument(
        "--same-process",
        action="store_true",
        help="measure every case in this process (default: a fresh process per case)",
    )
    parser.add_argument(
        "--no-memory", action="store_true", help="skip the peak-memory measurements"
    )
    return parser.parse_args(argv)


def chosen_backends(requested: str | None) -> list[str]:
    available = backends.available()
    if requested is None:
        return available
    names = [name.strip() for name in requested.split(",") if name.strip()]
    missing = [name for name in names if name not in available]
    if missing:
        raise SystemExit(
            f"benchmarks/run.py: backend(s) {', '.join(missing)} not available here "
            f"(available: {', '.join(available)})"
        )
    return names


def gemm_size(settings: Settings, backend_name: str) -> int:
    """The matrix size for the GEMM peak: a GPU needs a bigger product than a CPU to be busy."""
    return settings.gemm_size if backend_name == "numpy" else 4 * settings.gemm_size


def set_up_torch(use_torch: bool, blas_threads: int | None) -> dict[str, Any]:
    """Import PyTorch if wanted and present; give it as many threads as NumPy's BLAS has."""
    if not use_torch:
        return {"used": False, "reason": "--no-torch"}
    try:
        import torch
    except ImportError:
        return {"used": False, "reason": "PyTorch is not installed"}
    if blas_threads:
        torch.set_num_threads(blas_threads)
    return {"used": True, "threads": torch.get_num_threads()}


def main(argv: list[str] | None = None) -> int:
    """Run the suite, print the table and write the JSON file; returns the exit status."""
    args = parse_args(argv)
    # Every process of the suite reuses freed memory, as `minidl train` does (see
    # docs/backends.md); the fresh process of each case turns it on again.
    malloc_tuned = backends.tune_malloc()
    settings = QUICK if args.quick else FULL
    if args.rounds:
        settings = replace(settings, rounds=args.rounds)
    if args.no_memory:
        settings = replace(settings, measure_memory=False)
    try:
        cases = select_cases(args.workloads, args.quick)
    except ValueError as error:
        print(f"benchmarks/run.py: {error}")
        return 2
    backend_names = chosen_backends(args.backends)
    started, when = time.perf_counter(), datetime.now()

    info = machine.machine_info()
    load_at_start = machine.load_average()
    if load_at_start and load_at_start[0] > (info["cpu_cores"] or 1):
        print(
            f"benchmarks/run.py: warning: load average {load_at_start[0]} is above the "
            f"{info['cpu_cores']} cores: other processes compete for the CPU, timings will be noisy"
        )
    torch_state = set_up_torch(not args.no_torch, info["blas"].get("threads"))
    devices = torch_devices(backend_names) if torch_state["used"] else []
    print(
        f"benchmarks/run.py: {len(cases)} case(s) on {', '.join(backend_names)}"
        + (f" vs torch on {', '.join(devices)}" if devices else " (no PyTorch comparison)")
    )

    gemm_peak = {
        name: machine.gemm_peak_gflops(name, gemm_size(settings, name), settings.gemm_repeats)
        for name in backend_names
    }
    torch_gemm = {
        device: machine.torch_gemm_gflops(
            device,
            gemm_size(settings, "numpy" if device == "cpu" else "cupy"),
            settings.gemm_repeats,
        )
        for device in devices
    }
    peaks = {name: peak["gflops"] for name, peak in gemm_peak.items()}
    measured = []
    for case in cases:
        print(f"  {case.key}: {case.title} ...", flush=True)
        if args.same_process:
            measured.append(measure_case(case, backend_names, devices, settings, peaks))
        else:
            measured.append(
                measure_case_in_fresh_process(
                    case.key, backend_names, devices, settings, peaks, torch_state.get("threads")
                )
            )

    # The peak again at the end: another process busy during one of the two measurements
    # would make the peak too low and every "% of peak" too high; the better one is kept.
    for name in backend_names:
        again = machine.gemm_peak_gflops(name, gemm_size(settings, name), settings.gemm_repeats)
        gemm_peak[name]["gflops_at_start"] = gemm_peak[name]["gflops"]
        gemm_peak[name]["gflops_at_end"] = again["gflops"]
        if again["gflops"] > gemm_peak[name]["gflops"]:
            gemm_peak[name].update(best_ms=again["best_ms"], gflops=again["gflops"])
            for case in measured:
                rescale_peak_fraction(case, name, again["gflops"])

    results = {
        "format": "minidl-bench/1",
        "date": when.isoformat(timespec="seconds"),
        "command": "python benchmarks/run.py " + " ".join(argv if argv is not None else []),
        "settings": {
            **asdict(settings),
            "quick": args.quick,
            "backends": backend_names,
            "torch_devices": devices,
            "isolation": "one process" if args.same_process else "a fresh process per case",
            "label": args.label,
            "malloc_tuned": malloc_tuned,
        },
        "machine": info,
        "threads": {"numpy_blas": info["blas"].get("threads"), "torch": torch_state.get("threads")},
        "torch": torch_state,
        "gemm_peak": gemm_peak,
        "torch_gemm": torch_gemm,
        "memory_method": report_memory_method(),
        "cases": measured,
        "elapsed_seconds": None,
        "load_average": {"start": load_at_start, "end": machine.load_average()},
    }
    results["elapsed_seconds"] = round(time.perf_counter() - started, 1)
    path = report.write_json(results, args.out, when)
    print()
    print(report.machine_summary(results))
    print()
    print(report.terminal_table(results))
    errors = report.errors_summary(results)
    if errors:
        print("\nNot measured:\n" + errors)
    summary = report.targets_summary(results)
    if summary:
        print("\nGoals (minidl/numpy vs torch/cpu):\n" + summary)
    print(f"\nwrote {path} ({results['elapsed_seconds']} s)")
    return 0


def rescale_peak_fraction(case: dict[str, Any], backend_name: str, peak_gflops: float) -> None:
    """Recompute "% of peak" of a measured case against a better peak of ``backend_name``."""
    peak_key = "numpy" if backend_name == "numpy" else "cupy"
    for contender in case["contenders"]:
        uses_this_peak = (contender["device"] in ("cupy", "cuda")) == (peak_key == "cupy")
        if contender["gflops"] and uses_this_peak:
            contender["peak_fraction"] = contender["gflops"] / peak_gflops
    for target in case["targets"]:
        if target["measure"] == "peak_fraction":
            numpy_result = next(c for c in case["contenders"] if c["label"] == "minidl/numpy")
            target["value"] = numpy_result["peak_fraction"]
            goal = float(target["goal"].split()[1])
            target["met"] = target["value"] >= goal


def report_memory_method() -> str:
    from benchmarks.harness import memory

    return (memory.__doc__ or "").strip()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""The benchmark suite behind ``minidl bench``: minidl's workloads timed on every backend,
side by side with PyTorch (when installed) from the same weights and data.

    from minidl.bench import main
    main(["--quick"])            # the same as `minidl bench --quick`

    cli.py            flags, the run from start to end
    cases.py          the list of workloads (a–f)
    workload_*.py     each workload, minidl and PyTorch side by side
    workloads.py      what a workload is, and helpers they share
    suite.py          building contenders, interleaved timing, ratios and goals
    timing.py         warm-up, calibration, interleaved rounds, statistics
    memory.py         peak memory of one step (tracemalloc, torch.profiler, ...)
    machine.py        machine info, thread counts, the measured GEMM peak
    flops.py          FLOPs of GEMMs and convolutions, counted from shapes
    report.py         the terminal table, the Markdown table and the JSON file
"""

from __future__ import annotations


def main(argv: list[str] | None = None) -> int:
    """Run the suite with command-line arguments ``argv``; returns the exit status."""
    from minidl.bench.cli import main as run

    return run(argv)


__all__ = ["main"]

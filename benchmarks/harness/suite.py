"""Running the suite: build every contender of a case, time them interleaved, measure.

For each case the contenders are minidl on every selected backend and, unless
``--no-torch`` or PyTorch is missing, PyTorch on the matching devices (NumPy ↔ CPU,
CuPy ↔ CUDA). Each is built from the same data and weights, warmed up, calibrated, then
all are timed round by round in one process. Afterwards one more step of each runs under
a memory tracer (outside the clock).
"""

from __future__ import annotations

import multiprocessing
import statistics
import traceback
from dataclasses import dataclass
from typing import Any

from benchmarks.harness.case import Case
from benchmarks.harness.memory import peak_memory
from benchmarks.harness.timing import Contender, calibrate, run_interleaved, summarize

TORCH_DEVICE_FOR = {"numpy": "cpu", "cupy": "cuda"}


@dataclass(frozen=True)
class Settings:
    """How hard to measure: rounds, warm-up steps and the shortest timed sample."""

    rounds: int
    warmup_steps: int
    min_sample_seconds: float
    gemm_size: int
    gemm_repeats: int
    measure_memory: bool = True


QUICK = Settings(rounds=3, warmup_steps=1, min_sample_seconds=0.02, gemm_size=1024, gemm_repeats=3)
FULL = Settings(rounds=15, warmup_steps=3, min_sample_seconds=0.2, gemm_size=2048, gemm_repeats=10)


def torch_devices(backend_names: list[str]) -> list[str]:
    """The PyTorch devices that pair with the selected minidl backends and exist here."""
    import torch

    devices = []
    for name in backend_names:
        device = TORCH_DEVICE_FOR.get(name)
        if device == "cpu" or (device == "cuda" and torch.cuda.is_available()):
            devices.append(device)
    return devices


def build_contenders(
    case: Case, backend_names: list[str], devices: list[str]
) -> tuple[list[Contender], dict[str, Any], list[str]]:
    """Every contender of ``case`` that could be built, their check values, and failures."""
    contenders, checks, errors = [], {}, []
    builds = [("minidl", name, case.build_minidl) for name in backend_names]
    if case.build_torch is not None:
        builds += [("torch", device, case.build_torch) for device in devices]
    for framework, device, build in builds:
        label = f"{framework}/{device}"
        try:
            prepared = build(device)
        except Exception as error:
            errors.append(f"{label}: could not be built: {type(error).__name__}: {error}")
            errors.append(traceback.format_exc(limit=-3))
            continue
        contenders.append(Contender(framework, device, prepared.step, prepared.synchronize))
        checks[label] = prepared.check
    return contenders, checks, errors


def measure_case(
    case: Case,
    backend_names: list[str],
    devices: list[str],
    settings: Settings,
    gemm_peaks: dict[str, float],
) -> dict[str, Any]:
    """Time, and measure the memory of, every contender of one case."""
    contenders, checks, errors = build_contenders(case, backend_names, devices)
    runnable = []
    for contender in contenders:
        try:
            calibrate(contender, settings.warmup_steps, settings.min_sample_seconds)
            runnable.append(contender)
        except Exception as error:
            errors.append(
                f"{contender.label}: failed while warming up: {type(error).__name__}: {error}"
            )
    run_interleaved(runnable, settings.rounds)
    results = []
    for contender in runnable:
        stats = summarize(contender.samples_ms)
        peak_key = "cupy" if contender.device in ("cupy", "cuda") else "numpy"
        gflops = case.flops / (stats["median_ms"] * 1e-3) / 1e9 if case.flops else None
        peak = gemm_peaks.get(peak_key)
        memory = (
            peak_memory(
                contender.framework, contender.device, contender.step, contender.synchronize
            )
            if settings.measure_memory
            else {"peak_bytes": None, "method": None, "note": "not measured (disabled)"}
        )
        results.append(
            {
                "framework": contender.framework,
                "device": contender.device,
                "label": contender.label,
                "steps_per_sample": contender.steps_per_sample,
                "samples_ms": contender.samples_ms,
                "stats": stats,
                "page_faults_per_step": statistics.median(contender.page_faults_per_step),
                "gflops": gflops,
                "peak_fraction": gflops / peak if gflops and peak else None,
                "peak_reference": f"{peak_key} float32 GEMM" if gflops and peak else None,
                "memory": memory,
                "check": checks.get(contender.label),
            }
        )
    return {
        "key": case.key,
        "group": case.group,
        "title": case.title,
        "note": case.note,
        "flops_per_step": case.flops,
        "contenders": results,
        "comparisons": compare(results, case.memory_comparable),
        "targets": check_targets(case, results),
        "errors": errors,
    }


def measure_case_in_fresh_process(
    case_key: str,
    backend_names: list[str],
    devices: list[str],
    settings: Settings,
    gemm_peaks: dict[str, float],
    torch_threads: int | None,
) -> dict[str, Any]:
    """``measure_case`` in a new Python interpreter, started for this case alone.

    What a step costs depends on the process's history: glibc's allocator raises its
    thresholds for returning memory to the OS after large frees, so a case measured after
    other cases can skip page faults that a fresh ``minidl train`` process pays for. A
    fresh process per case measures every case as a user's program would run it.
    """
    context = multiprocessing.get_context("spawn")
    with context.Pool(1) as pool:
        return pool.apply(
            _measure_case_by_key,
            (case_key, backend_names, devices, settings, gemm_peaks, torch_threads),
        )


def _measure_case_by_key(
    case_key: str,
    backend_names: list[str],
    devices: list[str],
    settings: Settings,
    gemm_peaks: dict[str, float],
    torch_threads: int | None,
) -> dict[str, Any]:
    from benchmarks.workloads import all_cases
    from minidl.backend import tune_malloc

    tune_malloc()  # as in the parent process: a fresh process starts with glibc's defaults
    if devices and torch_threads:
        import torch

        torch.set_num_threads(torch_threads)
    case = next(case for case in all_cases() if case.key == case_key)
    return measure_case(case, backend_names, devices, settings, gemm_peaks)


def compare(results: list[dict[str, Any]], memory_comparable: bool = True) -> list[dict[str, Any]]:
    """minidl vs PyTorch on the same kind of device: time and memory ratios, check agreement."""
    by_label = {result["label"]: result for result in results}
    comparisons = []
    for backend_name, device in TORCH_DEVICE_FOR.items():
        ours, theirs = by_label.get(f"minidl/{backend_name}"), by_label.get(f"torch/{device}")
        if ours is None or theirs is None:
            continue
        our_memory, their_memory = ours["memory"]["peak_bytes"], theirs["memory"]["peak_bytes"]
        check_difference = None
        if ours["check"] is not None and theirs["check"] is not None:
            scale = max(abs(theirs["check"]), 1e-12)
            check_difference = abs(ours["check"] - theirs["check"]) / scale
        comparisons.append(
            {
                "minidl": ours["label"],
                "torch": theirs["label"],
                "ratio": ours["stats"]["median_ms"] / theirs["stats"]["median_ms"],
                "memory_ratio": (
                    our_memory / their_memory
                    if memory_comparable and our_memory and their_memory
                    else None
                ),
                "check_relative_difference": check_difference,
            }
        )
    return comparisons


def check_targets(case: Case, results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """How each of the case's goals fared on the CPU (minidl/numpy vs torch/cpu)."""
    outcomes = []
    comparisons = compare(results, case.memory_comparable)
    cpu_comparison = next((c for c in comparisons if c["minidl"] == "minidl/numpy"), None)
    numpy_result = next((r for r in results if r["label"] == "minidl/numpy"), None)
    for measure, (operator, goal) in case.targets.items():
        if measure == "peak_fraction":
            value = numpy_result["peak_fraction"] if numpy_result else None
        else:
            value = cpu_comparison[measure] if cpu_comparison else None
        met = None if value is None else (value <= goal if operator == "<=" else value >= goal)
        outcomes.append(
            {"measure": measure, "goal": f"{operator} {goal}", "value": value, "met": met}
        )
    return outcomes

"""Showing results: a table for the terminal, summaries, and the JSON file."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

COLUMNS = (
    "workload", "impl", "median ms", "IQR ms", "min–max ms",
    "× torch", "GFLOP/s", "% peak", "peak MiB", "mem × torch", "faults/step",
)  # fmt: skip


def _number(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _comparison_for(case: dict[str, Any], label: str) -> dict[str, Any] | None:
    return next((c for c in case["comparisons"] if c["minidl"] == label), None)


def table_rows(results: dict[str, Any]) -> list[list[str]]:
    """One row per contender of every case, as strings, in the order of COLUMNS."""
    rows = []
    for case in results["cases"]:
        for contender in case["contenders"]:
            stats, memory = contender["stats"], contender["memory"]
            comparison = _comparison_for(case, contender["label"]) or {}
            peak_bytes = memory["peak_bytes"]
            rows.append(
                [
                    case["key"],
                    contender["label"],
                    _number(stats["median_ms"], 3),
                    f"{stats['q1_ms']:.3f}–{stats['q3_ms']:.3f}",
                    f"{stats['min_ms']:.3f}–{stats['max_ms']:.3f}",
                    _number(comparison.get("ratio")),
                    _number(contender["gflops"], 1),
                    _number(
                        100 * contender["peak_fraction"] if contender["peak_fraction"] else None, 1
                    ),
                    _number(peak_bytes / 2**20 if peak_bytes is not None else None, 2),
                    _number(comparison.get("memory_ratio")),
                    _number(contender.get("page_faults_per_step"), 0),
                ]
            )
    return rows


def errors_summary(results: dict[str, Any]) -> str:
    """The contenders that could not be built or run, one line each (tracebacks in the JSON)."""
    return "\n".join(
        f"{case['key']}: {error}"
        for case in results["cases"]
        for error in case["errors"]
        if not error.startswith("Traceback")
    )


def terminal_table(results: dict[str, Any]) -> str:
    """The results as aligned plain-text columns."""
    rows = [list(COLUMNS), *table_rows(results)]
    widths = [max(len(row[i]) for row in rows if len(row) > i) for i in range(len(COLUMNS))]
    lines = []
    for index, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
        if index == 0:
            lines.append("  ".join("-" * width for width in widths))
    return "\n".join(lines)


def targets_summary(results: dict[str, Any]) -> str:
    """One line per goal from the issue: the value reached and whether it meets the goal."""
    lines = []
    for case in results["cases"]:
        for target in case["targets"]:
            verdict = {True: "met", False: "NOT met", None: "not measured"}[target["met"]]
            value = _number(target["value"], 3)
            lines.append(
                f"{case['key']}: {target['measure']} {target['goal']} -> {value} ({verdict})"
            )
    return "\n".join(lines)


def machine_summary(results: dict[str, Any]) -> str:
    """A few lines naming the machine, the libraries, threads and the GEMM peaks."""
    machine, settings = results["machine"], results["settings"]
    versions = machine["versions"]
    lines = [
        f"CPU: {machine['cpu_model']} ({machine['cpu_cores']} cores); GPU: {', '.join(machine['gpus']) or 'none'}",
        "Python {python}, NumPy {numpy}, CuPy {cupy}, PyTorch {torch}, minidl {minidl}".format(
            **versions
        ),
        f"BLAS: {machine['blas'].get('name')} {machine['blas'].get('version')} "
        f"({machine['blas'].get('architecture') or '?'} kernels), {machine['blas'].get('threads')} threads; "
        f"torch threads: {results['threads'].get('torch')}",
    ]
    for peak in results["gemm_peak"].values():
        lines.append(
            f"GEMM peak ({peak['backend']}, float32 {peak['size']}²): {peak['gflops']:.1f} GFLOP/s"
        )
    for peak in results.get("torch_gemm", {}).values():
        lines.append(
            f"  for context, torch/{peak['device']} GEMM {peak['size']}²: {peak['gflops']:.1f} GFLOP/s"
        )
    load = results.get("load_average", {})
    lines.append(f"load average (1, 5, 15 min): start {load.get('start')}, end {load.get('end')}")
    lines.append(
        f"rounds {settings['rounds']}, warm-up {settings['warmup_steps']}, "
        f"min sample {settings['min_sample_seconds']} s, quick={settings['quick']}"
    )
    return "\n".join(lines)


def result_filename(results: dict[str, Any], when: datetime) -> str:
    """``<cpu-or-gpu>-<cores>c-<date>[-quick][-label].json``: sorted by machine, then date.

    ``--label`` names a variant run (e.g. one under tuning environment variables, which
    the file lists in ``machine.environment``).
    """
    machine = results["machine"]
    device = machine["gpus"][0] if machine["gpus"] else machine["cpu_model"]
    slug = re.sub(r"[^a-z0-9]+", "-", device.lower()).strip("-") or "machine"
    suffix = "-quick" if results["settings"]["quick"] else ""
    label = re.sub(r"[^a-z0-9]+", "-", (results["settings"].get("label") or "").lower()).strip("-")
    if label:
        suffix += f"-{label}"
    return f"{slug}-{machine['cpu_cores']}c-{when:%Y%m%d-%H%M%S}{suffix}.json"


def write_json(results: dict[str, Any], out_dir: Path, when: datetime) -> Path:
    """Write ``results`` into ``out_dir`` (created if needed); returns the file's path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / result_filename(results, when)
    path.write_text(json.dumps(results, indent=1, sort_keys=False) + "\n", encoding="utf-8")
    return path

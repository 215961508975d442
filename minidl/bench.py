"""``minidl bench``: how fast minidl trains the documents' networks on this machine.

    minidl bench                                  every network, every available backend
    minidl bench --quick                          fewer, shorter rounds (seconds)
    minidl bench --backends numpy --rounds 20 --workloads mlp-train-b64,cnn-train-b64

A workload is one training step of a network (forward, loss, backward, optimizer step)
on a fixed random batch, or one forward pass under ``no_grad``. Each is warmed up, then
timed in rounds; a round runs enough steps to last ``--min-seconds``, so that the
clock's resolution does not matter. The table shows the median milliseconds per step
over the rounds and their range, and, with several backends, each one's time as a
multiple of NumPy's. On a GPU every clock read waits for the device first.

The comparison with PyTorch on the same weights and data, peak memory, GFLOP/s against
the machine's GEMM peak, profiles and result files live in ``benchmarks/`` in the
repository (see benchmarks/README.md); they build on the pieces here.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

import minidl as mdl
from minidl import backend as backends
from minidl import nn, recipes


@dataclass(frozen=True)
class Workload:
    """One thing to time: ``build(backend_name)`` returns the step to call repeatedly."""

    name: str
    title: str
    build: Callable[[str], Callable[[], object]]
    quick: bool = True  # run by --quick


def random_batch(
    seed: int, shape: tuple[int, ...], classes: int | None = None
) -> tuple[np.ndarray, np.ndarray | None]:
    """Standard-normal float32 inputs of ``shape`` and, if asked, int64 class labels."""
    rng = np.random.default_rng(seed)
    inputs = rng.standard_normal(shape, dtype=np.float32)
    labels = rng.integers(0, classes, size=shape[0]) if classes else None
    return inputs, labels


def training_step(model: nn.Module, optimizer, loss_fn, x: mdl.Tensor, y: mdl.Tensor):
    """The step every training workload times: zero_grad, forward, loss, backward, update."""

    def step() -> None:
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()

    return step


def classifier_training(make_model, make_optimizer, batch: int, sample_shape: tuple[int, ...]):
    """A workload builder: ``make_model()`` trained with cross-entropy on 10 classes."""

    def build(backend_name: str) -> Callable[[], None]:
        mdl.manual_seed(0)
        model = make_model().to(backend_name)
        inputs, labels = random_batch(batch, (batch, *sample_shape), classes=10)
        x, y = mdl.tensor(inputs, device=backend_name), mdl.tensor(labels, device=backend_name)
        loss_fn = nn.CrossEntropyLoss()
        return training_step(model, make_optimizer(model.parameters()), loss_fn, x, y)

    return build


def inference(make_model, batch: int, sample_shape: tuple[int, ...]):
    """A workload builder: ``make_model()``'s forward pass alone, in eval mode, no graph."""

    def build(backend_name: str) -> Callable[[], mdl.Tensor]:
        mdl.manual_seed(0)
        model = make_model().to(backend_name).eval()
        x = mdl.tensor(random_batch(batch, (batch, *sample_shape))[0], device=backend_name)

        def step() -> mdl.Tensor:
            with mdl.no_grad():
                return model(x)

        return step

    return build


MNIST_IMAGE = (1, 28, 28)
WORKLOADS = [
    Workload(
        "mlp-train-b64",
        "X3 MLP 784-128-64-10, Momentum, training step, batch 64",
        classifier_training(recipes.x3_mlp, recipes.x3_optimizer, 64, (784,)),
    ),
    Workload(
        "mlp-train-b512",
        "X3 MLP, training step, batch 512",
        classifier_training(recipes.x3_mlp, recipes.x3_optimizer, 512, (784,)),
    ),
    Workload(
        "cnn-train-b64",
        "CNN conv32-conv64-dense128 on 28x28, Adam, training step, batch 64",
        classifier_training(recipes.small_cnn, recipes.small_cnn_optimizer, 64, MNIST_IMAGE),
    ),
    Workload(
        "cnn-train-b256",
        "CNN, training step, batch 256 (where a GPU pulls ahead)",
        classifier_training(recipes.small_cnn, recipes.small_cnn_optimizer, 256, MNIST_IMAGE),
        quick=False,
    ),
    Workload(
        "mlp-infer-b4096",
        "X3 MLP, forward under no_grad, batch 4096",
        inference(recipes.x3_mlp, 4096, (784,)),
    ),
]


# --------------------------------------------------------------------------- timing


def seconds_per_step(step: Callable[[], object], synchronize: Callable[[], None], steps: int):
    """Seconds per step over ``steps`` back-to-back steps, the device's queue drained."""
    synchronize()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    synchronize()
    return (time.perf_counter() - start) / steps


def time_rounds(
    step: Callable[[], object],
    synchronize: Callable[[], None],
    rounds: int,
    min_seconds: float,
    warmup_steps: int = 2,
) -> list[float]:
    """Milliseconds per step, one number per round.

    The first steps are slower (optimizer state is created, memory is mapped, a GPU
    compiles its kernels): they run before the clock starts. A round holds as many steps
    as make it last ``min_seconds``.
    """
    for _ in range(warmup_steps):
        step()
    steps = max(1, math.ceil(min_seconds / max(seconds_per_step(step, synchronize, 1), 1e-9)))
    return [seconds_per_step(step, synchronize, steps) * 1e3 for _ in range(rounds)]


@dataclass
class Result:
    workload: str
    backend: str
    samples_ms: list[float]

    @property
    def median_ms(self) -> float:
        return statistics.median(self.samples_ms)


def run(
    workloads: list[Workload], backend_names: list[str], rounds: int, min_seconds: float
) -> list[Result]:
    """Time every workload on every backend; one Result per pair, in that order."""
    results = []
    for workload in workloads:
        for name in backend_names:
            step = workload.build(name)
            synchronize = backends.get(name).synchronize
            results.append(
                Result(workload.name, name, time_rounds(step, synchronize, rounds, min_seconds))
            )
    return results


# --------------------------------------------------------------------------- command line


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="minidl bench",
        description="Time the documents' networks on every available minidl backend.",
        epilog="workloads: " + "; ".join(f"{w.name}: {w.title}" for w in WORKLOADS),
    )
    parser.add_argument("--quick", action="store_true", help="3 short rounds, skip cnn-train-b256")
    parser.add_argument("--workloads", help="comma-separated workload names (default: all)")
    parser.add_argument("--backends", help="comma-separated backends (default: all available)")
    parser.add_argument(
        "--rounds", type=int, help="timed rounds per workload (default 10; 3 with --quick)"
    )
    parser.add_argument(
        "--min-seconds",
        type=float,
        help="shortest round in seconds (default 0.2; 0.02 with --quick)",
    )
    return parser.parse_args(argv)


def choose(requested: str | None, known: list[str], what: str, default: list[str]) -> list[str]:
    """The comma-separated names in ``requested`` (all of ``default`` when None); a
    ValueError names the unknown ones and the choices."""
    if requested is None:
        return default
    names = [name.strip() for name in requested.split(",") if name.strip()]
    unknown = [name for name in names if name not in known]
    if unknown or not names:
        raise ValueError(
            f"unknown {what} {', '.join(unknown) or repr(requested)}; choose from {', '.join(known)}"
        )
    return names


def table(results: list[Result]) -> str:
    """Aligned columns: workload, backend, median and range in ms, and × numpy."""
    numpy_ms = {r.workload: r.median_ms for r in results if r.backend == "numpy"}
    several = len({r.backend for r in results}) > 1
    rows = [["workload", "backend", "median ms", "min-max ms"] + (["x numpy"] if several else [])]
    for r in results:
        row = [
            r.workload,
            r.backend,
            f"{r.median_ms:.3f}",
            f"{min(r.samples_ms):.3f}-{max(r.samples_ms):.3f}",
        ]
        if several:
            reference = numpy_ms.get(r.workload)
            row.append(f"{r.median_ms / reference:.2f}" if reference else "-")
        rows.append(row)
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """``minidl bench [flags]``: run, print the table; returns the exit status."""
    args = parse_args(argv)
    available = backends.available()
    missing = backends.unavailable()
    try:
        default = [w.name for w in WORKLOADS if w.quick or not args.quick]
        chosen = choose(args.workloads, [w.name for w in WORKLOADS], "workload(s)", default)
        backend_names = choose(args.backends, available, "or unavailable backend(s)", available)
    except ValueError as error:
        print(f"minidl bench: {error}")
        for name, reason in missing.items():
            print(f"  {name} is unavailable: {reason}")
        return 2
    for name, reason in missing.items():  # say why a backend is not measured
        print(f"{name}: not measured ({reason})")
    rounds = args.rounds or (3 if args.quick else 10)
    min_seconds = (
        args.min_seconds if args.min_seconds is not None else (0.02 if args.quick else 0.2)
    )
    print(
        f"minidl {mdl.__version__}, NumPy {np.__version__}; "
        + ", ".join(f"{name}: {backends.get(name).device_name()}" for name in backend_names)
    )
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    if load is not None:  # a load above the core count means other programs took CPU time
        print(
            f"load average {load:.2f} on {os.cpu_count()} cores; {rounds} rounds of >= {min_seconds} s"
        )
    workloads = [w for w in WORKLOADS if w.name in chosen]
    print(table(run(workloads, backend_names, rounds, min_seconds)))
    return 0

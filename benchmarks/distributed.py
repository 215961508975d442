"""Data-parallel training speed: where a global step's time goes on 1 and 2 processes.

    python benchmarks/distributed.py                    # every table, about 3 minutes
    python benchmarks/distributed.py --rounds 1 --steps 10   # a quick look

For the documents' MLP (X3, 784-128-64-10) and CNN (Conv 1→32, Conv 32→64, Linear
1600→128→10, on 28×28 images), at the same *global* batch, it compares three ways to
use two cores:

    1 process × 2 BLAS threads   the default of a single process
    1 process × 1 BLAS thread    the baseline for the speed-up
    2 processes × 1 BLAS thread  mpiexec -n 2, minidl.distributed (FORMULAS T8)

and splits each global step into **compute** (zero_grad, forward, backward), **wait**
(a Barrier: the time the faster rank waits for the slower), **allreduce**
(``allreduce_gradients``: pack, MPI Allreduce, ×1/P, unpack) and **update** (the
optimizer's rule). The split is measured with that extra Barrier; the **step** column is
measured in a separate pass without it (``DistributedOptimizer.step()``, as in training).
It also times one Allreduce against the buffer size on 2 ranks.

Each configuration runs in its own processes (``--worker``), round after round,
interleaved, and every number is the median over rounds of the median over steps. The
load average (1 minute) is written beside each row: on a shared machine the rows move.
Goals: allreduce ≤ 10 % of the CNN's step, and 2 processes faster than 1 process with 2
threads for the CNN.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
CASES = [("mlp", 64), ("mlp", 512), ("cnn", 64), ("cnn", 256)]  # (model, global batch)
PARTS = ("compute", "wait", "allreduce", "update")
ALLREDUCE_FLOATS = [2**k for k in range(8, 25, 2)]  # 1 KiB ... 64 MiB of float32


# --------------------------------------------------------------------------- one process


def build_model(name: str):
    from minidl import nn

    if name == "mlp":
        return nn.Sequential(
            nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10)
        )
    return nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(1600, 128), nn.ReLU(), nn.Linear(128, 10),
    )  # fmt: skip


def measure_case(name: str, global_batch: int, communicator, steps: int) -> dict:
    """Median seconds per part of a global step on this rank, and of a plain step."""
    import minidl as mdl
    from minidl import distributed, nn, optim

    ranks = communicator.world_size if communicator else 1
    mdl.manual_seed(0)
    model = build_model(name)
    rule = optim.Momentum(model.parameters(), lr=0.01)
    params = rule.params
    rng = np.random.default_rng(communicator.rank if communicator else 0)
    shape = (784,) if name == "mlp" else (1, 28, 28)
    inputs = mdl.tensor(rng.standard_normal((global_batch // ranks, *shape)).astype(np.float32))
    targets = mdl.tensor(rng.integers(0, 10, global_batch // ranks))
    loss_fn = nn.CrossEntropyLoss()

    def compute() -> None:
        rule.zero_grad()
        loss_fn(model(inputs), targets).backward()

    for _ in range(3):  # warm up: allocator, BLAS threads, MPI connections
        compute()
        if communicator:
            distributed.allreduce_gradients(params, communicator)
        rule.step()

    split = []
    for _ in range(steps):
        started = time.perf_counter()
        compute()
        computed = time.perf_counter()
        if communicator:
            communicator.barrier()
        waited = time.perf_counter()
        if communicator:
            distributed.allreduce_gradients(params, communicator)
        reduced = time.perf_counter()
        rule.step()
        updated = time.perf_counter()
        split.append((computed - started, waited - computed, reduced - waited, updated - reduced))

    optimizer = (
        distributed.DistributedOptimizer(rule, communicator, broadcast=False)
        if communicator
        else rule
    )
    plain = []
    for _ in range(steps):
        started = time.perf_counter()
        compute()
        optimizer.step()
        plain.append(time.perf_counter() - started)

    medians = np.median(np.array(split), axis=0)
    result = {part: float(value) for part, value in zip(PARTS, medians)}
    result["step"] = float(np.median(plain))
    result["gradient_bytes"] = int(sum(p.data.nbytes for p in params))
    return result


def measure_allreduce(communicator, repeats: int) -> list[dict]:
    rows = []
    for floats in ALLREDUCE_FLOATS:
        buffer = np.ones(floats, np.float32)
        times = []
        for _ in range(max(3, repeats if floats < 2**20 else repeats // 5)):
            communicator.barrier()
            started = time.perf_counter()
            communicator.allreduce_sum_(buffer, "benchmark")
            times.append(time.perf_counter() - started)
        rows.append({"bytes": buffer.nbytes, "seconds": float(np.median(times))})
    return rows


def worker(args: argparse.Namespace) -> None:
    communicator = None
    if args.mpi:
        from minidl import distributed

        communicator = distributed.init(timeout=300)  # also: one BLAS thread per rank
    else:
        import threadpoolctl

        threadpoolctl.threadpool_limits(limits=args.threads, user_api="blas")
    results = {}
    for name, global_batch in CASES:
        mine = measure_case(name, global_batch, communicator, args.steps)
        if communicator:  # the mean over the ranks of each part
            everyone = communicator.allgather_object(mine)
            mine = {key: float(np.mean([r[key] for r in everyone])) for key in mine}
        results[f"{name}-b{global_batch}"] = mine
    if communicator and communicator.world_size > 1:
        results["allreduce"] = measure_allreduce(communicator, repeats=args.steps * 2)
    if communicator is None or communicator.is_main:
        print(json.dumps(results))


# --------------------------------------------------------------------------- the driver


def find_mpiexec() -> str:
    beside_python = Path(sys.executable).parent / "mpiexec"
    found = str(beside_python) if beside_python.exists() else shutil.which("mpiexec")
    if found is None:
        sys.exit("mpiexec not found: pip install -e '.[dist]' (mpi4py and the mpich wheel)")
    return found


def configurations(steps: int) -> list[tuple[str, list[str]]]:
    me = [sys.executable, str(Path(__file__).resolve()), "--worker", "--steps", str(steps)]
    return [
        ("1 process × 2 threads", [*me, "--threads", "2"]),
        ("1 process × 1 thread", [*me, "--threads", "1"]),
        ("2 processes × 1 thread", [find_mpiexec(), "-n", "2", *me, "--mpi"]),
    ]


def run_rounds(rounds: int, steps: int) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in THREAD_VARIABLES}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    runs: dict[str, list[dict]] = {}
    for round_number in range(rounds):
        for label, command in configurations(steps):
            load = os.getloadavg()[0]
            finished = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
            if finished.returncode != 0:
                sys.exit(f"{label} failed:\n{finished.stdout}\n{finished.stderr}")
            result = json.loads(finished.stdout.strip().splitlines()[-1])
            result["load"] = (load + os.getloadavg()[0]) / 2
            runs.setdefault(label, []).append(result)
            print(f"round {round_number + 1}/{rounds}: {label} done", file=sys.stderr)
    return runs


def median_over_rounds(results: list[dict], case: str, key: str) -> float:
    return statistics.median(result[case][key] for result in results)


def report(runs: dict) -> str:
    labels = list(runs)
    lines = [
        "| model, global batch | processes × threads | step ms | compute | wait | allreduce "
        "| update | allreduce % of step | speed-up vs 1×1 | load avg |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, global_batch in CASES:
        case = f"{name}-b{global_batch}"
        baseline = median_over_rounds(runs["1 process × 1 thread"], case, "step")
        for label in labels:
            row = {key: median_over_rounds(runs[label], case, key) for key in (*PARTS, "step")}
            load = statistics.median(result["load"] for result in runs[label])
            lines.append(
                f"| {name.upper()} b{global_batch} | {label} | {row['step'] * 1e3:.2f} | "
                + " | ".join(f"{row[part] * 1e3:.2f}" for part in PARTS)
                + f" | {100 * row['allreduce'] / row['step']:.1f} % | "
                f"{baseline / row['step']:.2f}× | {load:.1f} |"
            )
    gradient_sizes = ", ".join(
        f"{name.upper()} {runs[labels[0]][0][f'{name}-b{batch}']['gradient_bytes'] / 1024:.0f} KiB"
        for name, batch in CASES[::2]
    )
    lines += [
        "",
        f"Gradient buffer per step: {gradient_sizes}.",
        "",
        "| Allreduce on 2 ranks, buffer | median µs | bandwidth MB/s | load avg |",
        "|---|---|---|---|",
    ]
    two = runs["2 processes × 1 thread"]
    load = statistics.median(result["load"] for result in two)
    for index, floats in enumerate(ALLREDUCE_FLOATS):
        seconds = statistics.median(result["allreduce"][index]["seconds"] for result in two)
        size = floats * 4
        shown = f"{size / 1024:.0f} KiB" if size < 2**20 else f"{size / 2**20:.0f} MiB"
        lines.append(f"| {shown} | {seconds * 1e6:.0f} | {size / seconds / 1e6:.0f} | {load:.1f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=20, help="measured steps per case")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--mpi", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--threads", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--json", metavar="PATH", help="also write the raw runs here")
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return
    print(f"machine: {os.cpu_count()} cores, load average before: {os.getloadavg()}")
    runs = run_rounds(args.rounds, args.steps)
    if args.json:
        Path(args.json).write_text(json.dumps(runs, indent=1))
    print(report(runs))
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()

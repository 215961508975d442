"""Does a second BLAS thread help minidl's small models? Times the same training run and
single matrix products with 1 and 2 BLAS threads (threadpoolctl), in one process, so the
ratios compare like with like. Prints the load average beside the numbers: on a busy
machine the threads wait for each other.

    python benchmarks/blas_threads.py [--repeats 3] [--epochs 10]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
from threadpoolctl import threadpool_limits

import minidl as mdl
from minidl import nn, optim
from minidl.data import DataLoader, TensorDataset, datasets


def train_x3(threads: int, epochs: int) -> float:
    """Seconds for ``epochs`` epochs of X3 (64-128-64-10, Momentum, batch 64) on digits."""
    x, y = datasets.load_digits()
    mdl.manual_seed(0)
    model = nn.Sequential(
        nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10)
    )
    loader = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, seed=0)
    optimizer = optim.Momentum(model.parameters(), lr=0.001, momentum=0.9)
    with threadpool_limits(limits=threads, user_api="blas"):
        started = time.perf_counter()
        mdl.train.fit(model, nn.CrossEntropyLoss(), optimizer, loader, epochs, progress=False)
        return time.perf_counter() - started


def matmul_seconds(threads: int, size: int, budget: float = 1.0) -> float:
    """Mean seconds of one float32 size×size product, over about ``budget`` seconds."""
    a = np.random.default_rng(0).standard_normal((size, size)).astype(np.float32)
    with threadpool_limits(limits=threads, user_api="blas"):
        started, count = time.perf_counter(), 0
        while time.perf_counter() - started < budget:
            a @ a
            count += 1
        return (time.perf_counter() - started) / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=10)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.1f}")
    times: dict[int, list[float]] = {1: [], 2: []}
    for _ in range(args.repeats):
        for threads in (2, 1):  # interleaved, so both see the same load
            times[threads].append(train_x3(threads, args.epochs))
    for threads, seconds in times.items():
        shown = ", ".join(f"{value:.2f}" for value in seconds)
        print(f"X3, {args.epochs} epochs, {threads} BLAS thread(s): {shown} s "
              f"(median {np.median(seconds):.2f})")  # fmt: skip
    print(f"2 threads / 1 thread (medians): {np.median(times[2]) / np.median(times[1]):.1f}")
    for size in (64, 128, 256, 1024):
        one, two = matmul_seconds(1, size), matmul_seconds(2, size)
        print(f"{size}×{size} product: 1 thread {one * 1e3:.3f} ms, 2 threads "
              f"{two * 1e3:.3f} ms, ratio {two / one:.2f}")  # fmt: skip
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()

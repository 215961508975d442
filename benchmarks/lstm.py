"""The documents' text classifiers' training steps, minidl against PyTorch's CPU nn.LSTM.

    python benchmarks/lstm.py                 # both workloads, 15 interleaved rounds
    python benchmarks/lstm.py --rounds 5 --profile

Workloads (float32 end to end, the same initial weights and data on both sides):

- X7: Embedding(10000, 128) – LSTM(64) – Linear(64 → 10), batch 64, 100 steps, Adam.
- X8: Embedding(10000, 100) – LSTM(256, 2 layers, dropout 0.5) – Linear(256 → 6), batch 32,
  100 steps, lengths between 20 and 100 (pack_padded_sequence in PyTorch), Adam.
  Dropout is off on both sides (p = 0 after the copy), so both compute the same numbers.

Each round times minidl then PyTorch (or the other way round, alternating) over enough
steps to last 0.2 s; reported: the median ms per step, the ratio minidl / PyTorch, and
the peak memory of one step (tracemalloc for NumPy, torch.profiler for PyTorch's CPU
allocator), above what lived before it.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import minidl as mdl  # noqa: E402
from minidl import functional as F  # noqa: E402
from minidl import nn, optim  # noqa: E402

WORKLOADS = {
    "X7": dict(vocab=10000, embedding=128, hidden=64, layers=1, classes=10, batch=64, steps=100,
               variable_lengths=False),
    "X8": dict(vocab=10000, embedding=100, hidden=256, layers=2, classes=6, batch=32, steps=100,
               variable_lengths=True),
}  # fmt: skip


class Classifier(nn.Module):
    def __init__(self, vocab, embedding, hidden, layers, classes):
        super().__init__()
        self.embedding = nn.Embedding(vocab, embedding)
        self.lstm = nn.LSTM(embedding, hidden, layers)
        self.fc = nn.Linear(hidden, classes)

    def forward(self, ids, lengths):
        _, (h_n, _) = self.lstm(self.embedding(ids), lengths=lengths)
        return self.fc(h_n[-1])


def build(case: dict, seed: int = 0):
    """The minidl step, the PyTorch step (same weights, same data), and a check value each."""
    import torch

    mdl.manual_seed(seed)
    rng = np.random.default_rng(seed)
    ids = rng.integers(1, case["vocab"], size=(case["steps"], case["batch"]))
    labels = rng.integers(0, case["classes"], size=case["batch"])
    lengths = None
    if case["variable_lengths"]:
        lengths = rng.integers(20, case["steps"] + 1, size=case["batch"])
        lengths[0] = case["steps"]
    ours = Classifier(case["vocab"], case["embedding"], case["hidden"], case["layers"], case["classes"])
    our_optimizer = optim.Adam(ours.parameters(), lr=1e-3)

    class TorchClassifier(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = torch.nn.Embedding(case["vocab"], case["embedding"])
            self.lstm = torch.nn.LSTM(case["embedding"], case["hidden"], case["layers"])
            self.fc = torch.nn.Linear(case["hidden"], case["classes"])

        def forward(self, ids, lengths):
            embedded = self.embedding(ids)
            if lengths is not None:
                embedded = torch.nn.utils.rnn.pack_padded_sequence(
                    embedded, lengths, enforce_sorted=False
                )
            _, (h_n, _) = self.lstm(embedded)
            return self.fc(h_n[-1])

    theirs = TorchClassifier()
    with torch.no_grad():
        for name, parameter in theirs.named_parameters():
            parameter.copy_(torch.from_numpy(dict(ours.named_parameters())[name].numpy()))
    their_optimizer = torch.optim.Adam(theirs.parameters(), lr=1e-3)
    ids_torch, labels_torch = torch.from_numpy(ids), torch.from_numpy(labels)
    lengths_torch = None if lengths is None else torch.from_numpy(lengths)

    def our_step():
        our_optimizer.zero_grad()
        loss = F.cross_entropy(ours(ids, lengths), labels)
        loss.backward()
        our_optimizer.step()
        return loss

    def their_step():
        their_optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(theirs(ids_torch, lengths_torch), labels_torch)
        loss.backward()
        their_optimizer.step()
        return loss

    with mdl.no_grad():
        our_check = float(F.cross_entropy(ours(ids, lengths), labels).item())
    with torch.no_grad():
        their_check = float(
            torch.nn.functional.cross_entropy(theirs(ids_torch, lengths_torch), labels_torch)
        )
    return our_step, their_step, our_check, their_check


def time_per_step(step, repeats: int) -> float:
    start = time.perf_counter()
    for _ in range(repeats):
        step()
    return (time.perf_counter() - start) / repeats


def calibrate(step, seconds: float = 0.2) -> int:
    repeats = 1
    while time_per_step(step, repeats) * repeats < seconds:
        repeats *= 2
    return repeats


def numpy_peak_bytes(step) -> int:
    tracemalloc.start()
    baseline, _ = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    step()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak - baseline


def torch_peak_bytes(step) -> int:
    """Peak live bytes of PyTorch's CPU allocator: its allocation/free events in order."""
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as profiler:
        step()
    events = [
        event
        for event in profiler.profiler.kineto_results.events()
        if event.name() == "[memory]"
    ]
    events.sort(key=lambda event: event.start_ns())
    live = peak = 0
    for event in events:
        live += event.nbytes()
        peak = max(peak, live)
    return peak


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--workloads", default="X7,X8")
    parser.add_argument("--profile", action="store_true", help="cProfile minidl's step")
    args = parser.parse_args(argv)
    import torch
    from threadpoolctl import threadpool_info

    blas_threads = max((pool["num_threads"] for pool in threadpool_info()), default=1)
    torch.set_num_threads(blas_threads)
    print(f"threads: NumPy BLAS {blas_threads}, torch {torch.get_num_threads()}")
    for key in args.workloads.split(","):
        case = WORKLOADS[key]
        our_step, their_step, our_check, their_check = build(case)
        for step in (our_step, their_step):
            step()
            step()
        repeats = {"minidl": calibrate(our_step), "torch": calibrate(their_step)}
        times = {"minidl": [], "torch": []}
        for round_ in range(args.rounds):
            order = ["minidl", "torch"] if round_ % 2 == 0 else ["torch", "minidl"]
            for name in order:
                step = our_step if name == "minidl" else their_step
                times[name].append(time_per_step(step, repeats[name]))
        ours_ms = statistics.median(times["minidl"]) * 1e3
        theirs_ms = statistics.median(times["torch"]) * 1e3
        our_memory, their_memory = numpy_peak_bytes(our_step), torch_peak_bytes(their_step)
        print(
            f"{key}: minidl {ours_ms:.1f} ms, torch {theirs_ms:.1f} ms, "
            f"time x{ours_ms / theirs_ms:.2f}; peak memory minidl {our_memory / 2**20:.1f} MiB, "
            f"torch {their_memory / 2**20:.1f} MiB, x{our_memory / their_memory:.2f}; "
            f"first loss {our_check:.6f} vs {their_check:.6f}"
        )
        if args.profile:
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(5):
                our_step()
            profiler.disable()
            pstats.Stats(profiler).sort_stats("tottime").print_stats(12)


if __name__ == "__main__":
    main()

# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 06 · One model, two backends: NumPy and CuPy
#
# minidl writes every op once, in the NumPy API. The backend decides which array
# library runs it: NumPy on the CPU, or CuPy on an NVIDIA GPU (see `docs/backends.md`).
# Here we train the same model on each available backend, check that they agree, and
# time them. Then we plot the latest results of the benchmark suite. Without a GPU,
# the CuPy parts are skipped.

# %%
import json
import re
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

import minidl as mdl
from minidl import nn, optim
from minidl.data import DataLoader, TensorDataset, datasets

available = mdl.backend.available()
print("backends here:", available)
for name in available:
    print(f"  {name}: {mdl.backend.get(name).device_name()}")
has_gpu = "cupy" in available
if not has_gpu:
    print("no CuPy/GPU here: the CuPy runs below are skipped")

# %% [markdown]
# ## 1. The same training run on each backend
#
# `mdl.use_backend(name)` makes `name` the device for new tensors inside the block. The
# DataLoader puts each batch there, and `model.to(name)` moves the parameters. The
# initial weights come from the host generator, so with the same seed both runs start
# from the same numbers.

# %%
x, y = datasets.load_digits()


def train_once(backend_name, epochs=3):
    with mdl.use_backend(backend_name):
        mdl.manual_seed(0)
        model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10)).to(backend_name)
        loader = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, seed=0)
        loss_fn = nn.CrossEntropyLoss()
        opt = optim.Adam(model.parameters(), lr=0.001)
        start = time.perf_counter()
        for _ in range(epochs):
            for inputs, targets in loader:
                opt.zero_grad()
                loss = loss_fn(model(inputs), targets)
                loss.backward()
                opt.step()
        mdl.get_backend().synchronize()  # GPU work is asynchronous: wait before reading the clock
        seconds = time.perf_counter() - start
        return loss.item(), seconds, model.state_dict()


runs = {name: train_once(name) for name in available}
for name, (loss, seconds, _) in runs.items():
    print(f"{name:6s} last batch loss {loss:.5f}   {seconds:.2f} s")

# %% [markdown]
# On a GPU, the weights after training match the NumPy run to float32 rounding. The
# two libraries may add up numbers in a different order, so they do not match bit for
# bit.

# %%
if has_gpu:
    numpy_weights, cupy_weights = runs["numpy"][2], runs["cupy"][2]
    largest = max(np.abs(numpy_weights[k] - cupy_weights[k]).max() for k in numpy_weights)
    print(f"largest difference between the NumPy and CuPy weights: {largest:.2e}")
else:
    print("skipped: no GPU")

# %% [markdown]
# ## 2. Where a GPU pays off
#
# A small model like the one above barely keeps a GPU busy: each op launches a kernel,
# and the launch takes longer than the arithmetic. A large matrix product is the
# opposite. We time $A B$ for $n \times n$ float32 matrices, calling `synchronize()`
# before we stop the clock.


# %%
def time_matmul(backend_name, n, repeats=3):
    with mdl.use_backend(backend_name):
        rng = np.random.default_rng(0)
        a = mdl.tensor(rng.standard_normal((n, n), dtype=np.float32))
        b = mdl.tensor(rng.standard_normal((n, n), dtype=np.float32))
        (a @ b).numpy()  # warm up (CuPy compiles and caches its kernels on first use)
        backend = mdl.get_backend()
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            a @ b
            backend.synchronize()
            times.append(time.perf_counter() - start)
        return min(times)


sizes = [64, 256, 1024]
for n in sizes:
    row = "   ".join(f"{name}: {1000 * time_matmul(name, n):8.3f} ms" for name in available)
    print(f"n = {n:5d}   {row}")

# %% [markdown]
# ## 3. The benchmark suite's latest results
#
# `python benchmarks/run.py` (from a checkout) times the documents' workloads on every
# backend, and writes one JSON file per run to `benchmarks/results/`. Here we plot the
# median time of each workload and contender from the newest file, if there is one.

# %%
results_dir = Path.cwd().parent / "benchmarks" / "results"


def run_time(path):
    """The run's date and time, from the file name (e.g. amd-epyc-2c-20261123-195410.json):
    file times are all the same in a fresh clone, so they cannot say which run is newest."""
    found = re.search(r"(\d{8}-\d{6})", path.name)
    return found.group(1) if found else ""


result_files = sorted(results_dir.glob("*.json"), key=run_time)
if not result_files:
    print(f"no benchmark results in {results_dir}: run `python benchmarks/run.py` first - skipped")
else:
    latest = json.loads(result_files[-1].read_text())
    cases = latest["cases"]
    contenders = sorted({c["label"] for case in cases for c in case["contenders"]})
    height = 0.8 / len(contenders)
    fig, ax = plt.subplots(figsize=(9, 0.3 * len(cases) * len(contenders) + 1.5))
    rows = np.arange(len(cases))[::-1]  # the first case at the top
    for index, label in enumerate(contenders):  # one colour per contender, grouped by case
        medians = [
            next((c["stats"]["median_ms"] for c in case["contenders"] if c["label"] == label), np.nan)
            for case in cases
        ]
        ax.barh(rows - index * height, medians, height, label=label)
    ax.set_yticks(rows - 0.4 + height / 2, [case["title"] for case in cases], fontsize=8)
    ax.set_xscale("log")
    ax.set(
        xlabel="median time per step (ms, log scale; shorter is faster)",
        title=f"benchmark run of {latest['date'][:16].replace('T', ' ')} "
        f"({latest['machine']['cpu_model']}, {latest['machine']['cpu_cores']} cores)",
    )
    ax.legend()
    plt.tight_layout()
    plt.show()

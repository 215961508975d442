"""What each rank runs in tests/test_distributed.py, under ``mpiexec -n 2``.

    mpiexec -n 2 python tests/distributed_scenarios.py SCENARIO OUTPUT_FOLDER

``train``    the T8 equivalence (MLP through fit, CNN through a hand-written loop), the
             broadcast of differently seeded ranks, mismatched models, the rank-0
             checkpoint resumed; each rank writes what it reached to OUTPUT_FOLDER and the
             test compares it with one process (``single_process_*`` below).
``raise`` / ``kill`` / ``hang``   rank 1 fails in that way while rank 0 waits in a
             collective; the job must end non-zero, quickly, with a clear message.

The problem set-ups are functions so that the test builds the same ones in one process.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path

import numpy as np

import minidl as mdl
from minidl import distributed, models, nn, optim
from minidl.data import DataLoader, DistributedSampler, TensorDataset

# Per-rank batch sizes and epochs: 20 optimizer steps each, across epoch boundaries and
# through short last batches (28 samples in batches of 8; 20 in batches of 6).
MLP_SAMPLES, MLP_BATCH, MLP_EPOCHS = 28, 4, 5
CNN_SAMPLES, CNN_BATCH, CNN_EPOCHS = 20, 3, 5
WEIGHT_SEED = 7  # rank 0's; the other ranks draw different weights first


def mlp_problem():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((MLP_SAMPLES, 8)).astype(np.float32)
    y = rng.integers(0, 3, MLP_SAMPLES)
    return TensorDataset(x, y)


def cnn_problem():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((CNN_SAMPLES, 1, 6, 6)).astype(np.float32)
    y = rng.integers(0, 3, CNN_SAMPLES)
    return TensorDataset(x, y)


def new_mlp(seed: int, hidden: int = 16):
    mdl.manual_seed(seed)
    return models.mlp(8, (hidden,), 3)


def new_cnn(seed: int):
    mdl.manual_seed(seed)
    return models.cnn(1, 6, 3, channels=(2,))


def weights(model) -> dict[str, np.ndarray]:
    return model.state_dict()


def single_process_mlp(batch_size: int, epochs: int = MLP_EPOCHS):
    """One process, batch 2b: the run that 2 ranks with batch b must reproduce."""
    model = new_mlp(WEIGHT_SEED)
    optimizer = optim.Momentum(model.parameters(), lr=0.1, momentum=0.9)
    loader = DataLoader(mlp_problem(), batch_size=batch_size, shuffle=True, seed=0)
    history = mdl.train.fit(
        model, nn.CrossEntropyLoss(), optimizer, loader, epochs, metrics=(), progress=False
    )
    return weights(model), history


def train_cnn(model, optimizer, loader, epochs: int = CNN_EPOCHS) -> int:
    """The loop a learner writes; returns the number of steps taken."""
    loss_fn, steps = nn.CrossEntropyLoss(), 0
    for _ in range(epochs):
        for inputs, targets in loader:
            optimizer.zero_grad()
            loss_fn(model(inputs), targets).backward()
            optimizer.step()
            steps += 1
    return steps


def single_process_cnn(batch_size: int):
    model = new_cnn(WEIGHT_SEED)
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    loader = DataLoader(cnn_problem(), batch_size=batch_size, shuffle=True, seed=0)
    steps = train_cnn(model, optimizer, loader)
    return weights(model), steps


# --------------------------------------------------------------------------- scenarios


def scenario_train(out: Path) -> None:
    communicator = distributed.init(timeout=60)
    rank = communicator.rank
    report: dict = {"world_size": communicator.world_size, "blas_threads": _blas_threads()}

    # T8 through fit: differently seeded replicas, made equal by DistributedOptimizer.
    model = new_mlp(WEIGHT_SEED if rank == 0 else WEIGHT_SEED + 1 + rank)
    np.savez(out / f"mlp_before_rank{rank}.npz", **weights(model))
    optimizer = distributed.DistributedOptimizer(
        optim.Momentum(model.parameters(), lr=0.1, momentum=0.9)
    )
    np.savez(out / f"mlp_start_rank{rank}.npz", **weights(model))
    dataset = mlp_problem()
    sampler = DistributedSampler(len(dataset), shuffle=True, seed=0)
    loader = DataLoader(dataset, batch_size=MLP_BATCH, sampler=sampler)
    history = mdl.train.fit(
        model, nn.CrossEntropyLoss(), optimizer, loader, MLP_EPOCHS, metrics=(), progress=False
    )
    np.savez(out / f"mlp_rank{rank}.npz", **weights(model))
    report["mlp_train_loss"] = history.train_loss

    # T8 through a hand-written loop, for a CNN with plain SGD.
    model = new_cnn(WEIGHT_SEED + rank)
    optimizer = distributed.DistributedOptimizer(optim.SGD(model.parameters(), lr=0.1))
    dataset = cnn_problem()
    loader = DataLoader(
        dataset, batch_size=CNN_BATCH, sampler=DistributedSampler(len(dataset), seed=0)
    )
    report["cnn_steps"] = train_cnn(model, optimizer, loader)
    np.savez(out / f"cnn_rank{rank}.npz", **weights(model))

    # Mismatched models: the same error on every rank, no hang.
    try:
        distributed.broadcast_parameters(new_mlp(0, hidden=16 if rank == 0 else 12))
        report["mismatch_error"] = None
    except ValueError as error:
        report["mismatch_error"] = str(error)

    # Gradients some ranks lack: rank 0 adds zeros; a parameter no rank reached keeps None.
    params = list(new_mlp(0).parameters())
    xp = params[0].backend.xp  # gradients live where their parameters do (NumPy or GPU)
    params[0].grad = xp.full(params[0].shape, rank + 1.0, np.float32)  # 1 and 2: mean 1.5
    if rank == 1:
        params[1].grad = xp.full(params[1].shape, 4.0, np.float32)  # 0 and 4: mean 2
    distributed.allreduce_gradients(params)
    report["partial_gradients"] = [
        None if p.grad is None else sorted(set(p.grad.ravel().tolist())) for p in params
    ]

    # Checkpoints: rank 0 writes to its own path; on resume it alone reads, so rank 1
    # (whose path never exists) shows that no shared file system is needed.
    def resumable_fit(epochs: int, resume: bool, path: Path | None):
        model = new_mlp(WEIGHT_SEED)
        optimizer = distributed.DistributedOptimizer(
            optim.Momentum(model.parameters(), lr=0.1, momentum=0.9)
        )
        sampler = DistributedSampler(len(dataset_mlp), shuffle=True, seed=0)
        loader = DataLoader(dataset_mlp, batch_size=MLP_BATCH, sampler=sampler)
        history = mdl.train.fit(
            model, nn.CrossEntropyLoss(), optimizer, loader, epochs, metrics=(),
            progress=False, checkpoint_path=path, resume=resume,
        )  # fmt: skip
        return weights(model), history

    dataset_mlp = mlp_problem()
    path = out / f"checkpoint_rank{rank}.npz"
    uninterrupted, full_history = resumable_fit(4, False, None)
    resumable_fit(2, False, path)
    report["checkpoint_files"] = sorted(p.name for p in out.glob("checkpoint_rank*.npz"))
    resumed, resumed_history = resumable_fit(4, True, path)
    np.savez(out / f"uninterrupted_rank{rank}.npz", **uninterrupted)
    np.savez(out / f"resumed_rank{rank}.npz", **resumed)
    report["histories_equal"] = full_history == resumed_history

    (out / f"report_rank{rank}.json").write_text(json.dumps(report))


def scenario_raise(out: Path) -> None:
    communicator = distributed.init(timeout=60)
    if communicator.rank == 1:
        raise RuntimeError("a failure on purpose")
    communicator.barrier()


def scenario_kill(out: Path) -> None:
    communicator = distributed.init(timeout=60)
    if communicator.rank == 1:
        os.kill(os.getpid(), signal.SIGKILL)
    communicator.barrier()


def scenario_hang(out: Path) -> None:
    communicator = distributed.init(timeout=2)
    model = new_mlp(0)
    model(mdl.tensor(np.zeros((1, 8), np.float32))).sum().backward()
    if communicator.rank == 1:
        time.sleep(60)  # stuck (e.g. in I/O) while rank 0 waits for its gradients
    distributed.allreduce_gradients(model)


def _blas_threads() -> int:
    import threadpoolctl

    pools = [p["num_threads"] for p in threadpoolctl.threadpool_info() if p["user_api"] == "blas"]
    return max(pools, default=1)


if __name__ == "__main__":
    scenario, folder = sys.argv[1], Path(sys.argv[2])
    globals()[f"scenario_{scenario}"](folder)

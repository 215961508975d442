"""minidl.distributed: data-parallel training on 2 MPI ranks equals one process (T8).

The MPI tests start ``mpiexec -n 2`` (the one beside this Python, from the mpich wheel
of the ``dist`` and ``dev`` extras) on tests/distributed_scenarios.py, then compare what
each rank wrote with a single-process run made here. Without mpiexec they are skipped
with a message; the checks that need no MPI run everywhere.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import distributed_scenarios as scenarios
import numpy as np
import pytest

import minidl as mdl
from minidl import distributed, optim
from minidl.distributed.communicator import blas_thread_warning

REPO = Path(__file__).resolve().parents[1]
SCENARIOS = Path(scenarios.__file__)
RANKS = 2


def find_mpiexec() -> str | None:
    beside_python = Path(sys.executable).parent / "mpiexec"
    return str(beside_python) if beside_python.exists() else shutil.which("mpiexec")


def mpi_environment() -> dict[str, str]:
    """This environment, with the checkout importable and the thread count left to init()."""
    env = {
        k: v for k, v in os.environ.items() if k not in distributed.communicator.THREAD_VARIABLES
    }
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return env


def run_ranks(*command: str, timeout: float = 120) -> tuple[subprocess.CompletedProcess, float]:
    mpiexec = find_mpiexec()
    if mpiexec is None:
        pytest.skip("mpiexec not found: pip install -e '.[dist]' brings mpi4py and mpich's")
    pytest.importorskip("mpi4py", reason="the MPI tests need mpi4py: pip install -e '.[dist]'")
    started = time.perf_counter()
    result = subprocess.run(
        [mpiexec, "-n", str(RANKS), *command],
        capture_output=True, text=True, timeout=timeout, env=mpi_environment(), cwd=REPO,
    )  # fmt: skip
    return result, time.perf_counter() - started


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """Run the ``train`` scenario once on 2 ranks; its output folder."""
    out = tmp_path_factory.mktemp("ranks")
    result, _ = run_ranks(sys.executable, str(SCENARIOS), "train", str(out))
    assert result.returncode == 0, f"the ranks failed:\n{result.stdout}\n{result.stderr}"
    return out


def rank_files(out: Path, stem: str) -> list[dict[str, np.ndarray]]:
    return [dict(np.load(out / f"{stem}_rank{rank}.npz")) for rank in range(RANKS)]


def reports(out: Path) -> list[dict]:
    return [json.loads((out / f"report_rank{rank}.json").read_text()) for rank in range(RANKS)]


def assert_close(reached: dict, expected: dict, what: str) -> None:
    assert reached.keys() == expected.keys()
    for name in expected:
        np.testing.assert_allclose(
            reached[name], expected[name], rtol=1e-5, atol=1e-6, err_msg=f"{what}: {name}"
        )


# --------------------------------------------------------------------------- T8 on 2 ranks


def test_T8_mlp_two_ranks_with_batch_b_equal_one_process_with_batch_2b_through_fit(trained):
    expected, history = scenarios.single_process_mlp(batch_size=RANKS * scenarios.MLP_BATCH)
    for rank, reached in enumerate(rank_files(trained, "mlp")):
        assert_close(reached, expected, f"MLP on rank {rank} after 20 Momentum steps")
    # fit's train loss is the mean over both ranks' samples, as in one process
    for report in reports(trained):
        np.testing.assert_allclose(report["mlp_train_loss"], history.train_loss, rtol=1e-5)


def test_T8_cnn_two_ranks_with_batch_b_equal_one_process_with_batch_2b(trained):
    expected, steps = scenarios.single_process_cnn(batch_size=RANKS * scenarios.CNN_BATCH)
    assert steps == 20 and all(report["cnn_steps"] == 20 for report in reports(trained))
    for rank, reached in enumerate(rank_files(trained, "cnn")):
        assert_close(reached, expected, f"CNN on rank {rank} after 20 SGD steps")


@pytest.mark.parametrize("stem", ["mlp", "cnn", "resumed"])
def test_ranks_stay_bitwise_equal(trained, stem):
    first, second = rank_files(trained, stem)
    for name in first:
        assert np.array_equal(first[name], second[name]), f"{stem}: {name} differs between ranks"


def test_differently_seeded_ranks_are_equal_after_the_broadcast(trained):
    before = rank_files(trained, "mlp_before")
    start = rank_files(trained, "mlp_start")
    assert not np.array_equal(before[0]["0.weight"], before[1]["0.weight"])
    for rank in range(RANKS):
        for name in before[0]:
            assert np.array_equal(start[rank][name], before[0][name])  # rank 0's weights


def test_mismatched_models_raise_on_every_rank(trained):
    messages = [report["mismatch_error"] for report in reports(trained)]
    assert messages[0] == messages[1]
    assert messages[0] is not None and "(12, 8)" in messages[0] and "(16, 8)" in messages[0]


def test_rank0_checkpoint_resumes_bit_identically(trained):
    resumed, uninterrupted = rank_files(trained, "resumed"), rank_files(trained, "uninterrupted")
    for rank in range(RANKS):
        for name in uninterrupted[rank]:
            assert np.array_equal(resumed[rank][name], uninterrupted[rank][name]), (rank, name)
    for report in reports(trained):
        assert report["histories_equal"]
        assert report["checkpoint_files"] == ["checkpoint_rank0.npz"]  # rank 0 alone wrote


def test_gradients_that_some_ranks_lack_count_as_zeros(trained):
    for report in reports(trained):
        assert report["partial_gradients"] == [[1.5], [2.0], None, None]


def test_init_gives_each_rank_its_share_of_the_cores(trained):
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    for report in reports(trained):
        assert report["world_size"] == RANKS
        assert report["blas_threads"] == max(1, cores // RANKS)


# --------------------------------------------------------------------------- failures


@pytest.mark.parametrize(
    "scenario, message",
    [
        ("raise", r"uncaught RuntimeError on rank 1 of 2; calling MPI_Abort"),
        ("kill", r"BAD TERMINATION|KILLED BY SIGNAL|signal 9"),
        ("hang", r"rank 0 waited more than 2 s in Allreduce of \d+ bytes \(allreduce_gradients\)"),
    ],
)
def test_a_failed_rank_ends_the_job_quickly_with_a_clear_message(scenario, message, tmp_path):
    result, seconds = run_ranks(sys.executable, str(SCENARIOS), scenario, str(tmp_path), timeout=60)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert re.search(message, output), output
    assert seconds < 15, f"the job took {seconds:.1f} s to end"


# --------------------------------------------------------------------------- command line


def test_cli_trains_on_two_ranks_and_prints_once(tmp_path):
    script = Path(sys.executable).parent / "minidl"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "minidl.cli"]
    saved = tmp_path / "model.npz"
    # The MPI path on CPU ranks, whatever $MINIDL_BACKEND says: NCCL would need a GPU per
    # rank, and the GPU check machine has one.
    result, _ = run_ranks(
        *command, "train", "--distributed", "--backend", "numpy", "--epochs", "3",
        "--no-progress", "--save", str(saved),
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("test accuracy") == 1, result.stdout
    assert result.stderr.count("saved the model") == 1 and saved.exists()  # rank 0 alone
    assert result.stdout.count("training mlp") == 1
    assert "batch 32 per rank × 2 ranks = global batch 64" in result.stdout
    accuracy = float(re.search(r"test accuracy: ([0-9.]+)", result.stdout).group(1))
    assert accuracy > 0.8


# --------------------------------------------------------------------------- without MPI


def test_nccl_backend_without_cupy_is_a_clear_error():
    if "cupy" in mdl.backend.available():
        pytest.skip("CuPy and a GPU are here: the error path cannot be reached")
    with pytest.raises(mdl.BackendUnavailableError, match=r"backend='nccl'\) needs CuPy"):
        distributed.init(backend="nccl")
    assert not distributed.is_initialized()


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"backend": "gloo"}, "unknown backend 'gloo'"),
        ({"timeout": 0}, "timeout must be a number of seconds > 0"),
        ({"timeout": "1"}, "timeout must be"),
    ],
)
def test_init_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        distributed.init(**kwargs)
    assert not distributed.is_initialized()


def test_using_it_before_init_says_what_to_call():
    assert not distributed.is_initialized()
    with pytest.raises(RuntimeError, match=r"call minidl.distributed.init\(\) first"):
        distributed.get_communicator()
    with pytest.raises(RuntimeError, match=r"init\(\) first"):
        mdl.data.DistributedSampler(10)


def test_blas_thread_warning_only_when_the_ranks_oversubscribe_the_cores():
    assert blas_thread_warning(ranks_on_node=2, threads_per_rank=1, cores=2) is None
    assert blas_thread_warning(ranks_on_node=1, threads_per_rank=8, cores=8) is None
    message = blas_thread_warning(ranks_on_node=2, threads_per_rank=2, cores=2)
    assert "2 ranks × 2 BLAS threads" in message and "OMP_NUM_THREADS=1" in message


def test_distributed_optimizer_wants_an_optimizer():
    with pytest.raises(TypeError, match="expected a minidl optimizer"):
        distributed.DistributedOptimizer(object())


class OneRank:
    """A Communicator of a single process: the collectives change nothing."""

    rank, world_size, is_main = 0, 1, True

    def allreduce_sum_(self, buffer, purpose=""):
        pass

    def broadcast_(self, buffer, root=0, purpose=""):
        pass

    def broadcast_object(self, value, root=0, purpose=""):
        return value

    def allgather_object(self, value, purpose=""):
        return [value]


def test_on_one_rank_the_distributed_optimizer_is_the_plain_rule():
    model = scenarios.new_mlp(0)
    twin = scenarios.new_mlp(0)
    wrapped = distributed.DistributedOptimizer(optim.SGD(model.parameters(), lr=0.1), OneRank())
    plain = optim.SGD(twin.parameters(), lr=0.1)
    inputs = mdl.tensor(np.random.default_rng(0).standard_normal((5, 8)).astype(np.float32))
    for net, optimizer in ((model, wrapped), (twin, plain)):
        optimizer.zero_grad()
        net(inputs).sum().backward()
        optimizer.step()
    for name, value in model.state_dict().items():
        assert np.array_equal(value, twin.state_dict()[name])
    wrapped.lr = 0.05  # a scheduler sets the wrapped optimizer's learning rate
    assert wrapped.optimizer.lr == 0.05 and wrapped.lr == 0.05
    assert wrapped.state_dict() == wrapped.optimizer.state_dict()
    wrapped.step = print  # a replaced method stays on the wrapper (minidl train's signal stop)
    assert "step" not in vars(wrapped.optimizer)
    del wrapped.step
    assert wrapped.step.__func__ is distributed.DistributedOptimizer.step


def test_a_parameter_without_gradient_keeps_none():
    model = scenarios.new_mlp(0)
    params = list(model.parameters())
    params[0].grad = params[0].backend.xp.ones(params[0].shape, np.float32)
    distributed.allreduce_gradients(params, OneRank())
    assert np.array_equal(params[0].backend.to_host(params[0].grad), np.ones(params[0].shape))
    assert all(param.grad is None for param in params[1:])


def test_fit_steps_a_schedule_built_on_the_wrapped_optimizer():
    model = scenarios.new_mlp(0)
    inner = optim.SGD(model.parameters(), lr=0.1)
    schedule = optim.lr_scheduler.StepLR(inner, step_size=1, gamma=0.5)
    wrapped = distributed.DistributedOptimizer(inner, OneRank())
    loader = mdl.data.DataLoader(scenarios.mlp_problem(), batch_size=7)
    mdl.train.fit(
        model, mdl.nn.CrossEntropyLoss(), wrapped, loader, 2, metrics=(), progress=False,
        scheduler=schedule,
    )  # fmt: skip
    assert inner.lr == wrapped.lr == 0.025

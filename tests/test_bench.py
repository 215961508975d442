"""The benchmarks run end to end: ``minidl bench`` (installed, minidl alone) and the
comparison with PyTorch under benchmarks/ (from the checkout), on their quick settings.

Timings are never asserted (they depend on the machine): only what each records, and
the pure helpers (FLOP counts, statistics, selection).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from minidl import bench

REPOSITORY = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPOSITORY))  # the benchmarks package lives beside minidl, not in it

from benchmarks.harness.flops import conv2d_flops, linear_flops, training_flops  # noqa: E402
from benchmarks.harness.timing import summarize  # noqa: E402
from benchmarks.run import main  # noqa: E402
from benchmarks.workloads import select_cases  # noqa: E402

STAT_KEYS = {"median_ms", "q1_ms", "q3_ms", "min_ms", "max_ms"}


def run_quick(tmp_path, *extra: str) -> dict:
    status = main(["--quick", "--rounds", "2", "--out", str(tmp_path), *extra])
    assert status == 0
    files = list(tmp_path.glob("*.json"))
    assert len(files) == 1, files
    assert files[0].name.endswith("-quick.json")
    return json.loads(files[0].read_text(encoding="utf-8"))


def check_contender(contender: dict, rounds: int) -> None:
    assert contender["label"] == f"{contender['framework']}/{contender['device']}"
    assert len(contender["samples_ms"]) == rounds
    assert all(sample > 0 for sample in contender["samples_ms"])
    assert set(contender["stats"]) == STAT_KEYS
    stats = contender["stats"]
    assert (
        stats["min_ms"] <= stats["q1_ms"] <= stats["median_ms"] <= stats["q3_ms"] <= stats["max_ms"]
    )
    assert contender["steps_per_sample"] >= 1
    assert contender["page_faults_per_step"] >= 0
    assert set(contender["memory"]) == {"peak_bytes", "method", "note"}


def test_quick_run_without_torch_records_every_quick_case(tmp_path, capsys):
    results = run_quick(tmp_path, "--backends", "numpy", "--no-torch", "--same-process")
    assert results["format"] == "minidl-bench/1"
    assert results["settings"]["quick"] is True and results["settings"]["rounds"] == 2
    machine = results["machine"]
    assert {"cpu_model", "cpu_cores", "gpus", "versions", "blas"} <= set(machine)
    assert {"python", "numpy", "torch", "cupy"} <= set(machine["versions"])
    assert results["gemm_peak"]["numpy"]["gflops"] > 0
    assert results["torch"]["used"] is False

    keys = [case["key"] for case in results["cases"]]
    assert keys == [case.key for case in select_cases(None, quick=True)]
    assert "b-cnn-train-b256" not in keys  # the biggest case is skipped by --quick
    for case in results["cases"]:
        assert case["errors"] == [], case["errors"]
        (contender,) = case["contenders"]
        assert contender["label"] == "minidl/numpy"
        check_contender(contender, rounds=2)
        assert contender["memory"]["method"] == "tracemalloc"
        assert contender["memory"]["peak_bytes"] > 0
        if case["flops_per_step"]:
            assert contender["gflops"] > 0 and contender["peak_fraction"] > 0
        assert case["comparisons"] == []
        for target in case["targets"]:
            assert target["met"] is None or target["measure"] == "peak_fraction"
    assert results["settings"]["isolation"] == "one process"
    printed = capsys.readouterr().out
    assert "median ms" in printed and "a-mlp-train-b64" in printed


def test_quick_run_with_torch_compares_on_the_same_weights(tmp_path):
    pytest.importorskip("torch")
    results = run_quick(tmp_path, "--backends", "numpy", "--workloads", "a-mlp-train-b64,f")
    assert results["threads"]["torch"] == results["threads"]["numpy_blas"]
    for case in results["cases"]:
        assert case["errors"] == [], case["errors"]
        assert [c["label"] for c in case["contenders"]] == ["minidl/numpy", "torch/cpu"]
        (comparison,) = case["comparisons"]
        assert comparison["ratio"] > 0
        # Same initial weights and data: the first loss / gradient sum agree.
        assert comparison["check_relative_difference"] < 1e-3
        for target in case["targets"]:
            assert target["met"] in (True, False)


def test_each_case_runs_in_a_fresh_process_by_default(tmp_path):
    results = run_quick(tmp_path, "--backends", "numpy", "--no-torch", "--workloads", "f")
    assert results["settings"]["isolation"] == "a fresh process per case"
    (case,) = results["cases"]
    assert case["errors"] == []
    check_contender(case["contenders"][0], rounds=2)


def test_unknown_workload_is_a_clear_error(tmp_path, capsys):
    assert main(["--quick", "--workloads", "z", "--out", str(tmp_path)]) == 2
    assert "unknown workload" in capsys.readouterr().out
    assert not list(tmp_path.iterdir())


def test_select_cases_by_group_and_key():
    assert {case.group for case in select_cases("a,f", quick=False)} == {"a", "f"}
    assert [case.key for case in select_cases("b", quick=True)] == ["b-cnn-train-b64"]
    assert [case.key for case in select_cases("b-cnn-train-b256", quick=True)] == [
        "b-cnn-train-b256"
    ]


def test_flop_counts():
    assert linear_flops(64, 784, 128) == 2 * 64 * 784 * 128
    # A valid 3×3 conv of a 1-channel 28×28 image: 26×26 outputs, 9 multiply-adds each.
    assert conv2d_flops(1, 1, 1, 3, 26, 26) == 2 * 26 * 26 * 9
    # Forward, weight gradients, and input gradients of all but the first layer.
    assert training_flops([10, 5]) == 15 + 15 + 5


def test_summarize_gives_median_quartiles_and_extremes():
    stats = summarize([5.0, 1.0, 3.0, 2.0, 4.0])
    assert stats == {"median_ms": 3.0, "q1_ms": 2.0, "q3_ms": 4.0, "min_ms": 1.0, "max_ms": 5.0}
    assert summarize([7.0])["median_ms"] == 7.0


# --------------------------------------------------------------------------- minidl bench


def test_minidl_bench_times_every_quick_workload_on_every_backend(capsys):
    assert bench.main(["--quick", "--rounds", "2", "--min-seconds", "0"]) == 0
    printed = capsys.readouterr().out
    quick = [w.name for w in bench.WORKLOADS if w.quick]
    assert quick == ["mlp-train-b64", "mlp-train-b512", "cnn-train-b64", "mlp-infer-b4096"]
    lines = printed.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("workload"))
    rows = [line.split() for line in lines[header + 2 :]]
    backends = bench.backends.available()
    assert [(row[0], row[1]) for row in rows] == [(w, b) for w in quick for b in backends]
    for row in rows:
        low, high = (float(v) for v in row[3].split("-"))
        assert 0 < low <= float(row[2]) <= high


def test_minidl_bench_results_have_one_sample_per_round():
    (workload,) = [w for w in bench.WORKLOADS if w.name == "mlp-train-b64"]
    (result,) = bench.run([workload], ["numpy"], rounds=3, min_seconds=0)
    assert (result.workload, result.backend, len(result.samples_ms)) == (
        "mlp-train-b64",
        "numpy",
        3,
    )
    assert min(result.samples_ms) <= result.median_ms <= max(result.samples_ms)


def test_minidl_bench_names_unknown_workloads_and_backends(capsys):
    assert bench.main(["--workloads", "mlp-train-b64,lstm"]) == 2
    assert "unknown workload(s) lstm; choose from mlp-train-b64" in capsys.readouterr().out
    assert bench.main(["--backends", "nonsense"]) == 2
    assert "backend(s) nonsense" in capsys.readouterr().out


def test_minidl_bench_trains_the_same_network_as_the_comparison():
    # Both take their networks from minidl.recipes: the same initial weights (seed 0).
    import minidl as mdl
    from benchmarks.workloads import mlp
    from minidl import recipes

    mdl.manual_seed(0)
    ours = recipes.x3_mlp().state_dict()
    for name, array in mlp.x3_weights().items():
        assert (ours[name] == array).all()


def test_minidl_bench_does_not_need_pytorch_or_the_benchmarks_folder():
    code = (
        "import sys; sys.modules['torch'] = None\n"
        "from minidl import bench\n"
        "assert bench.main(['--quick', '--rounds', '1', '--min-seconds', '0',"
        " '--workloads', 'mlp-train-b64']) == 0\n"
        "assert not any(name.startswith('benchmarks') for name in sys.modules)\n"
    )
    # PyTorch made unimportable; the installed command imports nothing from benchmarks/.
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPOSITORY / "docs")


def test_the_comparison_runs_as_a_script(tmp_path):
    command = [sys.executable, str(REPOSITORY / "benchmarks" / "run.py"), "--help"]
    out = subprocess.run(command, capture_output=True, text=True, check=True, cwd=tmp_path)
    assert "usage: python benchmarks/run.py" in out.stdout

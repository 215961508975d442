"""The ``minidl`` command line: train, info, bad flags, Ctrl-C, the installed script."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import minidl as mdl
from minidl import cli, models, optim, train


def score(output: str, name: str) -> float:
    match = re.search(rf"{name}: ([0-9.]+)", output)
    assert match, f"no '{name}' line in:\n{output}"
    return float(match.group(1))


def test_train_default_reaches_95_percent_quickly(capsys):
    started = time.perf_counter()
    assert cli.main(["train"]) == 0
    seconds = time.perf_counter() - started
    captured = capsys.readouterr()
    assert score(captured.out, "test accuracy") >= 0.95
    assert "epoch 30/30" in captured.err  # the progress bar
    assert seconds < 30


def test_train_other_tasks(capsys, tmp_path):
    assert cli.main(["train", "--dataset", "diabetes", "--no-progress", "--epochs", "40"]) == 0
    out = capsys.readouterr().out
    assert score(out, "test MSE") < score(out, "predicting the training mean")

    path = tmp_path / "cancer.npz"
    arguments = ["train", "--dataset", "breast_cancer", "--optimizer", "momentum", "--no-progress"]
    assert cli.main([*arguments, "--save", str(path)]) == 0
    captured = capsys.readouterr()
    assert captured.err == "saved the model to " + str(path) + "\n"  # --no-progress is quiet
    assert score(captured.out, "test accuracy") >= 0.9
    checkpoint = mdl.load(path)
    assert checkpoint["settings"]["optimizer"] == "momentum"
    models.mlp(30, (64, 64), 1).load_state_dict(checkpoint["model"])


def test_train_cnn_runs(capsys):
    assert (
        cli.main(["train", "--model", "cnn", "--epochs", "1", "--no-progress", "--lr", "0.01"]) == 0
    )
    assert score(capsys.readouterr().out, "test accuracy") > 0.5


def test_info(capsys):
    assert cli.main(["info"]) == 0
    out = capsys.readouterr().out
    assert f"minidl {mdl.__version__}" in out and f"NumPy {np.__version__}" in out
    assert "backends available: numpy" in out


def test_info_names_the_cpu_and_gives_each_reason_once(capsys):
    assert cli.main(["info"]) == 0
    out = capsys.readouterr().out
    numpy_line = next(line for line in out.splitlines() if line.startswith("  numpy: "))
    assert numpy_line.endswith(("core)", "cores)")), numpy_line  # "AMD EPYC ... (2 cores)"
    assert numpy_line != f"  numpy: {os.uname().machine}"  # not just "x86_64"
    assert out.count("CuPy not installed") + out.count("cupy: unavailable") <= 1


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"minidl {mdl.__version__}"


def test_train_help_explains_every_flag_and_shows_the_defaults(capsys):
    parser = cli.build_parser()
    train_parser = parser._subparsers._group_actions[0].choices["train"]
    for action in train_parser._actions:
        assert action.help, f"minidl train {action.option_strings} has no help text"
    with pytest.raises(SystemExit):
        cli.main(["train", "--help"])
    text = " ".join(capsys.readouterr().out.split())  # undo the line wrapping
    for flag, default in [("--model", "mlp"), ("--dataset", "digits"), ("--batch-size", "32"),
                          ("--seed", "0"), ("--optimizer", "adam"), ("--threads", "auto")]:  # fmt: skip
        assert re.search(rf"{flag} .*?\(default: {default}\)", text), (flag, default)
    assert "adam 0.001" in text and "digits 30" in text  # the per-optimizer / per-data defaults


def test_train_in_a_log_prints_one_line_per_epoch_with_validation(capsys):
    assert cli.main(["train", "--epochs", "3"]) == 0
    captured = capsys.readouterr()  # not a terminal: no progress-bar frames
    assert "\r" not in captured.err
    epoch_lines = [line for line in captured.err.splitlines() if line.startswith("epoch ")]
    assert len(epoch_lines) == 3
    assert all("val_loss" in line and "val_accuracy" in line for line in epoch_lines)
    assert "validation" in captured.out.splitlines()[0]


def test_train_uses_one_blas_thread_for_a_small_model(capsys, monkeypatch):
    threadpoolctl = pytest.importorskip("threadpoolctl")
    seen = []

    def fit_recording_threads(*args, **kwargs):
        seen.extend(pool["num_threads"] for pool in threadpoolctl.threadpool_info()
                    if pool["user_api"] == "blas")  # fmt: skip
        return original_fit(*args, **kwargs)

    original_fit = train.fit
    monkeypatch.setattr(train, "fit", fit_recording_threads)
    # BLAS threads are the CPU path's setting (on a GPU the line says "n/a (GPU)").
    assert cli.main(["train", "--backend", "numpy", "--epochs", "1", "--no-progress"]) == 0
    assert seen and set(seen) == {1}
    assert "BLAS threads 1" in capsys.readouterr().out


@pytest.mark.parametrize(
    "arguments",
    [
        ["train", "--bogus"],
        ["train", "--optimizer", "lbfgs"],
        ["train", "--weight-decay", "-1"],
        ["train", "--model", "x5"],
        ["train", "--augment"],
        ["train", "--epochs", "0"],
        ["train", "--threads", "0"],
        ["train", "--validation", "1.5"],
        ["train", "--model", "cnn", "--dataset", "diabetes"],
        ["nonsense"],
    ],
)
def test_bad_flags_exit_2(arguments, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(arguments)
    assert exit_info.value.code == 2
    assert "usage: minidl" in capsys.readouterr().err


@pytest.mark.parametrize("lr", ["inf", "nan", "-1", "0"])
def test_non_finite_or_non_positive_lr_is_refused(lr, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["train", "--lr", lr])
    assert exit_info.value.code == 2
    assert "expected a finite number > 0" in capsys.readouterr().err


def read_only_directory(tmp_path) -> str:
    """A directory this process cannot write in: a 0555 one, or /sys for root (who may
    write anywhere chmod allows)."""
    if os.geteuid() != 0:
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o555)
        return str(locked)
    assert not os.access("/sys", os.W_OK) or os.path.isdir("/sys")
    return "/sys"


@pytest.mark.parametrize("where", ["empty", "directory", "missing", "read-only", "file-as-dir"])
def test_save_target_is_checked_before_training(where, tmp_path, capsys):
    (tmp_path / "a_file").write_text("x")
    path, why = {
        "empty": ("", "the path is empty"),
        "directory": (str(tmp_path), "it is a directory"),
        "missing": (str(tmp_path / "missing" / "m.npz"), "does not exist"),
        "read-only": (os.path.join(read_only_directory(tmp_path), "m.npz"), "no permission"),
        "file-as-dir": (str(tmp_path / "a_file" / "m.npz"), "is a file, not a directory"),
    }[where]
    started = time.perf_counter()
    assert cli.main(["train", "--no-progress", "--save", path]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""  # refused before loading data or training
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and repr(path) in lines[0] and why in lines[0], lines
    assert ".tmp" not in lines[0]
    assert time.perf_counter() - started < 5
    assert os.listdir(tmp_path) == ["a_file"]  # nothing left behind


def test_a_save_that_fails_after_training_names_the_path(monkeypatch, tmp_path, capsys):
    target = tmp_path / "gone" / "m.npz"
    target.parent.mkdir()
    real_fit = train.fit

    def fit_then_remove_the_directory(*args, **kwargs):
        result = real_fit(*args, **kwargs)
        target.parent.rmdir()
        return result

    monkeypatch.setattr("minidl.train.fit", fit_then_remove_the_directory)
    status = cli.main(["train", "--no-progress", "--epochs", "1", "--save", str(target)])
    err = capsys.readouterr().err
    assert status == 1
    assert f"cannot save to {str(target)!r}: the directory" in err and ".tmp" not in err


TRAIN_SCRIPT = "import sys; from minidl.cli import main; sys.exit(main(sys.argv[1:]))"


@pytest.mark.parametrize("signal_name", ["SIGTERM", "SIGHUP", "SIGINT"])
def test_a_stop_signal_finishes_the_step_saves_and_exits_128_plus_n(signal_name, tmp_path):
    """A real process gets the signal during training: it saves and exits 128 + n."""
    number = getattr(signal, signal_name)
    path = tmp_path / "stopped.npz"
    trainer = subprocess.Popen(
        [sys.executable, "-c", TRAIN_SCRIPT, "train", "--epochs", "500", "--no-progress",
         "--save", str(path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert trainer.stdout.readline().startswith("training")  # fit is about to start
        time.sleep(0.3)
        trainer.send_signal(number)
        out, err = trainer.communicate(timeout=60)
    finally:
        trainer.kill()
    assert trainer.returncode == 128 + number, err
    assert f"{signal_name} received, stopped after the step" in err
    assert f"saved the model to {path}" in err
    model = models.mlp(64, (64, 64), 10)
    model.load_state_dict(mdl.load(path)["model"])


def test_missing_mnist_is_a_clear_message(tmp_path, capsys):
    assert cli.main(["train", "--dataset", "mnist", "--data-root", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "train-images-idx3-ubyte.gz" in err and "--download" in err


def test_ctrl_c_finishes_the_step_saves_and_exits_130(monkeypatch, tmp_path, capsys):
    real_step, steps = optim.Adam.step, []

    def step_with_ctrl_c_inside(self):
        steps.append(1)
        if len(steps) == 20:
            signal.raise_signal(signal.SIGINT)  # arrives in the middle of step 20
        real_step(self)
        if len(steps) == 20:
            step_with_ctrl_c_inside.weights = {k: v.copy() for k, v in model_of(self).items()}

    def model_of(optimizer):
        return {str(i): p.numpy() for i, p in enumerate(optimizer.params)}

    monkeypatch.setattr(optim.Adam, "step", step_with_ctrl_c_inside)
    path = tmp_path / "interrupted.npz"
    assert cli.main(["train", "--no-progress", "--save", str(path)]) == cli.INTERRUPTED
    assert "SIGINT received, stopped after the step" in capsys.readouterr().err
    assert len(steps) == 20  # no step after the one Ctrl-C came in
    saved = list(mdl.load(path)["model"].values())
    for after_step_20, in_file in zip(step_with_ctrl_c_inside.weights.values(), saved):
        np.testing.assert_array_equal(after_step_20, in_file)  # the whole step 20, saved


def test_console_script_runs(tmp_path):
    script = shutil.which("minidl", path=str(Path(sys.executable).parent))
    if script is None:
        pytest.skip("the minidl console script is not installed next to this Python")
    result = subprocess.run(
        [script, "train", "--epochs", "3", "--no-progress"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "test accuracy" in result.stdout


def test_unavailable_backend_is_a_clear_error(capsys):
    if "cupy" in mdl.backend.available():
        pytest.skip("CuPy runs here")
    assert cli.main(["train", "--backend", "cupy", "--epochs", "1"]) == 1
    assert "cupy" in capsys.readouterr().err


def test_bench_delegates_its_arguments(monkeypatch):
    import minidl.bench

    received = []
    monkeypatch.setattr(minidl.bench, "main", lambda argv: received.append(argv) or 0)
    assert cli.main(["bench", "--quick", "--backend", "numpy"]) == 0
    assert received == [["--quick", "--backend", "numpy"]]


@pytest.mark.parametrize("opt_out", [None, "0"])
def test_train_and_bench_tune_malloc_for_their_own_process(monkeypatch, opt_out):
    import minidl.bench

    calls = []
    monkeypatch.setattr(mdl.backend, "tune_malloc", lambda: calls.append("tuned") or True)
    monkeypatch.setattr(minidl.bench, "main", lambda argv: 0)
    if opt_out is None:
        monkeypatch.delenv("MINIDL_MALLOC_TUNING", raising=False)
    else:
        monkeypatch.setenv("MINIDL_MALLOC_TUNING", opt_out)
    assert cli.main(["bench"]) == 0
    assert cli.main(["train", "--epochs", "1", "--no-progress"]) == 0
    assert calls == ([] if opt_out == "0" else ["tuned", "tuned"])


def test_train_backend_defaults_to_the_environment_variable(monkeypatch, capsys):
    monkeypatch.setenv("MINIDL_BACKEND", "nonsense")
    assert cli.main(["train", "--epochs", "1", "--no-progress"]) != 0
    assert "unknown backend 'nonsense'" in capsys.readouterr().err


def test_train_on_an_image_folder(tmp_path, capsys):
    """minidl train --data DIR: X5 on two class folders (small images to stay quick)."""
    image = pytest.importorskip("PIL.Image")
    rng = np.random.default_rng(0)
    for name, brightness in (("dark", 40), ("light", 200)):
        (tmp_path / name).mkdir()
        for index in range(10):
            pixels = np.clip(rng.normal(brightness, 20, (20, 20, 3)), 0, 255).astype(np.uint8)
            image.fromarray(pixels).save(tmp_path / name / f"{index}.png")
    arguments = ["train", "--data", str(tmp_path), "--image-size", "32", "--epochs", "3"]
    assert cli.main([*arguments, "--no-progress", "--augment", "--optimizer", "rmsprop"]) == 0
    out = capsys.readouterr().out
    assert "training x5 on folder (14 train / 2 validation / 4 test samples) with RMSprop" in out
    assert 0 <= score(out, "test accuracy") <= 1 and "ROC AUC" in out

    (tmp_path / "light" / "9.png").write_bytes(b"broken")
    assert cli.main([*arguments, "--no-progress"]) == 1
    assert "9.png' is not an image" in capsys.readouterr().err

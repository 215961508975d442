"""The ``minidl`` command line: train, info, bad flags, Ctrl-C, the installed script."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import minidl as mdl
from minidl import cli, models, optim


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


@pytest.mark.parametrize(
    "arguments",
    [
        ["train", "--bogus"],
        ["train", "--optimizer", "lbfgs"],
        ["train", "--weight-decay", "-1"],
        ["train", "--model", "x5"],
        ["train", "--augment"],
        ["train", "--epochs", "0"],
        ["train", "--model", "cnn", "--dataset", "diabetes"],
        ["nonsense"],
    ],
)
def test_bad_flags_exit_2(arguments, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(arguments)
    assert exit_info.value.code == 2
    assert "usage: minidl" in capsys.readouterr().err


def test_missing_mnist_is_a_clear_message(tmp_path, capsys):
    assert cli.main(["train", "--dataset", "mnist", "--data-root", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "train-images-idx3-ubyte.gz" in err and "--download" in err


def test_ctrl_c_saves_and_exits_130(monkeypatch, tmp_path, capsys):
    real_step, calls = optim.Adam.step, []

    def step_then_interrupt(self):
        calls.append(1)
        if len(calls) == 20:
            raise KeyboardInterrupt
        real_step(self)

    monkeypatch.setattr(optim.Adam, "step", step_then_interrupt)
    path = tmp_path / "interrupted.npz"
    assert cli.main(["train", "--no-progress", "--save", str(path)]) == cli.INTERRUPTED
    assert "interrupted" in capsys.readouterr().err
    weights = mdl.load(path)["model"]
    model = models.mlp(64, (64, 64), 10)
    model.load_state_dict(weights)  # the weights reached after 19 steps


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
    assert "training x5 on folder (16 train / 4 test samples) with RMSprop" in out
    assert 0 <= score(out, "test accuracy") <= 1 and "ROC AUC" in out

    (tmp_path / "light" / "9.png").write_bytes(b"broken")
    assert cli.main([*arguments, "--no-progress"]) == 1
    assert "9.png' is not an image" in capsys.readouterr().err

"""Training end to end on real data, and checkpoint + resume being bit-identical."""

from __future__ import annotations

import re
import signal
import sys

import numpy as np
import pytest

import minidl as mdl
from minidl import models, nn, optim
from minidl.data import DataLoader, TensorDataset, datasets, standardize, train_test_split
from minidl.train import History, evaluate, fit


def split_loaders(x, y, stratify=True, batch_size=32):
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=0.2, seed=0, stratify=y if stratify else None
    )
    train = DataLoader(TensorDataset(x_train, y_train), batch_size=batch_size, shuffle=True, seed=0)
    test = DataLoader(TensorDataset(x_test, y_test), batch_size=256)
    return train, test


def test_mlp_on_digits_reaches_95_percent(backend):
    """The documents' X4 network shape (in–64–64–10, ReLU, softmax CE, Adam, batch 32)."""
    x, y = datasets.load_digits()
    train, test = split_loaders(x, y)
    model = models.mlp(64, (64, 64), 10)
    history = fit(
        model, nn.CrossEntropyLoss(), optim.Adam(model.parameters()), train, 25,
        val_loader=test, progress=False,
    )  # fmt: skip
    assert len(history) == 25 and history.epochs[-1] == 25
    assert history.train_loss[-1] < history.train_loss[0]
    assert history["val_accuracy"][-1] >= 0.95


def test_cnn_on_digit_images_reaches_95_percent(backend):
    """X6: Conv–MaxPool (twice) – Flatten – Dense on the 8×8 images."""
    x, y = datasets.load_digits(images=True)
    train, test = split_loaders(x, y)
    model = models.cnn(1, 8, 10)
    fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=1e-2), train, 6,
        progress=False)  # fmt: skip
    assert evaluate(model, test, nn.CrossEntropyLoss())["accuracy"] >= 0.95


def test_regression_on_diabetes_beats_the_mean(backend):
    x, y = datasets.load_diabetes()
    x_train, x_test, y_train, y_test = train_test_split(x, y, seed=0)
    x_train, mean, std = standardize(x_train)
    x_test, _, _ = standardize(x_test, mean, std)
    target_mean, target_std = y_train.mean(), y_train.std()
    scaled_targets = ((y_train - target_mean) / target_std).reshape(-1, 1)
    train = DataLoader(TensorDataset(x_train, scaled_targets), batch_size=32, shuffle=True, seed=0)
    model = models.mlp(10, (32,), 1)
    fit(model, nn.MSELoss(), optim.Adam(model.parameters(), lr=1e-2), train, 60,
        metrics=(), progress=False)  # fmt: skip
    with mdl.no_grad():
        predictions = model(mdl.tensor(x_test)).numpy()[:, 0] * target_std + target_mean
    test_mse = float(np.mean((predictions - y_test) ** 2))
    baseline_mse = float(np.mean((y_train.mean() - y_test) ** 2))
    assert test_mse < 0.8 * baseline_mse


def test_logistic_net_on_breast_cancer_with_bce(backend):
    x, y = datasets.load_breast_cancer()
    x_train, x_test, y_train, y_test = train_test_split(x, y, seed=0, stratify=y)
    x_train, mean, std = standardize(x_train)
    x_test, _, _ = standardize(x_test, mean, std)
    as_column = lambda labels: labels.astype(np.float32).reshape(-1, 1)  # noqa: E731
    train = DataLoader(
        TensorDataset(x_train, as_column(y_train)), batch_size=32, shuffle=True, seed=0
    )
    test = DataLoader(TensorDataset(x_test, as_column(y_test)), batch_size=256)
    model = nn.Sequential(nn.Linear(30, 1))  # logistic regression: one logit
    history = fit(
        model, nn.BCEWithLogitsLoss(), optim.Adam(model.parameters(), lr=1e-2), train, 20,
        val_loader=test, metrics=("accuracy", "f1_score"), progress=False,
    )  # fmt: skip
    assert history.val_accuracy[-1] >= 0.95 and history.val_f1_score[-1] >= 0.95

    # With a Sigmoid and BCELoss the metrics threshold probabilities at 0.5.
    probability_model = nn.Sequential(model[0], nn.Sigmoid())
    assert evaluate(probability_model, test, nn.BCELoss())["accuracy"] == pytest.approx(
        history.val_accuracy[-1]
    )


# --------------------------------------------------------------------------- checkpoints


def resumable_setup(seed):
    """A model with Dropout (backend generator), a loader shuffled by the host generator
    and one with its own generator: every random stream a resume must restore."""
    mdl.manual_seed(seed)
    x, y = datasets.load_digits()
    x, y = x[:300], y[:300]
    model = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Dropout(0.3), nn.Linear(32, 10))
    optimizer = optim.Adam(model.parameters(), lr=1e-2)
    host_shuffled = DataLoader(TensorDataset(x, y), batch_size=50, shuffle=True)
    own_shuffled = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, seed=3)
    validation = DataLoader(TensorDataset(x[:100], y[:100]), batch_size=100)
    return model, optimizer, host_shuffled, own_shuffled, validation


@pytest.mark.parametrize("loader_kind", ["host_shuffled", "own_shuffled"])
def test_checkpoint_resume_is_bit_identical(backend, tmp_path, loader_kind):
    if backend.name != "numpy":
        pytest.skip("bit-identical resume is promised on the CPU (CuPy's generator state)")
    pick = {"host_shuffled": 2, "own_shuffled": 3}[loader_kind]
    loss_fn = nn.CrossEntropyLoss()

    setup = resumable_setup(seed=1)
    straight = fit(setup[0], loss_fn, setup[1], setup[pick], 5, val_loader=setup[4], progress=False)
    expected_weights = setup[0].state_dict()

    path = tmp_path / "run.npz"
    setup = resumable_setup(seed=1)
    fit(setup[0], loss_fn, setup[1], setup[pick], 2, val_loader=setup[4], progress=False,
        checkpoint_path=path, checkpoint_every=2)  # fmt: skip

    # A fresh process would start with other weights and another generator state.
    setup = resumable_setup(seed=99)
    resumed = fit(setup[0], loss_fn, setup[1], setup[pick], 5, val_loader=setup[4],
                  progress=False, checkpoint_path=path, resume=True)  # fmt: skip

    for name, weights in setup[0].state_dict().items():
        np.testing.assert_array_equal(weights, expected_weights[name], err_msg=name)
    assert resumed == straight
    assert mdl.load(path)["epoch"] == 5  # the last epoch is saved too


def test_resume_without_checkpoint_is_a_clear_error(tmp_path):
    model, optimizer, loader, _, _ = resumable_setup(seed=0)
    with pytest.raises(FileNotFoundError, match="no checkpoint"):
        fit(model, nn.CrossEntropyLoss(), optimizer, loader, 1, progress=False,
            checkpoint_path=tmp_path / "none.npz", resume=True)  # fmt: skip
    with pytest.raises(ValueError, match="checkpoint_path"):
        fit(model, nn.CrossEntropyLoss(), optimizer, loader, 1, resume=True)
    with pytest.raises(ValueError, match="unknown metric"):
        fit(model, nn.CrossEntropyLoss(), optimizer, loader, 1, metrics=("auc",))


def test_progress_bar_and_quiet_mode(capsys):
    model, optimizer, loader, _, validation = resumable_setup(seed=0)
    fit(model, nn.CrossEntropyLoss(), optimizer, loader, 1, val_loader=validation, progress=False)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
    fit(model, nn.CrossEntropyLoss(), optimizer, loader, 1, val_loader=validation, progress=True)
    assert "epoch 1/1" in capsys.readouterr().err


def test_progress_in_a_log_is_one_clean_line_per_epoch_with_validation(capsys):
    model, optimizer, loader, _, validation = resumable_setup(seed=0)
    fit(model, nn.CrossEntropyLoss(), optimizer, loader, 2, val_loader=validation, progress=True)
    captured = capsys.readouterr()  # captured stderr is not a terminal, like a log file
    lines = captured.err.splitlines()
    assert captured.out == "" and "\r" not in captured.err and len(lines) == 2
    for epoch, line in enumerate(lines, start=1):
        assert re.fullmatch(
            rf"epoch {epoch}/2  train_loss [0-9.]+  val_loss [0-9.]+  "
            r"val_accuracy [0-9.]+  \([0-9.]+ s\)",
            line,
        ), line


def test_progress_on_a_terminal_is_a_tqdm_bar(capsys, monkeypatch):
    pytest.importorskip("tqdm", reason="tqdm is in the train and dev extras")
    model, optimizer, loader, _, validation = resumable_setup(seed=0)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    fit(model, nn.CrossEntropyLoss(), optimizer, loader, 1, val_loader=validation, progress=True)
    err = capsys.readouterr().err
    assert "epoch 1/1:" in err and "batch" in err and "\r" in err


def test_regression_metrics_need_class_outputs():
    x = np.random.default_rng(0).normal(size=(20, 3)).astype(np.float32)
    loader = DataLoader(TensorDataset(x, x[:, :1]), batch_size=10)
    model = nn.Sequential(nn.Linear(3, 1))
    with pytest.raises(ValueError, match="metrics=()"):
        fit(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.1), loader, 1,
            val_loader=loader, progress=False)  # fmt: skip


def test_history_plot_returns_a_figure():
    import matplotlib

    matplotlib.use("Agg")
    history = History(
        {"train_loss": [1.0, 0.5], "val_loss": [1.1, 0.7], "val_accuracy": [0.5, 0.8]}
    )
    figure = history.plot(title="X3 on digits")
    assert len(figure.axes) == 2
    loss_axes, metric_axes = figure.axes
    assert figure._suptitle.get_text() == "X3 on digits"
    assert loss_axes.get_title() and loss_axes.get_xlabel() == "epoch" and loss_axes.get_ylabel()
    assert [text.get_text() for text in loss_axes.get_legend().get_texts()] == [
        "training loss", "validation loss",
    ]  # fmt: skip
    # A metric axis that ends just above 1 (perfect) and starts no higher than 0.9.
    assert metric_axes.get_ylim() == pytest.approx((0.5, 1.01)) and metric_axes.get_ylabel()
    nearly_perfect = History({"train_loss": [0.1, 0.05], "val_accuracy": [0.993, 0.998]})
    assert nearly_perfect.plot().axes[1].get_ylim() == pytest.approx((0.9, 1.002))
    assert history.epochs == [1, 2] and "val_accuracy" in repr(history)


# --------------------------------------------------------------------------- a failed resume


def everything_resume_touches(model, optimizer, loader):
    return (
        {name: value.copy() for name, value in model.state_dict().items()},
        optimizer.state_dict(),
        mdl.random.get_state(),
        loader.get_state(),
    )


def assert_unchanged(before, after):
    weights_before, optimizer_before, host_before, loader_before = before
    weights_after, optimizer_after, host_after, loader_after = after
    for name in weights_before:
        np.testing.assert_array_equal(weights_after[name], weights_before[name])
    assert optimizer_after["hyperparameters"] == optimizer_before["hyperparameters"]
    assert optimizer_after["state"].keys() == optimizer_before["state"].keys()
    for index, state in optimizer_before["state"].items():
        for entry, value in state.items():
            np.testing.assert_array_equal(optimizer_after["state"][index][entry], value)
    assert str(host_after) == str(host_before) and str(loader_after) == str(loader_before)


def trained_setup(seed, optimizer_class=optim.Adam):
    model, _, _, loader, _ = resumable_setup(seed)
    optimizer = optimizer_class(model.parameters(), lr=1e-2)
    fit(model, nn.CrossEntropyLoss(), optimizer, loader, 1, progress=False)  # non-empty state
    return model, optimizer, loader


def resume_from(path, model, optimizer, loader, **kwargs):
    fit(model, nn.CrossEntropyLoss(), optimizer, loader, 3, progress=False,
        checkpoint_path=path, resume=True, **kwargs)  # fmt: skip


def test_resume_from_another_optimizers_checkpoint_changes_nothing(tmp_path):
    path = tmp_path / "sgd.npz"
    model, optimizer, loader = trained_setup(0, optim.Momentum)
    fit(model, nn.CrossEntropyLoss(), optimizer, loader, 1, progress=False, checkpoint_path=path)
    model, optimizer, loader = trained_setup(5)
    before = everything_resume_touches(model, optimizer, loader)
    with pytest.raises(mdl.CheckpointError, match="a Momentum optimizer, but fit was given Adam"):
        resume_from(path, model, optimizer, loader)
    assert_unchanged(before, everything_resume_touches(model, optimizer, loader))

    # A checkpoint from before the optimizer's kind was stored: told by its hyper-parameters.
    checkpoint = mdl.load(path)
    del checkpoint["optimizer_kind"]
    mdl.save(checkpoint, path)
    with pytest.raises(mdl.CheckpointError, match="saved from another kind of optimizer"):
        resume_from(path, model, optimizer, loader)
    assert_unchanged(before, everything_resume_touches(model, optimizer, loader))


def test_resume_from_a_cli_save_file_or_a_bare_state_dict_says_what_the_file_holds(tmp_path):
    from minidl import cli

    cli_file = tmp_path / "cli.npz"
    assert cli.main(["train", "--epochs", "1", "--no-progress", "--save", str(cli_file)]) == 0
    model = models.mlp(64, (64, 64), 10)
    optimizer = optim.Adam(model.parameters(), lr=1e-3)
    loader = DataLoader(TensorDataset(*datasets.load_digits()), batch_size=64, seed=0)
    before = everything_resume_touches(model, optimizer, loader)
    with pytest.raises(mdl.CheckpointError, match=r"minidl train --save.*lacks \['epoch'"):
        resume_from(cli_file, model, optimizer, loader)
    bare = tmp_path / "bare.npz"
    mdl.save(model.state_dict(), bare)
    with pytest.raises(mdl.CheckpointError, match="a bare state_dict of 6 arrays"):
        resume_from(bare, model, optimizer, loader)
    assert_unchanged(before, everything_resume_touches(model, optimizer, loader))


def test_a_failure_late_in_a_resume_puts_back_what_was_loaded(tmp_path):
    """The loader's state is restored last; when it cannot be, weights and optimizer
    state, already loaded by then, go back to what they were."""
    path = tmp_path / "run.npz"
    model, optimizer, loader = trained_setup(0)
    fit(model, nn.CrossEntropyLoss(), optimizer, loader, 1, progress=False, checkpoint_path=path)
    model, optimizer, _ = trained_setup(7)
    unseeded = DataLoader(loader.dataset, batch_size=64, shuffle=True)  # no state of its own
    before = everything_resume_touches(model, optimizer, loader)
    with pytest.raises(mdl.CheckpointError, match="no generator of its own.*nothing was changed"):
        resume_from(path, model, optimizer, unseeded)
    assert_unchanged(before, everything_resume_touches(model, optimizer, loader))


def test_resume_with_another_scheduler_changes_nothing(tmp_path):
    from minidl.optim import lr_scheduler

    path = tmp_path / "run.npz"
    model, optimizer, loader = trained_setup(0)
    fit(model, nn.CrossEntropyLoss(), optimizer, loader, 1, progress=False, checkpoint_path=path,
        scheduler=lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5))  # fmt: skip
    model, optimizer, loader = trained_setup(3)
    before = everything_resume_touches(model, optimizer, loader)
    with pytest.raises(mdl.CheckpointError, match="StepLR scheduler, but fit got ExponentialLR"):
        resume_from(path, model, optimizer, loader,
                    scheduler=lr_scheduler.ExponentialLR(optimizer, gamma=0.9))  # fmt: skip
    with pytest.raises(mdl.CheckpointError, match="pass scheduler="):
        resume_from(path, model, optimizer, loader)
    assert_unchanged(before, everything_resume_touches(model, optimizer, loader))


# --------------------------------------------------------------------------- silently wrong runs


def digits_loader(count=200, batch_size=50, **kwargs):
    x, y = datasets.load_digits()
    return DataLoader(TensorDataset(x[:count], y[:count]), batch_size=batch_size, **kwargs)


def small_model():
    mdl.manual_seed(0)
    return nn.Sequential(nn.Linear(64, 16), nn.ReLU(), nn.Linear(16, 10))


def test_a_nan_in_the_data_stops_fit_at_that_batch_before_it_changes_anything():
    mdl.set_backend("numpy")  # the host promise; a device reads its losses once an epoch
    x, y = datasets.load_digits()
    x, y = x[:200].copy(), y[:200]
    x[130, 5] = np.nan  # sample 130: the third batch of 50
    loader = DataLoader(TensorDataset(x, y), batch_size=50)
    model = small_model()
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    weights_seen = []
    real_step = optimizer.step

    def step_and_record():
        real_step()
        weights_seen.append(model.state_dict())

    optimizer.step = step_and_record
    with pytest.raises(FloatingPointError, match=r"epoch 1, batch 3.*detect_anomaly"):
        fit(model, nn.CrossEntropyLoss(), optimizer, loader, 2, progress=False)
    assert len(weights_seen) == 2
    for name, value in model.state_dict().items():
        assert np.all(np.isfinite(value))
        np.testing.assert_array_equal(value, weights_seen[-1][name])

    # The opt-out trains on, as before.
    history = fit(model, nn.CrossEntropyLoss(), optimizer, loader, 1, progress=False,
                  stop_on_nonfinite_loss=False)  # fmt: skip
    assert np.isnan(history.train_loss[-1])


def test_a_nan_loss_names_its_batch_on_every_backend(backend):
    """On the host fit stops before the bad batch's step. On a GPU it reads the epoch's
    losses once, at its end (a read per batch would stall the GPU): the error names the
    same batch and says that the epoch's steps were taken."""
    x, y = datasets.load_digits()
    x, y = x[:200].copy(), y[:200]
    x[130, 5] = np.nan  # sample 130: the third batch of 50
    model = small_model()
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    steps = []
    real_step = optimizer.step
    optimizer.step = lambda: steps.append(real_step())
    loader = DataLoader(TensorDataset(x, y), batch_size=50)
    with pytest.raises(FloatingPointError, match=r"epoch 1, batch 3") as error:
        fit(model, nn.CrossEntropyLoss(), optimizer, loader, 2, progress=False)
    if backend.host_memory:
        assert len(steps) == 2 and "before this batch changed the weights" in str(error.value)
    else:
        assert len(steps) == 4 and "read from the device" in str(error.value)


def test_out_of_range_labels_on_a_device_stop_fit_instead_of_wrapping(backend):
    """A GPU wraps a bad class index around (label 10 of 10 classes would train class 0).
    Labels reach the loss on the device, so the loss turns NaN there, and fit stops."""
    x, y = datasets.load_digits()
    y = y[:200].copy()
    y[120] = 10  # the third batch of 50; the model has 10 classes, 0-9
    loader = DataLoader(TensorDataset(x[:200], y), batch_size=50)
    model = small_model()
    expected = FloatingPointError if not backend.host_memory else ValueError
    match = r"epoch 1, batch 3" if not backend.host_memory else r"in \[0, 9\].*from 0 to 10"
    with pytest.raises(expected, match=match):
        fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), loader, 1,
            progress=False)  # fmt: skip


def test_fit_on_a_device_reads_it_back_a_fixed_number_of_times_per_epoch(strict):
    """Defect: fit read loss.item() every batch, and each read waits for the GPU's queued
    work. The reads per epoch must not grow with the number of batches."""
    x, y = datasets.load_digits()

    def reads(batches: int) -> int:
        with mdl.use_backend(strict):
            model = small_model()
            loader = DataLoader(TensorDataset(x[: 20 * batches], y[: 20 * batches]), batch_size=20)
            validation = DataLoader(TensorDataset(x[:60], y[:60]), batch_size=20)
            strict.syncs.reset()
            fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), loader,
                2, val_loader=validation, progress=False)  # fmt: skip
            return strict.syncs.count

    few, many = reads(3), reads(12)
    assert few == many, strict.sync_report()
    # Per epoch: the train losses; the validation losses, outputs and labels (for metrics).
    assert many == 2 * 4


def test_a_huge_learning_rate_stops_at_the_first_non_finite_loss():
    model = small_model()
    with pytest.raises(FloatingPointError, match="the loss is (nan|inf) at epoch 1, batch"):
        fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=1e30),
            digits_loader(), 3, progress=False)  # fmt: skip


def test_non_finite_or_non_positive_learning_rates_are_refused():
    model = small_model()
    for lr in (float("inf"), float("nan"), 0.0, -1e-3):
        with pytest.raises(ValueError, match="lr must be a finite number > 0"):
            optim.Adam(model.parameters(), lr=lr)


def test_empty_loaders_are_refused():
    model = small_model()
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    empty = DataLoader(TensorDataset(np.zeros((0, 64), np.float32), np.zeros(0, np.int64)))
    with pytest.raises(ValueError, match="train_loader gives no batches .*0 samples"):
        fit(model, nn.CrossEntropyLoss(), optimizer, empty, 1, progress=False)
    with pytest.raises(ValueError, match="val_loader gives no batches"):
        fit(model, nn.CrossEntropyLoss(), optimizer, digits_loader(), 1, val_loader=empty,
            progress=False)  # fmt: skip
    dropped = digits_loader(count=10, batch_size=50, drop_last=True)
    with pytest.raises(ValueError, match="fewer than batch_size=50 with drop_last=True"):
        fit(model, nn.CrossEntropyLoss(), optimizer, dropped, 1, progress=False)
    with pytest.raises(ValueError, match="gives no batches"):  # no len(): found after the epoch
        fit(model, nn.CrossEntropyLoss(), optimizer, iter([]), 1, progress=False)
    with pytest.raises(ValueError, match="evaluate's loader gives no batches"):
        evaluate(model, empty, nn.CrossEntropyLoss())


def test_batches_without_targets_are_a_clear_type_error():
    model = small_model()
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    x, _ = datasets.load_digits()
    no_labels = DataLoader(TensorDataset(x[:100]), batch_size=50)
    with pytest.raises(TypeError, match=r"\(inputs, targets\) pairs.*TensorDataset\(x\) has no"):
        fit(model, nn.CrossEntropyLoss(), optimizer, no_labels, 1, progress=False)
    with pytest.raises(TypeError, match="wrap arrays in TensorDataset"):
        DataLoader(x, batch_size=50)
    with pytest.raises(TypeError, match="got a ndarray"):
        fit(model, nn.CrossEntropyLoss(), optimizer, x, 1, progress=False)


# --------------------------------------------------------------------------- kills and memory

TRAIN_WITH_CHECKPOINTS = """
import os, sys
import minidl as mdl
from minidl import nn, optim
from minidl.data import DataLoader, TensorDataset, datasets

checkpoint, result, epochs = sys.argv[1], sys.argv[2], int(sys.argv[3])
mdl.manual_seed(1)
x, y = datasets.load_digits()
model = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Dropout(0.3), nn.Linear(32, 10))
optimizer = optim.Adam(model.parameters(), lr=1e-2)
loader = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True, seed=3)
print("started", flush=True)
mdl.train.fit(model, nn.CrossEntropyLoss(), optimizer, loader, epochs, progress=False,
              checkpoint_path=checkpoint, resume=os.path.exists(checkpoint))
mdl.save(model.state_dict(), result)
"""


def test_sigkill_during_fit_then_resume_is_bit_identical(tmp_path):
    import subprocess
    import sys
    import time

    epochs = 6

    def run(checkpoint, result, kill_after=None):
        trainer = subprocess.Popen(
            [sys.executable, "-c", TRAIN_WITH_CHECKPOINTS, str(checkpoint), str(result),
             str(epochs)], stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            assert trainer.stdout.readline().strip() == "started"
            if kill_after is not None:
                deadline = time.monotonic() + 60
                while not checkpoint.exists() and time.monotonic() < deadline:
                    time.sleep(0.01)
                time.sleep(kill_after)
                trainer.send_signal(signal.SIGKILL)
            trainer.wait(timeout=120)
        finally:
            trainer.kill()
            trainer.stdout.close()

    run(tmp_path / "straight.npz", tmp_path / "straight_result.npz")
    checkpoint = tmp_path / "run.npz"
    for delay in (0.0, 0.05):  # killed twice, somewhere after a checkpoint was written
        run(checkpoint, tmp_path / "result.npz", kill_after=delay)
    run(checkpoint, tmp_path / "result.npz")  # resumes, to the end
    straight, resumed = (
        mdl.load(tmp_path / "straight_result.npz"),
        mdl.load(tmp_path / "result.npz"),
    )
    for name in straight:
        np.testing.assert_array_equal(resumed[name], straight[name], err_msg=name)


def test_memory_stays_flat_over_many_training_steps():
    """Graphs are freed: the resident memory after 2,000 steps is that after 200."""
    import os

    if not os.path.exists("/proc/self/statm"):
        pytest.skip("reads the resident memory from /proc (Linux)")

    def resident_bytes():
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

    mdl.manual_seed(0)
    x, y = datasets.load_digits()
    model = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
    optimizer = optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    inputs, targets = mdl.tensor(x[:32]), mdl.tensor(y[:32])
    for step in range(2000):
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
        if step == 199:
            after_200 = resident_bytes()
    growth = resident_bytes() - after_200
    assert growth < 4 * 2**20, f"resident memory grew by {growth / 2**20:.1f} MiB"


# --------------------------------------------------------------------------- another backend


class SecondArray(np.ndarray):
    """The arrays of the second backend: NumPy memory, but their own type, so that
    ``backend_of`` tells them from NumPy's."""


class OpaqueGenerator:
    """A generator whose state cannot be read, like CuPy's (``bit_generator.state`` is a
    method there): the second backend saves a seed instead."""

    def __init__(self, seed):
        self._rng = np.random.default_rng(seed)
        self.bit_generator = self

    def state(self):
        raise NotImplementedError("this generator's state cannot be read")

    def random(self, shape, dtype):
        return self._rng.random(shape, dtype=dtype).view(SecondArray)


class SecondBackend(mdl.backend.Backend):
    """A second backend registered beside NumPy, run by NumPy itself."""

    name = "second"
    xp = np
    array_type = SecondArray

    def asarray(self, data, dtype=None):
        return np.asarray(data, dtype=dtype).view(SecondArray)

    def to_host(self, array):
        return np.asarray(array).view(np.ndarray)

    def seed(self, seed):
        self.rng = OpaqueGenerator(seed)


@pytest.fixture
def second_backend():
    mdl.backend.register("second", SecondBackend)
    yield mdl.backend.get("second")
    mdl.set_backend("numpy")
    mdl.backend._factories.pop("second", None)
    mdl.backend._built.pop("second", None)


def test_backend_rng_state_restores_the_draws(second_backend):
    for backend in (mdl.backend.get("numpy"), second_backend):
        backend.seed(5)
        backend.uniform((3,), np.float32)
        state = backend.get_rng_state()
        assert state["backend"] == backend.name
        assert ("bit_generator" in state) == (backend.name == "numpy")  # exact, or a seed
        after = backend.to_host(backend.uniform((4,), np.float32))
        backend.seed(123)
        backend.set_rng_state(state)
        np.testing.assert_array_equal(backend.to_host(backend.uniform((4,), np.float32)), after)


def test_backend_rng_state_from_another_backend_reseeds_deterministically(second_backend):
    numpy_backend = mdl.backend.get("numpy")
    for saver, loader in ((numpy_backend, second_backend), (second_backend, numpy_backend)):
        saver.seed(7)
        state = saver.get_rng_state()
        draws = []
        for other_seed in (1, 2):
            loader.seed(other_seed)
            loader.set_rng_state(state)
            draws.append(loader.to_host(loader.uniform((4,), np.float32)))
        np.testing.assert_array_equal(draws[0], draws[1])
    with pytest.raises(ValueError, match="get_rng_state"):
        numpy_backend.set_rng_state({"bit_generator": {}})


@pytest.mark.parametrize("saved_on, resumed_on", [("numpy", "second"), ("second", "numpy")])
def test_checkpoint_resumes_on_another_backend(second_backend, tmp_path, saved_on, resumed_on):
    """A fit checkpoint written on one backend goes on on another: the weights and the
    optimizer state move there, and its dropout generator is reseeded from the saved one."""
    loss_fn = nn.CrossEntropyLoss()
    path = tmp_path / "run.npz"
    with mdl.use_backend(saved_on):
        model, optimizer, loader, _, validation = resumable_setup(seed=1)
        model.to(saved_on)
        first = fit(model, loss_fn, optimizer, loader, 2, val_loader=validation,
                    progress=False, checkpoint_path=path)  # fmt: skip
    assert mdl.load(path)["random"]["backend"]["backend"] == saved_on

    runs = []
    for seed in (98, 99):  # resuming one checkpoint twice gives the same run, whatever the
        with mdl.use_backend(resumed_on):  # generators held before
            model, optimizer, loader, _, validation = resumable_setup(seed=seed)
            model.to(resumed_on)
            history = fit(model, loss_fn, optimizer, loader, 4, val_loader=validation,
                          progress=False, checkpoint_path=path, resume=True)  # fmt: skip
        assert {parameter.device for parameter in model.parameters()} == {resumed_on}
        moments = [v for state in optimizer.state for v in state.values() if not isinstance(v, int)]
        assert moments and {mdl.backend.backend_of(v).name for v in moments} == {resumed_on}
        runs.append((history, model.state_dict()))
    assert runs[0][0] == runs[1][0]
    assert len(runs[0][0].train_loss) == 4
    assert {key: values[:2] for key, values in runs[0][0].records.items()} == first.records
    for name, weights in runs[0][1].items():
        np.testing.assert_array_equal(weights, runs[1][1][name], err_msg=name)

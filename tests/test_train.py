"""Training end to end on real data, and checkpoint + resume being bit-identical."""

from __future__ import annotations

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
    figure = history.plot()
    assert len(figure.axes) == 2
    assert history.epochs == [1, 2] and "val_accuracy" in repr(history)


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

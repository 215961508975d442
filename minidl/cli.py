"""The ``minidl`` command: train, bench, info.

minidl train                         an MLP on the bundled digits data, Adam, NumPy
minidl train --model cnn --epochs 10 --save digits.npz
minidl train --dataset diabetes      regression: test MSE against predicting the mean
minidl train --data photos/          images from class folders (X5: 150×150 RGB, two classes)
mpiexec -n 2 minidl train --distributed   data-parallel on 2 ranks (pip install minidl[dist])
minidl info                          version, Python, NumPy/CuPy, backends, GPU
minidl bench                         time the documents' networks on every backend
"""

from __future__ import annotations

import argparse
import os
import platform
import signal
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from minidl import recipes

DATASETS = ("digits", "breast_cancer", "diabetes", "mnist", "fashion-mnist")
IMAGE_DATASETS = ("digits", "mnist", "fashion-mnist")
DEFAULT_EPOCHS = {
    "digits": 30,
    "breast_cancer": 30,
    "diabetes": 100,
    "mnist": 5,
    "fashion-mnist": 5,
    "folder": 10,
}
INTERRUPTED = 130  # the shell's exit status after Ctrl-C (128 + SIGINT)
# The signals after which `minidl train` finishes its step, saves (--save) and exits 128 + n.
STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


def main(argv: list[str] | None = None) -> int:
    """Run the command in ``argv`` (default: the process arguments); returns the exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] == "bench":  # the suite parses its own flags
        tune_malloc_for_this_process()
        return run_bench(argv[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "train":
        check_train_args(parser, args)
        problem = save_target_problem(args.save)
        if problem:  # found before training, not after it
            print(f"minidl train: error: --save {args.save!r}: {problem}", file=sys.stderr)
            return 2
        tune_malloc_for_this_process()
        return run_train(args)
    if args.command == "info":
        return run_info()
    parser.print_help(sys.stderr)  # no command: an error, so the help goes to stderr
    return 2


def tune_malloc_for_this_process() -> None:
    """``minidl train`` and ``minidl bench`` own their process, so they may choose how it
    allocates: glibc keeps freed arrays for reuse (``minidl.backend.tune_malloc``), which
    spares a training step thousands of page faults. ``MINIDL_MALLOC_TUNING=0`` opts out."""
    if os.environ.get("MINIDL_MALLOC_TUNING", "1") != "0":
        from minidl.backend import tune_malloc

        tune_malloc()


def build_parser() -> argparse.ArgumentParser:
    from minidl import __version__

    parser = argparse.ArgumentParser(
        prog="minidl", description="minidl: a small, readable deep learning library."
    )
    parser.add_argument("--version", action="version", version=f"minidl {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="{train,bench,info}")

    train = commands.add_parser(
        "train",
        help="train a model on a real data set and report its test score",
        description="Train a model and report its score on a held-out test set. "
        "A part of the training set is held out for validation, reported after every epoch.",
        formatter_class=DefaultsHelpFormatter,
    )
    train.add_argument(
        "--model",
        choices=("mlp", "cnn", "x5"),
        default="mlp",
        help="mlp: two hidden layers of 64 ReLU units; cnn: conv-pool blocks then a dense "
        "layer (image data sets only); x5: the documents' 150×150 image classifier, which "
        "--data always trains",
    )
    train.add_argument(
        "--dataset", choices=DATASETS, default="digits",
        help="digits, breast_cancer and diabetes come with scikit-learn; (fashion-)mnist "
        "need their IDX files in --data-root (or --download)",
    )  # fmt: skip
    train.add_argument(
        "--data",
        metavar="DIR",
        help="train on images in DIR/<class>/ (or DIR/train/<class>/ and DIR/validation/"
        "<class>/), read like Keras' flow_from_directory",
    )
    train.add_argument(
        "--image-size", type=positive_int, default=150, help="--data images are resized to it"
    )
    train.add_argument(
        "--augment", action="store_true", help="random flips, rotations, zooms, shifts (T4)"
    )
    train.add_argument("--data-root", default="data", help="folder of the (Fashion-)MNIST files")
    train.add_argument(
        "--download", action="store_true", help="fetch missing (Fashion-)MNIST files"
    )
    train.add_argument(
        "--optimizer",
        choices=recipes.OPTIMIZERS,
        default="adam",
        help="the update rule (docs/formulas.md, O1-O4); gd takes the whole training set as "
        "one batch",
    )
    train.add_argument(
        "--lr", type=positive_float,
        help="learning rate (default per optimizer: "
        + ", ".join(f"{name} {rate:g}" for name, rate in recipes.DEFAULT_LR.items()) + ")",
    )  # fmt: skip
    train.add_argument(
        "--weight-decay", type=non_negative_float, default=0.0, help="L2 regularization λ (T2)"
    )
    train.add_argument(
        "--epochs", type=positive_int,
        help="passes over the training set (default per data set: "
        + ", ".join(f"{name} {count}" for name, count in DEFAULT_EPOCHS.items()) + ")",
    )  # fmt: skip
    train.add_argument(
        "--batch-size", type=positive_int, default=32,
        help="samples per optimizer step, per rank with --distributed (ignored by gd, "
        "which takes the whole set)",
    )  # fmt: skip
    train.add_argument(
        "--validation", type=fraction, default=0.1, metavar="FRACTION",
        help="share of the training set held out to validate on after every epoch "
        "(0 for none); the test set is used only once, at the end",
    )  # fmt: skip
    train.add_argument(
        "--backend",
        choices=("numpy", "cupy"),
        default=None,
        help="array backend (default: $MINIDL_BACKEND if set, else numpy)",
    )
    train.add_argument(
        "--threads", type=thread_count, default="auto",
        help="BLAS threads for the NumPy backend; auto: 1 for models as small as these, "
        "where more threads only wait for each other (10-20x slower on a busy machine)",
    )  # fmt: skip
    train.add_argument(
        "--seed", type=int, default=0,
        help="seeds the data split, the initial weights and the shuffling (same seed, same run)",
    )  # fmt: skip
    train.add_argument("--save", metavar="PATH", help="save the trained weights (.npz)")
    train.add_argument(
        "--no-progress", action="store_true",
        help="print nothing during training (by default: a progress bar on a terminal, "
        "one line per epoch in a log)",
    )  # fmt: skip
    train.add_argument(
        "--distributed",
        action="store_true",
        help="data-parallel over the ranks of mpiexec -n P (MPI; NCCL with --backend cupy)",
    )

    commands.add_parser(
        "bench", help="time the documents' networks on every backend (minidl bench --help)"
    )
    commands.add_parser("info", help="versions, backends and devices")
    return parser


class DefaultsHelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows "(default: ...)" after a flag's help, except where there is nothing to show
    (an on/off switch, or a default the help text explains)."""

    def _get_help_string(self, action: argparse.Action) -> str:
        if action.default is None or action.default is False or action.default == argparse.SUPPRESS:
            return action.help or ""
        return super()._get_help_string(action)


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text}")
    return value


def positive_float(text: str) -> float:
    value = float(text)
    if not 0 < value < float("inf"):  # also refuses nan
        raise argparse.ArgumentTypeError(f"expected a finite number > 0, got {text}")
    return value


def non_negative_float(text: str) -> float:
    value = float(text)
    if not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a finite number >= 0, got {text}")
    return value


def fraction(text: str) -> float:
    value = float(text)
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"expected a fraction in [0, 1), got {text}")
    return value


def thread_count(text: str) -> int | str:
    if text == "auto":
        return text
    try:
        return positive_int(text)
    except (ValueError, argparse.ArgumentTypeError):
        raise argparse.ArgumentTypeError(
            f"expected 'auto' or a positive integer, got {text}"
        ) from None


def check_train_args(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if args.data is not None:
        args.dataset = "folder"
        if args.model == "cnn":
            parser.error("--data trains the x5 image model, got --model cnn")
        args.model = "x5"
    elif args.model == "x5":
        parser.error("--model x5 reads images from class folders: give --data DIR")
    elif args.augment and args.model != "cnn":
        parser.error("--augment transforms images: use it with --model cnn or --data DIR")
    if args.model == "cnn" and args.dataset not in IMAGE_DATASETS:
        parser.error(
            f"--model cnn needs an image data set ({', '.join(IMAGE_DATASETS)}), "
            f"got --dataset {args.dataset}"
        )
    if args.seed < 0:
        parser.error(f"--seed must be >= 0, got {args.seed}")


def save_target_problem(path: str | None) -> str | None:
    """Why ``--save path`` could not be written (checked before training), or None."""
    from minidl.serialization import check_save_target

    if path is None:
        return None
    try:
        check_save_target(path)
    except (OSError, ValueError) as error:
        return str(error).split(": ", 1)[-1]  # the reason, without "cannot save to 'path'"
    return None


# --------------------------------------------------------------------------- train


@dataclass
class Task:
    """A data set ready to train on, and what kind of problem it is."""

    kind: str  # "classification", "binary" or "regression"
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    num_outputs: int
    preprocessing: dict[str, Any] = field(default_factory=dict)


def load_task(args: argparse.Namespace) -> Task:
    """Load and prepare the data set named by ``--dataset``."""
    from minidl.data import datasets, standardize, train_test_split

    if args.data is not None:
        return load_image_folder(args)
    images = args.model == "cnn"
    if args.dataset == "digits":
        x, y = datasets.load_digits(images=images)
        x_train, x_test, y_train, y_test = train_test_split(x, y, seed=args.seed, stratify=y)
        return Task("classification", x_train, y_train, x_test, y_test, 10)
    if args.dataset in ("mnist", "fashion-mnist"):
        loader = datasets.mnist if args.dataset == "mnist" else datasets.fashion_mnist
        x_train, y_train = loader(args.data_root, train=True, download=args.download)
        x_test, y_test = loader(args.data_root, train=False, download=args.download)
        if not images:
            x_train, x_test = x_train.reshape(len(x_train), -1), x_test.reshape(len(x_test), -1)
        return Task("classification", x_train, y_train, x_test, y_test, 10)

    if args.dataset == "breast_cancer":
        x, y = datasets.load_breast_cancer()
        stratify = y
    else:
        x, y = datasets.load_diabetes()
        stratify = None
    x_train, x_test, y_train, y_test = train_test_split(x, y, seed=args.seed, stratify=stratify)
    x_train, mean, std = standardize(x_train)  # D1, with the training set's statistics
    x_test, _, _ = standardize(x_test, mean, std)
    preprocessing = {"feature_mean": mean, "feature_std": std}
    if args.dataset == "breast_cancer":
        column = lambda labels: labels.astype(np.float32).reshape(-1, 1)  # noqa: E731
        return Task("binary", x_train, column(y_train), x_test, column(y_test), 1, preprocessing)
    # Regression: train on standardized targets, report the MSE in the original units.
    target_mean, target_std = float(y_train.mean()), float(y_train.std())
    preprocessing.update(target_mean=target_mean, target_std=target_std)
    scaled = ((y_train - target_mean) / target_std).reshape(-1, 1)
    return Task("regression", x_train, scaled, x_test, y_test, 1, preprocessing)


def load_image_folder(args: argparse.Namespace) -> Task:
    """Two classes of images from ``--data``: DIR/<class>/, split 80/20, or DIR/train/<class>/
    and DIR/validation/<class>/ (Keras' layout) when both exist."""
    from pathlib import Path

    from minidl.data import ImageFolder, train_test_split

    def read(folder: Path) -> tuple[np.ndarray, np.ndarray]:
        data = ImageFolder(folder, (args.image_size, args.image_size), class_mode="binary")
        images = np.stack([data[index][0] for index in range(len(data))])
        return images, data.labels.astype(np.float32).reshape(-1, 1)

    root = Path(args.data)
    if (root / "train").is_dir() and (root / "validation").is_dir():
        x_train, y_train = read(root / "train")
        x_test, y_test = read(root / "validation")
    else:
        x, y = read(root)
        x_train, x_test, y_train, y_test = train_test_split(x, y, seed=args.seed, stratify=y)
    return Task("binary", x_train, y_train, x_test, y_test, 1)


def build_model(args: argparse.Namespace, task: Task):
    if args.model == "x5":
        from minidl import models

        return models.x5_cnn(task.x_train.shape[1], task.x_train.shape[2])
    return recipes.model_for(args.model, task.x_train.shape[1:], task.num_outputs)


def build_optimizer(args: argparse.Namespace, model):
    return recipes.optimizer(args.optimizer, model.parameters(), args.lr, args.weight_decay)


def run_train(args: argparse.Namespace) -> int:
    """``minidl train``: load the data, train, print the test score, save if asked.

    Ctrl-C (SIGINT), SIGTERM and SIGHUP during training let the current step finish,
    save the weights reached so far to ``--save`` when given, and exit with 128 + the
    signal's number (130, 143, 129). A second signal before the save stops at once,
    without saving; one during the save waits until the file is complete.
    """
    import minidl as mdl

    try:
        backend = mdl.backend.get(args.backend or os.environ.get("MINIDL_BACKEND") or "numpy")
        task = load_task(args)
    except mdl.BackendUnavailableError as error:
        print(f"minidl train: {error}", file=sys.stderr)
        return 1
    except (FileNotFoundError, ImportError, ValueError, OSError) as error:
        hint = " (or pass --download)" if isinstance(error, FileNotFoundError) else ""
        print(f"minidl train: {error}{hint}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return INTERRUPTED
    communicator = None
    if args.distributed:
        try:
            communicator = mdl.distributed.init(backend="nccl" if backend.name == "cupy" else "mpi")
        except mdl.BackendUnavailableError as error:
            print(f"minidl train: {error}", file=sys.stderr)
            return 1
    with mdl.use_backend(backend):
        return train_and_report(args, task, communicator)


def train_and_report(args: argparse.Namespace, task: Task, communicator=None) -> int:
    """Train and report; with a ``communicator``, this rank's part of a data-parallel run
    (its share of each batch, gradients averaged over the ranks, printing on rank 0)."""
    import minidl as mdl
    from minidl import nn, train
    from minidl.data import (
        DataLoader,
        DistributedSampler,
        TensorDataset,
        train_test_split,
        transforms,
    )

    is_main = communicator is None or communicator.is_main
    say = print if is_main else (lambda *_, **__: None)
    mdl.manual_seed(args.seed)
    model = build_model(args, task)
    optimizer = build_optimizer(args, model)
    rule = type(optimizer).__name__
    if communicator is not None:
        optimizer = mdl.distributed.DistributedOptimizer(optimizer, communicator)
    loss_fn = {
        "classification": nn.CrossEntropyLoss(),
        "binary": nn.BCELoss() if args.model == "x5" else nn.BCEWithLogitsLoss(),
        "regression": nn.MSELoss(),
    }[task.kind]
    augment = None
    if args.augment:  # Keras' ImageDataGenerator settings of the X5 example, roughly
        augment = transforms.Compose(
            [
                transforms.RandomRotation(40),
                transforms.RandomShift(0.2),
                transforms.RandomZoom(0.2),
                transforms.RandomHorizontalFlip(),
            ]
        )
    x_fit, y_fit, val_loader = task.x_train, task.y_train, None
    if args.validation > 0:
        x_fit, x_val, y_fit, y_val = train_test_split(
            task.x_train, task.y_train, test_size=args.validation, seed=args.seed,
            stratify=task.y_train.reshape(len(task.y_train), -1)[:, 0]
            if task.kind != "regression" else None,
        )  # fmt: skip
        val_loader = DataLoader(TensorDataset(x_val, y_val), batch_size=1024)
    dataset = TensorDataset(x_fit, y_fit)
    if communicator is None:
        batch_size = len(dataset) if args.optimizer == "gd" else args.batch_size
        train_loader = DataLoader(
            dataset, batch_size=batch_size, shuffle=True, seed=args.seed, transform=augment
        )
        batch_text = f"batch {batch_size}"
    else:
        sampler = DistributedSampler(len(dataset), shuffle=True, seed=args.seed)
        batch_size = len(sampler) if args.optimizer == "gd" else args.batch_size
        train_loader = DataLoader(
            dataset, batch_size=batch_size, sampler=sampler, transform=augment
        )
        ranks = communicator.world_size
        batch_text = (
            f"batch {batch_size} per rank × {ranks} ranks = global batch {batch_size * ranks}"
        )
    epochs = args.epochs or DEFAULT_EPOCHS[args.dataset]
    threads_limit, threads_shown = blas_threads(args, model)
    held_out = f"{len(task.x_train) - len(x_fit)} validation / " if val_loader else ""
    say(
        f"training {args.model} on {args.dataset} ({len(x_fit)} train / {held_out}"
        f"{len(task.x_test)} test samples) with {rule} "
        f"lr={optimizer.lr:g}, {epochs} epochs, {batch_text}, "
        f"backend {mdl.get_backend().name}, BLAS threads {threads_shown}"
    )
    started = time.perf_counter()

    def save(status: int) -> int:  # the replicas are equal: rank 0 alone saves
        return save_model(args, model, task, status=status) if is_main else status

    with StopOnSignals(optimizer) as stopper, threads_limit:
        try:
            train.fit(
                model, loss_fn, optimizer, train_loader, epochs, val_loader=val_loader,
                metrics=() if task.kind == "regression" else ("accuracy",),
                progress=not args.no_progress,
            )  # fmt: skip
        except StopRequested:
            name = signal.Signals(stopper.received[0]).name
            print(f"\nminidl train: {name} received, stopped after the step", file=sys.stderr)
            return save(128 + stopper.received[0])
        except KeyboardInterrupt:
            if stopper.received:  # a second signal: the user wants out now
                print("\ninterrupted again: stopped without saving", file=sys.stderr)
                return 128 + stopper.received[0]
            print("\ninterrupted", file=sys.stderr)
            return save(INTERRUPTED)
        stopper.training = False  # from here on, signals wait for the report and the save
        say(f"trained in {time.perf_counter() - started:.1f} s")
        if is_main:
            report_test_score(model, task)
        return save(128 + stopper.received[0] if stopper.received else 0)


# Below this many elements in its largest parameter, a model's matrix products are too
# small for a second BLAS thread to pay for its hand-offs. Measured on 2 cores under load
# (load average 14): X3 on digits, 10 epochs, 0.43 s with 1 thread and 7.7 s with 2; a
# 128×128 product 0.17 ms and 59 ms. Idle, 2 threads gain little below 1024×1024.
SMALL_MODEL_ELEMENTS = 1 << 20


def blas_threads(args: argparse.Namespace, model) -> tuple[Any, str]:
    """The context that limits NumPy's BLAS threads during training, and how to show it.

    ``--threads auto`` takes 1 thread for a small model on the NumPy backend and leaves
    the BLAS default otherwise; a number sets it. threadpoolctl (in the train extra)
    does the limiting, and only inside the context: importing minidl changes nothing.
    """
    import contextlib

    import minidl as mdl

    if mdl.get_backend().name != "numpy":
        return contextlib.nullcontext(), "n/a (GPU)"
    threads = args.threads
    if threads == "auto":
        largest = max(parameter.data.size for parameter in model.parameters())
        if largest > SMALL_MODEL_ELEMENTS:
            return contextlib.nullcontext(), "BLAS default (a large model)"
        threads = 1
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        if args.threads == "auto":
            return contextlib.nullcontext(), "BLAS default (pip install threadpoolctl to choose)"
        raise SystemExit(
            "minidl train: --threads needs threadpoolctl: pip install threadpoolctl "
            '(it comes with pip install "minidl[train]")'
        ) from None
    return threadpool_limits(limits=threads, user_api="blas"), str(threads)


class StopRequested(Exception):
    """Raised after an optimizer step when a stop signal arrived during training."""


class StopOnSignals:
    """Within ``with StopOnSignals(optimizer):`` the STOP_SIGNALS are recorded in
    ``received``, and the optimizer raises StopRequested once its current step is
    complete (the weights are never left half-updated). While ``training`` is True a
    second signal raises KeyboardInterrupt at once; after it, signals are only recorded.
    """

    def __init__(self, optimizer) -> None:
        self.optimizer = optimizer
        self.received: list[int] = []
        self.training = True
        self.previous_handlers: dict[int, Any] = {}

    def on_signal(self, number: int, frame) -> None:
        self.received.append(number)
        if self.training and len(self.received) > 1:
            raise KeyboardInterrupt

    def __enter__(self) -> StopOnSignals:
        take_step = self.optimizer.step

        def step_then_stop_if_asked() -> None:
            take_step()
            if self.received:
                raise StopRequested

        self.optimizer.step = step_then_stop_if_asked
        for number in STOP_SIGNALS:
            self.previous_handlers[number] = signal.signal(number, self.on_signal)
        return self

    def __exit__(self, *exc_info) -> None:
        for number, handler in self.previous_handlers.items():
            signal.signal(number, handler)
        del self.optimizer.step  # the class's own method again


def report_test_score(model, task: Task) -> None:
    import minidl as mdl
    from minidl import metrics

    model.eval()
    chunk = 1024 if task.x_test.ndim == 2 else 64  # images: bound the conv activations' memory
    with mdl.no_grad():
        outputs = np.concatenate(
            [
                model(mdl.tensor(task.x_test[start : start + chunk])).numpy()
                for start in range(0, len(task.x_test), chunk)
            ]
        )
    if task.kind == "classification":
        print(f"test accuracy: {metrics.accuracy(task.y_test, outputs):.4f}")
    elif task.kind == "binary":
        # x5 ends in a sigmoid (probabilities); the others give logits (logit > 0 ⇔ p > 0.5)
        threshold = 0.5 if isinstance(model[-1], mdl.nn.Sigmoid) else 0.0
        predicted = (outputs[:, 0] > threshold).astype(np.int64)
        line = (
            f"test accuracy: {metrics.accuracy(task.y_test, predicted):.4f}  "
            f"F1: {metrics.f1_score(task.y_test, predicted):.4f}"
        )
        if len(np.unique(task.y_test)) == 2:  # both needed for AUC (T5)
            line += f"  ROC AUC: {metrics.roc_auc(task.y_test, outputs[:, 0]):.4f}"
        print(line)
    else:
        scale = task.preprocessing
        predictions = outputs[:, 0] * scale["target_std"] + scale["target_mean"]
        test_mse = float(np.mean((predictions - task.y_test) ** 2))
        baseline = float(np.mean((scale["target_mean"] - task.y_test) ** 2))
        print(f"test MSE: {test_mse:.1f}  (predicting the training mean: {baseline:.1f})")


def save_model(args: argparse.Namespace, model, task: Task, status: int) -> int:
    """Save to ``--save`` if given; returns ``status``, or 1 if the save failed."""
    import minidl as mdl

    if args.save is None:
        return status
    settings = {
        key: value for key, value in vars(args).items() if isinstance(value, (str, int, float))
    }
    try:
        mdl.save(
            {
                "model": model.state_dict(),
                "settings": settings,
                "preprocessing": task.preprocessing,
            },
            args.save,
        )
    except OSError as error:  # e.g. the directory was removed during training
        print(f"minidl train: {error}", file=sys.stderr)
        return 1
    print(f"saved the model to {args.save}", file=sys.stderr)
    return status


# --------------------------------------------------------------------------- info, bench


def run_info() -> int:
    import minidl as mdl

    print(f"minidl {mdl.__version__}")
    print(f"Python {platform.python_version()} ({platform.platform()})")
    print(f"NumPy {np.__version__}")
    try:
        import cupy

        print(f"CuPy {cupy.__version__}")
    except ImportError:
        cupy = None
        print('CuPy not installed (pip install "minidl[gpu]" for NVIDIA GPUs)')
    available = mdl.backend.available()
    print(f"backends available: {', '.join(available)}")
    for name in available:
        print(f"  {name}: {mdl.backend.get(name).device_name()}")
    if "cupy" not in available and cupy is not None:  # installed, yet it cannot run: why
        try:
            mdl.backend.get("cupy")
        except mdl.BackendUnavailableError as error:
            print(f"  cupy: unavailable ({error})")
    return 0


def run_bench(argv: list[str]) -> int:
    from minidl import bench

    return bench.main(argv)


if __name__ == "__main__":
    sys.exit(main())

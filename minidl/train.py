"""The training loop: ``fit()``, ``evaluate()`` and the ``History`` they record.

``fit`` is the loop a learner writes by hand, with the bookkeeping added around it::

    for epoch in range(epochs):
        model.train()
        for inputs, targets in train_loader:
            optimizer.zero_grad()                     # forget the last batch's gradients
            loss = loss_fn(model(inputs), targets)    # forward
            loss.backward()                           # ∂loss/∂parameter for every parameter
            optimizer.step()                          # the update rule (FORMULAS O1-O4)
        scheduler.step()                              # next learning rate (T3), if given
        evaluate(model, val_loader, loss_fn, metrics) # no_grad, model.eval()

Around it: a tqdm progress bar with the running loss on a terminal (one plain line per
epoch in a log, where bar frames would be noise), per-epoch validation, and
checkpoints from which ``resume=True`` continues with exactly the numbers an
uninterrupted run would have produced (on the CPU).

Under ``minidl.distributed.init()`` with several ranks, the same loop is data-parallel
(FORMULAS T8): see ``fit``.
"""

from __future__ import annotations

import math
import os
import sys
import time
import warnings
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from minidl import distributed, nn
from minidl import functional as F
from minidl import metrics as metric_functions
from minidl import random as minidl_random
from minidl.autograd import no_grad
from minidl.backend import backend_of, get_backend
from minidl.errors import CheckpointError
from minidl.serialization import load, save
from minidl.tensor import Tensor

METRICS: dict[str, Callable[..., float]] = {
    "accuracy": metric_functions.accuracy,
    "precision": metric_functions.precision,
    "recall": metric_functions.recall,
    "f1_score": metric_functions.f1_score,
    "f1": metric_functions.f1_score,
    "cohen_kappa": metric_functions.cohen_kappa,
}


class History:
    """What ``fit`` measured, one entry per epoch.

    ``history["train_loss"]`` (also ``history.train_loss``), ``history["val_loss"]`` and
    ``history["val_<metric>"]`` are lists of floats; ``history.epochs`` numbers them
    from 1.
    """

    def __init__(self, records: dict[str, list[float]] | None = None) -> None:
        self.records: dict[str, list[float]] = {"train_loss": []}
        if records:
            self.records.update(
                {key: [float(v) for v in values] for key, values in records.items()}
            )

    def append(self, **values: float) -> None:
        for key, value in values.items():
            self.records.setdefault(key, []).append(float(value))

    @property
    def epochs(self) -> list[int]:
        return list(range(1, len(self.records["train_loss"]) + 1))

    def __getitem__(self, key: str) -> list[float]:
        return self.records[key]

    def __getattr__(self, key: str) -> list[float]:
        records = self.__dict__.get("records", {})
        if key in records:
            return records[key]
        raise AttributeError(f"History has no {key!r}; it has {sorted(records)}")

    def __len__(self) -> int:
        return len(self.records["train_loss"])

    def __eq__(self, other: object) -> bool:
        return isinstance(other, History) and self.records == other.records

    def __repr__(self) -> str:
        last = ", ".join(
            f"{key}={values[-1]:.4g}" for key, values in self.records.items() if values
        )
        return f"History({len(self)} epochs{', last: ' + last if last else ''})"

    def plot(self, title: str | None = None):
        """Loss curves and, if any, validation-metric curves per epoch; returns the Figure.

        ``title`` (e.g. the model's name) heads the figure. The metric panel's axis runs
        up to 1, so that 0.993 and 0.998 look as close as they are.
        """
        import matplotlib.pyplot as plt  # only here: plotting is optional

        metric_keys = [k for k in self.records if not k.endswith("loss")]
        figure, axes = plt.subplots(
            1, 2 if metric_keys else 1, figsize=(10 if metric_keys else 5, 4), squeeze=False
        )
        loss_axes = axes[0, 0]
        for key in (k for k in self.records if k.endswith("loss")):
            loss_axes.plot(self.epochs, self.records[key], marker="o", label=_readable(key))
        loss_axes.set(xlabel="epoch", ylabel="loss (mean per sample)", title="loss per epoch")
        loss_axes.legend()
        if metric_keys:
            metric_axes = axes[0, 1]
            for key in metric_keys:
                metric_axes.plot(self.epochs, self.records[key], marker="o", label=_readable(key))
            lowest = min(min(self.records[key]) for key in metric_keys)
            bottom = np.floor(min(lowest, 0.9) * 10) / 10
            metric_axes.set_ylim(bottom, 1.0 + 0.02 * (1.0 - bottom))  # a point at 1 stays visible
            metric_axes.set(
                xlabel="epoch", ylabel="score (1 = perfect)", title="validation metrics per epoch"
            )
            metric_axes.legend()
        for row in axes:
            for panel in row:
                panel.xaxis.get_major_locator().set_params(integer=True)
        if title:
            figure.suptitle(title)
        figure.tight_layout()
        return figure


def _readable(key: str) -> str:
    """A History key as a legend says it: "val_accuracy" -> "validation accuracy"."""
    for prefix, words in (("train_", "training "), ("val_", "validation ")):
        if key.startswith(prefix):
            key = words + key[len(prefix) :]
    return key.replace("_", " ")


# --------------------------------------------------------------------------- fit


def fit(
    model: nn.Module,
    loss_fn: Callable[..., Any],
    optimizer: Any,
    train_loader: Iterable,
    epochs: int,
    val_loader: Iterable | None = None,
    metrics: Sequence[str | Callable[..., float]] = ("accuracy",),
    progress: bool = True,
    checkpoint_path: str | os.PathLike | None = None,
    checkpoint_every: int | None = None,
    resume: bool = False,
    scheduler: Any = None,
    scheduler_interval: str = "epoch",
    stop_on_nonfinite_loss: bool = True,
) -> History:
    """Train ``model`` for ``epochs`` epochs over ``train_loader``; returns the History.

    - ``val_loader``: after each epoch, ``evaluate`` computes the validation loss and
      ``metrics`` (names from minidl.metrics, e.g. "accuracy", "f1_score", or functions
      ``metric(y_true, y_pred) -> float``). Pass ``metrics=()`` for regression.
    - ``progress``: on a terminal, a tqdm bar per epoch with the running mean loss;
      elsewhere (a log file, a pipe, a notebook) one line per epoch on stderr with the
      epoch's training loss and validation results. False prints nothing.
    - ``checkpoint_path``: save model, optimizer, epoch, history and the random
      generators' states there every ``checkpoint_every`` epochs (default 1) and after
      the last epoch.
    - ``resume=True``: load that checkpoint and go on from the epoch after it, so that
      ``fit(..., epochs=10)`` interrupted at epoch 4 and resumed ends with the same
      weights, bit for bit, as one uninterrupted run (on the CPU). A checkpoint may be
      resumed on another backend than the one that saved it; that backend's generator
      (dropout masks) is then reseeded from the saved state (``Backend.set_rng_state``).
    - ``scheduler``: a learning-rate schedule of ``optimizer`` (``optim.lr_scheduler``),
      stepped after every epoch, or after every batch with ``scheduler_interval="batch"``
      (a warm-up usually is); checkpoints save its state and ``resume`` restores it.
    - ``stop_on_nonfinite_loss``: a NaN or infinite loss stops training with a
      FloatingPointError naming the epoch and batch, before that batch changes the
      weights; pass False to train on regardless. On a GPU the losses stay on the
      device and are read once per epoch (a read per batch would stall it), so there
      the error comes at the end of the epoch, after its steps (docs/backends.md).

    A failed ``resume`` changes nothing: the checkpoint's kind, keys and optimizer type
    are checked first, and what only loading can check (shapes, values) is loaded all or
    nothing. Empty loaders are refused: a mean over no batches would be a made-up 0.

    Data-parallel, after ``minidl.distributed.init()`` on P > 1 ranks: the optimizer must
    be a ``DistributedOptimizer`` and ``train_loader`` should read this rank's share
    (``sampler=DistributedSampler(len(dataset))``). Only rank 0 shows progress; the
    epoch's train loss is the mean over all ranks' samples; rank 0 alone writes the
    checkpoint, and the others wait for it; on resume rank 0 reads it and sends it to
    the others, so the ranks need no shared file system.
    """
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 0:
        raise ValueError(f"fit: epochs must be a non-negative int, got {epochs!r}")
    if checkpoint_every is not None and (
        not isinstance(checkpoint_every, (int, np.integer)) or checkpoint_every < 1
    ):
        raise ValueError(f"fit: checkpoint_every must be a positive int, got {checkpoint_every!r}")
    if (resume or checkpoint_every) and checkpoint_path is None:
        raise ValueError("fit: resume and checkpoint_every need checkpoint_path=...")
    # A DistributedOptimizer's schedule is built on the optimizer it wraps.
    _check_scheduler(scheduler, scheduler_interval, getattr(optimizer, "optimizer", optimizer))
    _check_not_empty(train_loader, "train_loader")
    if val_loader is not None:
        _check_not_empty(val_loader, "val_loader")
    metric_table = _resolve_metrics(metrics)
    communicator = _data_parallel_communicator(optimizer, train_loader)
    if communicator is not None:
        progress = progress and communicator.is_main
    history = History()
    first_epoch = 0
    if resume:
        first_epoch = _load_checkpoint(
            checkpoint_path, model, optimizer, history, train_loader, scheduler, communicator
        )

    for epoch in range(first_epoch, epochs):
        model.train()
        bar = _progress_bar(train_loader, epoch, epochs, progress)
        started = time.perf_counter()
        losses = _BatchLosses()
        for batch_number, batch in enumerate(bar if bar is not None else train_loader, 1):
            inputs, targets = _input_target_pair(batch, "train_loader")
            optimizer.zero_grad()
            loss = loss_fn(model(inputs), targets)
            loss_value = losses.add(loss, len(targets))  # None on a GPU: read at epoch end
            if stop_on_nonfinite_loss and loss_value is not None and not math.isfinite(loss_value):
                raise FloatingPointError(_nonfinite_loss_message(loss_value, epoch, batch_number))
            loss.backward()
            optimizer.step()
            if scheduler is not None and scheduler_interval == "batch":
                scheduler.step()
            if bar is not None and losses.worth_reading():
                bar.set_postfix(loss=f"{losses.mean():.4f}", refresh=False)
        values = losses.values()  # on a GPU, the epoch's one read of its losses
        if stop_on_nonfinite_loss and not all(map(math.isfinite, values)):
            batch_number = next(n for n, v in enumerate(values, 1) if not math.isfinite(v))
            raise FloatingPointError(
                _nonfinite_loss_message(values[batch_number - 1], epoch, batch_number, late=True)
            )
        loss_sum, sample_count = losses.total(), sum(losses.sizes)
        if communicator is not None:
            loss_sum, sample_count = communicator.sum_over_ranks(
                loss_sum, sample_count, purpose="the epoch's train loss"
            )
        if scheduler is not None and scheduler_interval == "epoch":
            scheduler.step()
        if sample_count == 0:
            raise ValueError(_empty_loader_message("train_loader", train_loader))
        record = {"train_loss": loss_sum / sample_count}
        if val_loader is not None:
            results = evaluate(model, val_loader, loss_fn, metric_table)
            record.update({f"val_{name}": value for name, value in results.items()})
        history.append(**record)
        if bar is not None:
            bar.set_postfix({k: f"{v:.4f}" for k, v in record.items()}, refresh=True)
            bar.close()
        elif progress:
            _print_epoch_line(epoch + 1, epochs, record, time.perf_counter() - started)

        finished = epoch + 1
        if checkpoint_path is not None and (
            finished % (checkpoint_every or 1) == 0 or finished == epochs
        ):
            if communicator is None or communicator.is_main:
                _save_checkpoint(
                    checkpoint_path, model, optimizer, finished, history, train_loader, scheduler
                )
            if communicator is not None:
                communicator.barrier()  # no rank goes on before the checkpoint is written
    return history


def evaluate(
    model: nn.Module,
    loader: Iterable,
    loss_fn: Callable[..., Any],
    metrics: Sequence[str | Callable[..., float]] | dict = ("accuracy",),
) -> dict[str, float]:
    """The mean loss and the metrics over ``loader``, under no_grad with ``model.eval()``.

    Returns ``{"loss": ..., "accuracy": ..., ...}``. Metrics see class predictions: the
    argmax of (N, C) outputs, or for a single output column a threshold (0 on logits
    for BCEWithLogitsLoss, 0.5 on probabilities for BCELoss).
    """
    metric_table = metrics if isinstance(metrics, dict) else _resolve_metrics(metrics)
    was_training = model.training
    model.eval()
    losses, outputs, targets_seen = _BatchLosses(), [], []
    try:
        with no_grad():
            for batch in loader:
                inputs, targets = _input_target_pair(batch, "the loader")
                output = model(inputs)
                losses.add(loss_fn(output, targets), len(targets))
                if metric_table:  # kept where they are; read back once, below
                    outputs.append(output.data)
                    targets_seen.append(targets.data if isinstance(targets, Tensor) else targets)
    finally:
        model.train(was_training)
    if sum(losses.sizes) == 0:
        raise ValueError(_empty_loader_message("evaluate's loader", loader))
    results = {"loss": losses.total() / sum(losses.sizes)}
    if metric_table and outputs:
        predicted = _predicted_classes(_host_concatenate(outputs), loss_fn)
        true = _host_concatenate(targets_seen)
        for name, metric in metric_table.items():
            results[name] = float(metric(true, predicted))
    return results


# --------------------------------------------------------------------------- helpers


def _check_not_empty(loader: Any, name: str) -> None:
    """Refuse a loader that has no batches (where it can say so before iterating)."""
    if isinstance(loader, (np.ndarray, Tensor)):
        raise TypeError(
            f"fit: {name} must give (inputs, targets) batches, e.g. "
            f"DataLoader(TensorDataset(x, y), batch_size=32), got a {type(loader).__name__}"
        )
    if hasattr(loader, "__len__") and len(loader) == 0:
        raise ValueError(_empty_loader_message(name, loader))


def _empty_loader_message(name: str, loader: Any) -> str:
    dataset = getattr(loader, "dataset", None)
    detail = ""
    if dataset is not None and hasattr(dataset, "__len__"):
        detail = f" (its dataset has {len(dataset)} samples"
        if getattr(loader, "drop_last", False):
            detail += f", fewer than batch_size={loader.batch_size} with drop_last=True"
        detail += ")"
    return f"{name} gives no batches{detail}; a loss or metric over no samples means nothing"


def _input_target_pair(batch: Any, name: str) -> tuple[Any, Any]:
    """A batch as (inputs, targets), or a TypeError saying what the batch was."""
    if isinstance(batch, (tuple, list)) and len(batch) == 2:
        return batch[0], batch[1]
    if isinstance(batch, (tuple, list)):
        what = f"a {type(batch).__name__} of {len(batch)} fields"
        if len(batch) == 1:
            what += " (inputs without targets? TensorDataset(x) has no labels)"
    else:
        what = f"a {type(batch).__name__} of shape {getattr(batch, 'shape', '?')}"
    raise TypeError(
        f"{name} must give (inputs, targets) pairs, e.g. DataLoader(TensorDataset(x, y), "
        f"batch_size=32), but a batch was {what}"
    )


class _BatchLosses:
    """The losses of one pass over a loader, read back from the device as rarely as possible.

    A loss in host memory (NumPy) is read at once, which costs nothing: a NaN stops fit
    before that batch's step. A GPU loss stays on the GPU: reading it waits for all the
    queued work, and a read per batch leaves the GPU idle while Python queues the next
    one. All of them are read together when the pass ends (and, for a progress bar, the
    running mean at most once a second).
    """

    READ_EVERY_SECONDS = 1.0

    def __init__(self) -> None:
        self.read: list[float] = []  # the losses read so far, in batch order
        self.unread: list[Any] = []  # 0-d device arrays, after the read ones
        self.sizes: list[int] = []  # samples per batch
        self.read_total = 0.0  # Σ loss·batch_size over the read losses, in batch order
        self.last_read = time.monotonic()

    def add(self, loss: Tensor, batch_size: int) -> float | None:
        """Record a batch's loss; its value if reading it was free, else None."""
        self.sizes.append(batch_size)
        if loss.backend.host_memory:
            value = loss.item()
            self._count_read([value])
            return value
        self.unread.append(loss.data)
        return None

    def _count_read(self, values: list[float]) -> None:
        for value in values:
            self.read_total += value * self.sizes[len(self.read)]
            self.read.append(value)

    def worth_reading(self) -> bool:
        """Whether a progress display may read the running loss now."""
        return not self.unread or time.monotonic() - self.last_read >= self.READ_EVERY_SECONDS

    def values(self) -> list[float]:
        """Every batch's loss as a float: one read of the device for all unread ones."""
        if self.unread:
            backend = backend_of(self.unread[0])
            self._count_read(backend.to_host(backend.xp.stack(self.unread)).tolist())
            self.unread.clear()
            self.last_read = time.monotonic()
        return self.read

    def total(self) -> float:
        """Σ_batches loss·batch_size (a batch's loss is a mean over its samples)."""
        self.values()
        return self.read_total

    def mean(self) -> float:
        """The mean loss per sample so far."""
        return self.total() / sum(self.sizes)


def _host_concatenate(arrays: list[Any]) -> np.ndarray:
    """Arrays of one backend joined along axis 0 and copied to the host in one read."""
    backend = backend_of(arrays[0])
    return backend.to_host(backend.xp.concatenate(arrays))


def _nonfinite_loss_message(
    loss_value: float, epoch: int, batch_number: int, late: bool = False
) -> str:
    when = (
        "found when the epoch's losses were read from the device (once per epoch, so as not "
        "to stall it): the weights have taken this epoch's steps; resume from a checkpoint"
        if late
        else "training stopped before this batch changed the weights"
    )
    return (
        f"fit: the loss is {loss_value} at epoch {epoch + 1}, batch {batch_number}; {when}. "
        "Usual causes: a learning rate too large, NaN or inf in the data, log(0), and on a "
        "GPU class labels or token ids out of range. To find the op that made it, run fit "
        "inside `with minidl.detect_anomaly():`; to train on anyway, pass "
        "stop_on_nonfinite_loss=False"
    )


def _resolve_metrics(metrics: Sequence[str | Callable[..., float]]) -> dict[str, Callable]:
    if isinstance(metrics, str):
        metrics = (metrics,)
    table = {}
    for metric in metrics:
        if callable(metric):
            table[getattr(metric, "__name__", "metric")] = metric
        elif metric in METRICS:
            table[metric] = METRICS[metric]
        else:
            raise ValueError(f"unknown metric {metric!r}; known metrics are {sorted(METRICS)}")
    return table


def _predicted_classes(outputs: np.ndarray, loss_fn: Any) -> np.ndarray:
    """Class predictions from model outputs (see ``evaluate``)."""
    if outputs.ndim == 2 and outputs.shape[1] >= 2:
        return outputs.argmax(axis=1)
    if isinstance(loss_fn, nn.BCEWithLogitsLoss) or loss_fn is F.binary_cross_entropy_with_logits:
        return (outputs > 0).astype(np.int64).reshape(len(outputs))
    if isinstance(loss_fn, nn.BCELoss) or loss_fn is F.binary_cross_entropy:
        return (outputs > 0.5).astype(np.int64).reshape(len(outputs))
    raise ValueError(
        f"classification metrics need class predictions, but the model gives outputs of shape "
        f"{outputs.shape} with {type(loss_fn).__name__}; for regression pass metrics=()"
    )


def _data_parallel_communicator(optimizer: Any, train_loader: Any):
    """This rank's Communicator when the job runs on several ranks, else None."""
    if not distributed.is_initialized():
        return None
    communicator = distributed.get_communicator()
    if communicator.world_size == 1:
        return None
    if not isinstance(optimizer, distributed.DistributedOptimizer):
        raise ValueError(
            f"fit: this job runs on {communicator.world_size} ranks, but the optimizer is a "
            f"plain {type(optimizer).__name__}, so each rank would train its own model; wrap "
            "it: minidl.distributed.DistributedOptimizer(optimizer) (FORMULAS T8)"
        )
    sampler = getattr(train_loader, "sampler", None)
    if getattr(sampler, "num_replicas", None) != communicator.world_size and communicator.is_main:
        warnings.warn(
            f"fit: the train_loader gives every one of the {communicator.world_size} ranks the "
            "whole data set, so each step sees the same samples on every rank; give it "
            "sampler=minidl.data.DistributedSampler(len(dataset)) to split them",
            RuntimeWarning,
            stacklevel=3,
        )
    return communicator


def _progress_bar(loader: Iterable, epoch: int, epochs: int, progress: bool):
    """A tqdm bar over one epoch's batches, when progress is wanted and stderr is a
    terminal; None otherwise (a log gets one line per epoch instead)."""
    if not progress or not _is_terminal(sys.stderr):
        return None
    from tqdm import tqdm  # imported only when a bar is shown

    return tqdm(loader, desc=f"epoch {epoch + 1}/{epochs}", unit="batch", leave=True)


def _is_terminal(stream: Any) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def _print_epoch_line(epoch: int, epochs: int, record: dict[str, float], seconds: float) -> None:
    """``epoch 3/30  train_loss 0.2345  val_loss 0.2100  val_accuracy 0.9650  (0.41 s)``."""
    values = "  ".join(f"{key} {value:.4f}" for key, value in record.items())
    print(f"epoch {epoch}/{epochs}  {values}  ({seconds:.2f} s)", file=sys.stderr, flush=True)


def _check_scheduler(scheduler: Any, interval: str, optimizer: Any) -> None:
    if interval not in ("epoch", "batch"):
        raise ValueError(f"fit: scheduler_interval must be 'epoch' or 'batch', got {interval!r}")
    if scheduler is None:
        return
    if not callable(getattr(scheduler, "step", None)) or not hasattr(scheduler, "state_dict"):
        raise TypeError(
            f"fit: scheduler must be a learning-rate schedule (e.g. "
            f"optim.lr_scheduler.StepLR(optimizer, ...)), got {type(scheduler).__name__}"
        )
    if getattr(scheduler, "optimizer", None) is not optimizer:
        raise ValueError(
            f"fit: the {type(scheduler).__name__} was built on another optimizer than the one "
            "fit trains with, so its rates would change nothing; build it on this one: "
            f"{type(scheduler).__name__}(optimizer, ...)"
        )


def _save_checkpoint(path, model, optimizer, epoch, history, train_loader, scheduler) -> None:
    save(
        {
            "epoch": epoch,
            "model": model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "optimizer_kind": type(optimizer).__name__,
            "scheduler": scheduler.state_dict() if scheduler is not None else None,
            "history": history.records,
            "random": {
                "host": minidl_random.get_state(),
                "backend": get_backend().get_rng_state(),
                "train_loader": _loader_state(train_loader),
            },
        },
        path,
    )


FIT_CHECKPOINT_KEYS = ("epoch", "model", "optimizer", "history", "random")


def _load_checkpoint(
    path, model, optimizer, history, train_loader, scheduler, communicator=None
) -> int:
    """Restore everything ``_save_checkpoint`` wrote; returns the number of epochs done.

    All or nothing: the checkpoint's structure is checked first (``_resume_problem``);
    then each part is loaded, and if one fails (a shape, a value) the parts already
    loaded are put back, so that the caller sees one CheckpointError and the objects
    as they were.

    With several ranks, rank 0 reads the file and sends its contents (or the error it
    met) to every rank, so all of them restore the same state or raise the same error.
    """
    path = os.fspath(path)
    if communicator is None:
        checkpoint = _read_checkpoint(path)
    else:
        checkpoint, error = None, None
        if communicator.is_main:
            try:
                checkpoint = _read_checkpoint(path)
            except (OSError, ValueError) as caught:
                error = caught
        checkpoint, error = communicator.broadcast_object(
            (checkpoint, error), purpose="the checkpoint"
        )
        if error is not None:
            raise error
    problem = _resume_problem(checkpoint, optimizer, scheduler)
    if problem:
        raise CheckpointError(
            f"fit(resume=True) cannot resume from {path!r}: {problem}; nothing was changed"
        )
    undo = _snapshot(model, optimizer, scheduler, train_loader)
    try:
        model.load_state_dict(checkpoint["model"])
        optimizer.load_state_dict(checkpoint["optimizer"])
        if scheduler is not None:
            scheduler.load_state_dict(checkpoint["scheduler"])
        records = History(checkpoint["history"]).records
        generators = checkpoint["random"]
        minidl_random.set_state(generators["host"])
        saved = generators["backend"]
        if saved is not None:
            if "backend" not in saved:  # written before states named their backend: NumPy's
                saved = {"backend": "numpy", "bit_generator": saved}
            # On another backend than the one that saved it, this reseeds deterministically
            # from the saved state (Backend.set_rng_state).
            get_backend().set_rng_state(saved)
        if generators["train_loader"] is not None:
            train_loader.set_state(generators["train_loader"])
        epoch = int(checkpoint["epoch"])
    except Exception as error:
        undo()
        raise CheckpointError(
            f"fit(resume=True) cannot resume from {path!r}: {error}; nothing was changed"
        ) from error
    history.records = records
    return epoch


def _resume_problem(checkpoint: Any, optimizer: Any, scheduler: Any) -> str | None:
    """What is wrong with ``checkpoint`` as one to resume ``optimizer`` (and ``scheduler``)
    from, in words: what the file holds and what was expected; None if it fits."""
    expected = (
        "a checkpoint written by fit(checkpoint_path=...) (keys "
        + ", ".join(FIT_CHECKPOINT_KEYS)
        + ")"
    )
    if not isinstance(checkpoint, dict):
        return f"it holds a {type(checkpoint).__name__}, but resuming needs {expected}"
    missing = [key for key in FIT_CHECKPOINT_KEYS if key not in checkpoint]
    if missing:
        keys = sorted(map(str, checkpoint))
        if {"model", "settings"} <= set(checkpoint):
            holds = (
                "the weights saved by `minidl train --save` (keys model, settings, preprocessing)"
            )
        elif checkpoint and all(_is_array(value) for value in checkpoint.values()):
            holds = f"a bare state_dict of {len(keys)} arrays ({', '.join(keys[:3])}, ...)"
        else:
            holds = f"a dict with keys {keys[:8]}"
        return (
            f"it holds {holds}, but resuming needs {expected}; it lacks {missing}. To start "
            "from saved weights, use model.load_state_dict(...) and fit without resume"
        )
    saved_kind = checkpoint.get("optimizer_kind")
    if saved_kind is not None and saved_kind != type(optimizer).__name__:
        return (
            f"it holds the state of a {saved_kind} optimizer, but fit was given "
            f"{type(optimizer).__name__}; resume with {saved_kind}, or start afresh (resume=False)"
        )
    saved_optimizer = checkpoint["optimizer"]
    saved_names = set(dict(saved_optimizer.get("hyperparameters", {}))) | {"weight_decay"}
    names = set(getattr(optimizer, "hyperparameter_names", saved_names))
    if saved_kind is None and saved_names != names:
        return (
            f"its optimizer state has hyper-parameters {sorted(saved_names)}, but "
            f"{type(optimizer).__name__} has {sorted(names)}: it was saved from another "
            "kind of optimizer"
        )
    saved_scheduler = checkpoint.get("scheduler")
    if saved_scheduler is None and scheduler is not None:
        return (
            f"it was saved without a scheduler, but fit got {type(scheduler).__name__}; "
            "resume without it, or start afresh (resume=False)"
        )
    if saved_scheduler is not None and scheduler is None:
        return f"it was saved with a {saved_scheduler.get('kind')} scheduler; pass scheduler=..."
    if scheduler is not None and saved_scheduler.get("kind") != type(scheduler).__name__:
        return (
            f"it holds the state of a {saved_scheduler.get('kind')} scheduler, but fit got "
            f"{type(scheduler).__name__}"
        )
    return None


def _is_array(value: Any) -> bool:
    return isinstance(value, (np.ndarray, Tensor)) or hasattr(value, "__array__")


def _snapshot(model, optimizer, scheduler, train_loader) -> Callable[[], None]:
    """A function that puts back the current state of everything a resume changes.

    Loading replaces arrays rather than writing into them, so keeping the old array
    objects is enough (no copy of the weights).
    """
    weights = [(param, param.data) for param in model.parameters()]
    optimizers = [optimizer, getattr(optimizer, "optimizer", optimizer)]  # and a wrapped one
    optimizer_attributes = [dict(vars(each)) for each in optimizers]
    scheduler_state = scheduler.state_dict() if scheduler is not None else None
    host_state = minidl_random.get_state()
    backend_state = get_backend().get_rng_state()
    loader_state = _loader_state(train_loader)

    def undo() -> None:
        if scheduler is not None:
            scheduler.load_state_dict(scheduler_state)  # sets the optimizer's rate: first
        for each, attributes in zip(optimizers, optimizer_attributes):
            vars(each).update(attributes)
        for param, data in weights:
            param.data = data
        minidl_random.set_state(host_state)
        get_backend().set_rng_state(backend_state)
        if loader_state is not None:
            train_loader.set_state(loader_state)

    return undo


def _read_checkpoint(path) -> dict:
    if not os.path.exists(path):
        raise FileNotFoundError(
            f"fit(resume=True) found no checkpoint at {os.fspath(path)!r}; run fit with "
            "checkpoint_path=... first, or pass resume=False to start from scratch"
        )
    return load(path)


def _loader_state(loader: Any) -> dict | None:
    get_state = getattr(loader, "get_state", None)
    return get_state() if get_state is not None else None

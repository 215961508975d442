"""Workload (e): one full epoch of ``minidl train``'s default model on the digits data."""

from __future__ import annotations

from minidl.bench.workloads import Case, Prepared


def minidl_epoch(backend_name: str) -> Prepared:
    raise NotImplementedError("waiting for minidl.train and minidl.cli")


def epoch_case() -> Case:
    return Case(
        key="e-train-epoch-digits",
        group="e",
        title="one epoch of `minidl train` defaults on digits",
        build_minidl=minidl_epoch,
        build_torch=None,
    )

"""The workloads of the comparison with PyTorch, in the order they run.

Each module here builds one kind of network for minidl and for PyTorch, side by side,
from the same weights and data. To add a workload (an LSTM step, a distributed step):

1. Write ``benchmarks/workloads/<name>.py`` with a function that returns a ``Case``
   (``benchmarks/harness/case.py``): a key ``"<group letter>-<what>"``, a title, and two
   builders, ``build_minidl(backend_name)`` and ``build_torch(device)`` (None where
   PyTorch has no counterpart), each returning a ``Prepared``: the step to time, how to
   wait for the device, and a check value computed from the initial state (the first
   loss), which shows both sides start from the same weights and data. ``mlp.py`` is the
   one to copy; take the networks from ``minidl.recipes`` where they are shared.
2. Give it a group letter in ``GROUPS`` below and add its case(s) to ``all_cases()``.
3. Run it alone: ``python benchmarks/run.py --workloads <letter> --quick``.
   tests/test_bench.py runs every quick case once (timings are never asserted).
"""

from __future__ import annotations

from benchmarks.harness.case import Case
from benchmarks.workloads import chain, cnn, epoch, layers, mlp

GROUPS = {
    "a": "X3 MLP training step (Momentum), batch 64 and 512",
    "b": "CNN training step (Adam), batch 64 (and 256 for the GPU speed-up)",
    "c": "X3 MLP inference, batch 4096",
    "d": "conv2d and max_pool2d alone, forward + backward",
    "e": "one epoch of `minidl train`'s default model on digits",
    "f": "autograd overhead: a 1,000-op elementwise chain",
}


def all_cases() -> list[Case]:
    """Every workload (cases build their networks only when measured; PyTorch is
    imported only then too)."""
    return [
        mlp.training_case(64),
        mlp.training_case(512),
        cnn.training_case(64),
        cnn.training_case(256),
        mlp.inference_case(4096),
        layers.conv_case(),
        layers.pool_case(),
        epoch.epoch_case(),
        chain.chain_case(),
    ]


def select_cases(selection: str | None, quick: bool) -> list[Case]:
    """The cases named by ``--workloads`` (group letters or full keys); all when None.

    ``--quick`` drops the cases marked as too big for it, unless named by full key.
    """
    cases = all_cases()
    if selection is None:
        return [case for case in cases if case.quick or not quick]
    wanted = [name.strip() for name in selection.split(",") if name.strip()]
    known = set(GROUPS) | {case.key for case in cases}
    unknown = [name for name in wanted if name not in known]
    if unknown:
        raise ValueError(
            f"unknown workload(s) {', '.join(unknown)}; choose group letters "
            f"({', '.join(GROUPS)}) or keys ({', '.join(case.key for case in cases)})"
        )
    return [
        case
        for case in cases
        if case.key in wanted or (case.group in wanted and (case.quick or not quick))
    ]

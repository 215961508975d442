"""The suite's workloads, in the order they run (letters as in the issue)."""

from __future__ import annotations

from minidl.bench import workload_chain, workload_cnn, workload_layers, workload_mlp
from minidl.bench.workloads import Case

GROUPS = {
    "a": "X3 MLP training step (Momentum), batch 64 and 512",
    "b": "CNN training step (Adam), batch 64 (and 256 for the GPU speed-up)",
    "c": "X3 MLP inference, batch 4096",
    "d": "conv2d and max_pool2d alone, forward + backward",
    "e": "one epoch of `minidl train`'s default model on digits",
    "f": "autograd overhead: a 1,000-op elementwise chain",
}


def all_cases() -> list[Case]:
    """Every workload, built lazily: nothing here touches nn, optim or PyTorch yet."""
    from minidl.bench import workload_epoch

    return [
        workload_mlp.training_case(64),
        workload_mlp.training_case(512),
        workload_cnn.training_case(64),
        workload_cnn.training_case(256),
        workload_mlp.inference_case(4096),
        workload_layers.conv_case(),
        workload_layers.pool_case(),
        workload_epoch.epoch_case(),
        workload_chain.chain_case(),
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

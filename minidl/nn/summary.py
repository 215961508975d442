"""``summary(model, input_shape)``: a table of a model's layers, output shapes and sizes.

The model runs once on zeros. For that one pass every module's ``forward`` is wrapped,
on the instance, by one that notes the module, how deeply it is nested and the shape of
what it returned; afterwards the wrappers are removed again. Nothing in ``Module``
knows about it, so an ordinary call costs nothing extra.

This module does not import ``module.py`` (which imports it, for ``Module.summary``):
it only calls the methods every Module has.
"""

from __future__ import annotations

from typing import Any

from minidl import backend as backends
from minidl.autograd import no_grad
from minidl.tensor import DEFAULT_FLOAT, Tensor

__all__ = ["summary"]


def summary(model: Any, input_shape: tuple[int, ...]) -> str:
    """A table of every layer called on an input of ``input_shape``: output shape, parameters.

    ``input_shape`` includes the batch axis, e.g. ``(1, 784)`` or ``(1, 3, 32, 32)``. The
    model runs once on zeros (no graph, in eval mode so that nothing random is drawn;
    its train/eval flags are restored afterwards). The "Params" column counts the
    parameters a layer owns itself, so the column adds up to the total.
    """
    first = next(model.parameters(), None)
    dtype = first.dtype if first is not None else DEFAULT_FLOAT
    device = first.backend if first is not None else backends.get_backend()
    sample = Tensor(device.xp.zeros(tuple(input_shape), dtype=dtype))
    modules = list({id(module): module for module in model.modules()}.values())
    modes = [(module, module.training) for module in modules]
    # A forward set on the instance itself (rare) is put back afterwards.
    own_forwards = [vars(module).get("forward") for module in modules]
    rows: list[dict[str, Any]] = []
    depth = [0]

    def recording(module: Any, forward: Any) -> Any:
        def forward_and_note(*args: Any, **kwargs: Any) -> Any:
            row = {"module": module, "depth": depth[0], "shape": None}
            rows.append(row)
            depth[0] += 1
            try:
                output = forward(*args, **kwargs)
            finally:
                depth[0] -= 1
            row["shape"] = getattr(output, "shape", None)
            return output

        return forward_and_note

    for module in modules:
        module.forward = recording(module, module.forward)  # shadows the class's method
    model.eval()
    try:
        with no_grad():
            model(sample)
    finally:
        for (module, mode), own_forward in zip(modes, own_forwards):
            if own_forward is None:
                del module.forward  # the class's forward is seen again
            else:
                module.forward = own_forward
            module.training = mode
    return _format(model, rows, tuple(input_shape))


def _format(model: Any, rows: list[dict[str, Any]], input_shape: tuple[int, ...]) -> str:
    names = {id(module): name for name, module in model.named_modules()}
    table = [("Layer (type)", "Output shape", "Params")]
    for row in rows:
        module = row["module"]
        own = sum(member.size for _, member in module._own_members() if isinstance(member, Tensor))
        name = names.get(id(module), "")
        label = "  " * row["depth"] + (f"({name}) " if name else "") + type(module).__name__
        table.append(
            (label, str(tuple(row["shape"])) if row["shape"] is not None else "-", f"{own:,}")
        )
    widths = [max(len(line[column]) for line in table) for column in range(3)]
    rule = "=" * (sum(widths) + 4)

    def line(cells: tuple[str, str, str]) -> str:
        return f"{cells[0]:<{widths[0]}}  {cells[1]:<{widths[1]}}  {cells[2]:>{widths[2]}}"

    total = model.num_parameters()
    trainable = sum(p.size for p in model.parameters() if p.requires_grad)
    return "\n".join(
        [
            f"Input shape: {input_shape}",
            rule,
            line(table[0]),
            rule,
            *(line(cells) for cells in table[1:]),
            rule,
            f"Total params: {total:,}",
            f"Trainable params: {trainable:,}",
        ]
    )

"""See the graph autograd recorded: as plain data, as Graphviz DOT text, as a picture.

    L = (a * b + c) ** 2
    mdl.viz.graph(L, names={"a": a, "b": b, "c": c, "L": L})   # nodes and edges
    print(mdl.viz.to_dot(L))                                    # DOT text, no dependency
    mdl.viz.draw(L)                                             # a picture (needs Graphviz)

autograd links ops, not tensors: each op remembers the ops (or leaf tensors) that made
its inputs, and only weakly its own output. The picture puts the tensors back in the
way the expression reads: leaf tensor → op → the op's output → next op → ... → root.
An op's output is drawn with its value while the caller still holds that tensor (and
its gradient, after ``backward()``, if it kept one with ``retain_grad()``); otherwise
with its shape and dtype only. Inputs that need no gradient (constants such as the 2 in
``d ** 2``, or tensors without ``requires_grad``) are not part of the graph and are
not drawn.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np

from minidl.autograd import Function
from minidl.tensor import Tensor

SMALL = 8  # tensors with at most this many elements are shown with their values

INSTALL_GRAPHVIZ = (
    "minidl.viz.draw() needs Graphviz's `dot` program, which is not installed here. "
    "Install it with your system's package manager (Debian/Ubuntu: apt-get install "
    "graphviz; macOS: brew install graphviz; conda: conda install graphviz), then restart "
    "Python. Without it, minidl.viz.to_dot(tensor) gives the DOT text (paste it into any "
    "Graphviz viewer) and minidl.viz.graph(tensor) the nodes and edges as plain data"
)


def graph(tensor: Tensor, names: dict[str, Any] | None = None) -> dict[str, list]:
    """The graph that computed ``tensor``, as plain Python data.

    Returns ``{"nodes": [...], "edges": [...]}``. Each node is a dict:

    - ``id``: a string unique within this graph (``"t0"``, ``"op1"``, ...);
    - ``kind``: ``"tensor"`` or ``"op"``;
    - ``label``: the tensor's name from ``names`` (``""`` when unnamed), or the op's
      class name (``"Mul"``);
    - tensors also have ``shape``, ``dtype`` (as a string), ``leaf`` (bool), and
      ``value`` and ``grad`` (nested lists, or a float for a 0-d tensor) when the tensor
      is small and known, else ``None``.

    Each edge is a ``(from_id, to_id)`` pair: tensor → op for an op's input, op →
    tensor for its output. Nodes come in topological order: every node after the nodes
    it is computed from, the root tensor last.

    ``names`` maps a name to a tensor (a dict such as ``locals()`` works: values that are
    not tensors are ignored); a tensor found there is labelled with its name.
    """
    labels: dict[int, str] = {}
    for name, value in (names or {}).items():
        if isinstance(value, Tensor):
            labels.setdefault(id(value), name)
    root_node = tensor.grad_fn if tensor.grad_fn is not None else tensor
    if isinstance(root_node, Function) and root_node.released:
        raise ValueError(
            "this tensor's graph was freed by backward(); look at the graph before "
            "calling backward(), or call backward(retain_graph=True) to keep it"
        )

    nodes: list[dict[str, Any]] = []
    edges: list[tuple[str, str]] = []
    node_ids: dict[int, str] = {}  # id(op or leaf) -> id of its tensor node

    def tensor_node(node_id: str, leaf: Tensor | None, op: Function | None) -> dict:
        held = leaf if leaf is not None else _output_of(op)
        if held is None:  # an intermediate nobody holds any more: its array is gone
            shape, dtype = tuple(op.output_shape), str(np.dtype(op.output_dtype))
        else:
            shape, dtype = tuple(held.shape), str(held.dtype)
        return {
            "id": node_id,
            "kind": "tensor",
            "label": labels.get(id(held), "") if held is not None else "",
            "shape": shape,
            "dtype": dtype,
            "leaf": leaf is not None,
            "value": _small(held.data) if held is not None else None,
            "grad": _small(held.grad) if held is not None else None,
        }

    # Depth-first from the root with an explicit stack (graphs may be thousands of ops
    # deep); a node is written out after all the nodes it is computed from.
    stack: list[tuple[Any, bool]] = [(root_node, False)]
    while stack:
        node, inputs_done = stack.pop()
        if id(node) in node_ids:
            continue
        if isinstance(node, Tensor):
            node_ids[id(node)] = f"t{len(nodes)}"
            nodes.append(tensor_node(node_ids[id(node)], node, None))
            continue
        parents = [parent for parent in node.inputs if parent is not None]
        if not inputs_done:
            stack.append((node, True))
            stack.extend((parent, False) for parent in reversed(parents))
            continue
        op_id = f"op{len(nodes)}"
        nodes.append({"id": op_id, "kind": "op", "label": type(node).__name__})
        for parent in parents:
            edges.append((node_ids[id(parent)], op_id))
        output_id = f"t{len(nodes)}"
        nodes.append(tensor_node(output_id, None, node))
        edges.append((op_id, output_id))
        node_ids[id(node)] = output_id
    return {"nodes": nodes, "edges": edges}


def _output_of(op: Function) -> Tensor | None:
    reference = getattr(op, "output_ref", None)
    return reference() if reference is not None else None


def _small(array: Any) -> Any:
    """A small array as plain Python numbers (``None`` for a large or missing one)."""
    if array is None or array.size > SMALL:
        return None
    host = array.get() if hasattr(array, "get") else np.asarray(array)  # CuPy -> NumPy
    return host.tolist()


def _describe(node: dict[str, Any]) -> str:
    """The lines a tensor node shows: name, value or shape and dtype, gradient."""
    lines = [node["label"]] if node["label"] else []
    if node["value"] is not None:
        lines.append(f"= {_format(node['value'])}")
    shape = "×".join(str(size) for size in node["shape"]) or "scalar"
    lines.append(f"{shape} {node['dtype']}")
    if node["grad"] is not None:
        lines.append(f"grad {_format(node['grad'])}")
    return "\n".join(lines)


def _format(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_format(item) for item in value) + "]"
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _quote(text: str) -> str:
    """A DOT string literal: quotes and backslashes escaped, lines as DOT's \\n."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def to_dot(tensor: Tensor, names: dict[str, Any] | None = None) -> str:
    """The graph that computed ``tensor`` as Graphviz DOT text (needs nothing installed).

    Tensors are rounded boxes (leaves filled orange, computed ones grey), ops are blue
    boxes; the graph reads left to right, from the leaves to ``tensor``. Render it with
    ``draw`` or any Graphviz tool (``dot -Tsvg graph.dot -o graph.svg``).
    """
    data = graph(tensor, names)
    lines = [
        "digraph minidl {",
        "  rankdir=LR;",
        '  node [fontname="Helvetica", fontsize=11];',
    ]
    for node in data["nodes"]:
        if node["kind"] == "op":
            style = 'shape=box, style=filled, fillcolor="#cfe2f3"'
            lines.append(f"  {node['id']} [label={_quote(node['label'])}, {style}];")
        else:
            colour = "#fce5cd" if node["leaf"] else "#eeeeee"
            style = f'shape=box, style="rounded,filled", fillcolor="{colour}"'
            lines.append(f"  {node['id']} [label={_quote(_describe(node))}, {style}];")
    lines.extend(f"  {source} -> {target};" for source, target in data["edges"])
    lines.append("}")
    return "\n".join(lines) + "\n"


class SVG:
    """An SVG picture that Jupyter shows inline (``_repr_svg_``); ``.text`` is the SVG."""

    def __init__(self, text: str) -> None:
        self.text = text

    def _repr_svg_(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"<minidl.viz.SVG, {len(self.text)} characters>"


def graphviz_available() -> bool:
    """Whether Graphviz's ``dot`` program is installed (``draw`` needs it)."""
    return shutil.which("dot") is not None


def draw(
    tensor: Tensor, path: str | Path | None = None, names: dict[str, Any] | None = None
) -> SVG | Path:
    """Render the graph that computed ``tensor`` with Graphviz.

    Without ``path``, returns an ``SVG`` that a notebook shows inline. With ``path``,
    writes the picture there in the format its suffix names (``.svg``, ``.png``,
    ``.pdf``, ...) and returns the path. Raises ``RuntimeError`` saying what to install
    when Graphviz's ``dot`` program is missing.
    """
    dot = shutil.which("dot")
    if dot is None:
        raise RuntimeError(INSTALL_GRAPHVIZ)
    text = to_dot(tensor, names)
    if path is None:
        return SVG(_run_dot(dot, text, "svg").decode("utf-8"))
    path = Path(path)
    picture_format = path.suffix.lstrip(".").lower()
    if not picture_format:
        raise ValueError(
            f"draw(path={str(path)!r}) needs a file suffix naming the format, "
            "e.g. 'graph.svg' or 'graph.png'"
        )
    path.write_bytes(_run_dot(dot, text, picture_format))
    return path


def _run_dot(dot: str, text: str, picture_format: str) -> bytes:
    finished = subprocess.run(
        [dot, f"-T{picture_format}"], input=text.encode("utf-8"), capture_output=True
    )
    if finished.returncode != 0:
        raise RuntimeError(
            f"Graphviz's dot could not render the graph as {picture_format!r}: "
            f"{finished.stderr.decode('utf-8', 'replace').strip()}"
        )
    return finished.stdout

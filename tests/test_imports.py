"""minidl's module-level imports point down the layers: no module imports itself back.

The test reads the source (ast), so it sees every import a module makes when it is
loaded: the statements at module level, inside module-level ``if``/``try`` blocks too,
but not those inside functions (run later, on demand) or under ``if TYPE_CHECKING:``
(never run). Importing ``minidl.a.b`` also runs the package ``minidl/a/__init__.py``, so
that counts as an import of ``minidl.a`` as well. The root package ``minidl/__init__.py``
is the public facade that gathers the layers; a module depends on it only when it names
it (``import minidl``, or ``from minidl import`` a name that is not a submodule).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import minidl

PACKAGE_DIR = Path(minidl.__file__).parent

# The layers of docs/architecture.md's diagram (docs/diagrams/layers.mmd), lowest first (errors.py, which every layer
# uses, below them all). A module imports only from its own layer or the ones below;
# inside a layer the imports must still form no cycle.
LAYERS = [
    ["minidl.errors"],
    ["minidl.backend"],
    ["minidl.random"],
    ["minidl.autograd"],
    ["minidl.ops"],
    ["minidl.tensor", "minidl.creation"],
    ["minidl.functional", "minidl.gradcheck", "minidl.amp"],
    ["minidl.nn"],
    ["minidl.optim"],
    ["minidl.data", "minidl.serialization", "minidl.distributed"],
    ["minidl.metrics", "minidl.models", "minidl.recipes", "minidl.viz", "minidl.train"]
    + ["minidl.cli", "minidl.bench", "minidl.testing", "minidl"],
]


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def all_modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE_DIR.rglob("*.py"))}


def is_type_checking_block(node: ast.stmt) -> bool:
    test = getattr(node, "test", None)
    return isinstance(node, ast.If) and (
        (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING")
        or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")
    )


def module_level_statements(body: list[ast.stmt]):
    """The statements that run when the module is imported (not in functions/classes)."""
    for node in body:
        if is_type_checking_block(node):
            continue
        yield node
        if isinstance(node, (ast.If, ast.Try, ast.With)):
            for field in ("body", "orelse", "finalbody"):
                yield from module_level_statements(getattr(node, field, []))
            for handler in getattr(node, "handlers", []):
                yield from module_level_statements(handler.body)


def with_packages(name: str, importer: str, modules: dict[str, Path]) -> set[str]:
    """``name`` and the packages above it that importing it runs: not the root, and not
    the importer's own packages (they are already being imported when it runs)."""
    found = set()
    parts = name.split(".")
    for end in range(2, len(parts) + 1):
        candidate = ".".join(parts[:end])
        if candidate in modules and not importer.startswith(candidate + "."):
            found.add(candidate)
    return found


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    imported: set[str] = set()
    for node in module_level_statements(tree.body):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "minidl":
                    imported.add("minidl")
                elif alias.name.startswith("minidl."):
                    imported |= with_packages(alias.name, name, modules)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            if source != "minidl" and not source.startswith("minidl."):
                continue
            imported |= with_packages(source, name, modules)
            for alias in node.names:
                submodule = f"{source}.{alias.name}"
                if submodule in modules:
                    imported |= with_packages(submodule, name, modules)
                elif source == "minidl":
                    imported.add("minidl")  # a name from the facade itself
    imported.discard(name)
    return imported


def import_graph() -> dict[str, set[str]]:
    modules = all_modules()
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a list of modules (first == last), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for start in sorted(graph):
        if state.get(start):
            continue
        path = [start]
        state[start] = 1
        stack = [iter(sorted(graph[start]))]
        while stack:
            target = next(stack[-1], None)
            if target is None:
                stack.pop()
                state[path.pop()] = 2
                continue
            if state.get(target) == 1:
                return path[path.index(target) :] + [target]
            if not state.get(target):
                state[target] = 1
                path.append(target)
                stack.append(iter(sorted(graph.get(target, ()))))
    return None


def layer_of(name: str) -> int | None:
    best = None
    for rank, layer in enumerate(LAYERS):
        for prefix in layer:
            if name == prefix or name.startswith(prefix + "."):
                if best is None or len(prefix) > best[1]:
                    best = (rank, len(prefix))
    return None if best is None else best[0]


def diagram_layers() -> list[str]:
    """The node labels of docs/architecture.md's layer diagram (its Mermaid source,
    docs/diagrams/layers.mmd), lowest first."""
    diagram = (PACKAGE_DIR.parent / "docs" / "diagrams" / "layers.mmd").read_text(encoding="utf-8")
    labels = dict(re.findall(r'^\s*(\w+)\["([^"]*)"\]', diagram, flags=re.MULTILINE))
    chain = next(line for line in diagram.splitlines() if line.count("-->") > 2)
    return [labels[node.strip()] for node in chain.split("-->")]


def test_the_diagram_shows_these_layers():
    shown = diagram_layers()
    assert len(shown) == len(LAYERS) - 1  # errors.py is not drawn
    for label, layer in zip(shown, LAYERS[1:]):
        for module in layer:
            if module == "minidl":
                continue  # the facade, not drawn
            leaf = module.split(".")[-1]
            is_package = (PACKAGE_DIR / leaf).is_dir()
            assert (f"{leaf}/" if is_package else f"{leaf}.py") in label, (module, label)


def test_every_module_has_a_layer():
    # A new top-level module or package goes into LAYERS and into the diagram.
    missing = sorted(name for name in import_graph() if layer_of(name) is None)
    assert not missing, f"modules in no layer of LAYERS (and of the diagram): {missing}"


def test_the_graph_sees_the_package():
    graph = import_graph()
    assert {"minidl.tensor", "minidl.autograd", "minidl.ops.arithmetic", "minidl.nn.module"} <= (
        set(graph)
    )
    assert "minidl.autograd" in graph["minidl.ops.arithmetic"]
    assert "minidl.backend" in graph["minidl.tensor"]


def test_find_cycle_finds_a_planted_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycle(graph) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_module_level_import_cycle():
    cycle = find_cycle(import_graph())
    assert cycle is None, "module-level import cycle: " + " -> ".join(cycle)


def test_imports_point_down_the_layers():
    upward = []
    for name, imported in import_graph().items():
        rank = layer_of(name)
        for target in imported:
            target_rank = layer_of(target)
            if rank is None or target_rank is None:
                continue
            if target_rank > rank:
                upward.append(f"{name} (layer {rank}) imports {target} (layer {target_rank})")
    assert not upward, "imports pointing up the layers:\n" + "\n".join(sorted(upward))

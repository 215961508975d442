"""The example notebooks run, and each stays in sync with its percent-format script.

``examples/NN_name.py`` (jupytext percent format) is the source that is easy to review;
``examples/NN_name.ipynb`` is the same notebook for Jupyter, stored without outputs.
After editing a script, regenerate its notebook with

    jupytext --to notebook examples/NN_name.py
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="nbformat is in the dev extra")

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"
NOTEBOOKS = sorted(EXAMPLES.glob("[0-9][0-9]_*.ipynb"))
SCRIPTS = sorted(EXAMPLES.glob("[0-9][0-9]_*.py"))
TIMEOUT_PER_CELL = 120  # seconds; each notebook takes well under a minute in total


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 6, f"expected the six example notebooks, found {NOTEBOOKS}"


def test_every_notebook_has_a_script_and_back():
    notebook_stems = {path.stem for path in NOTEBOOKS}
    script_stems = {path.stem for path in SCRIPTS}
    assert notebook_stems == script_stems, (
        f"unpaired: notebooks without a script {sorted(notebook_stems - script_stems)}, "
        f"scripts without a notebook {sorted(script_stems - notebook_stems)}"
    )


def _cells(notebook) -> list[tuple[str, str]]:
    return [(cell.cell_type, cell.source.strip()) for cell in notebook.cells]


@pytest.mark.parametrize("notebook_path", NOTEBOOKS, ids=lambda path: path.stem)
def test_notebook_matches_its_script(notebook_path):
    jupytext = pytest.importorskip("jupytext", reason="jupytext is in the dev extra")
    script = jupytext.read(notebook_path.with_suffix(".py"), fmt="py:percent")
    notebook = nbformat.read(notebook_path, as_version=4)
    assert _cells(notebook) == _cells(script), (
        f"{notebook_path.name} is out of sync with its script; run "
        f"`jupytext --to notebook examples/{notebook_path.stem}.py`"
    )


@pytest.mark.parametrize("notebook_path", NOTEBOOKS, ids=lambda path: path.stem)
def test_notebook_is_stored_without_outputs(notebook_path):
    notebook = nbformat.read(notebook_path, as_version=4)
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None, (
                f"{notebook_path.name} cell {index} is stored with outputs; clear them"
            )


EXECUTED: dict = {}  # stem -> the notebook with its outputs, for tests of what it prints


@pytest.mark.parametrize("notebook_path", NOTEBOOKS, ids=lambda path: path.stem)
def test_notebook_runs_top_to_bottom(notebook_path, monkeypatch):
    execute(notebook_path, monkeypatch)


def execute(notebook_path, monkeypatch):
    """Run the notebook in a fresh kernel; returns it with its outputs."""
    nbclient = pytest.importorskip("nbclient", reason="nbclient is in the dev extra")
    pytest.importorskip("ipykernel", reason="ipykernel (the python3 kernel) is in the dev extra")
    # The kernel inherits this environment: plots go to Agg, and new tensors start on
    # NumPy unless the notebook itself asks for another backend. The notebooks' matrices
    # are small, and a multi-threaded BLAS on a busy machine (other tests running beside
    # this one) spends more time waiting for its threads than computing: one thread
    # each keeps a notebook's run time steady.
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("MINIDL_BACKEND", "numpy")
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.setenv(variable, os.environ.get(variable, "1"))
    notebook = nbformat.read(notebook_path, as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        kernel_name="python3",
        timeout=TIMEOUT_PER_CELL,
        resources={"metadata": {"path": str(EXAMPLES)}},
    )
    client.execute()  # raises CellExecutionError, naming the cell, if any cell fails
    EXECUTED[notebook_path.stem] = notebook
    return notebook


# The import name of each third-party module the notebooks use -> its package on PyPI.
PACKAGE_OF = {"matplotlib": "matplotlib", "sklearn": "scikit-learn", "scipy": "scipy",
              "PIL": "pillow", "tqdm": "tqdm", "torch": "torch",
              "IPython": "ipykernel"}  # fmt: skip


def test_the_notebooks_extra_brings_what_the_notebooks_import():
    import ast
    import sys

    import tomllib

    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extra = " ".join(project["optional-dependencies"]["notebooks"])
    assert "jupyterlab" in extra and "ipykernel" in extra  # `jupyter lab examples/` works
    imported = set()
    for script in SCRIPTS:
        for node in ast.walk(ast.parse(script.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                imported.add(node.module.split(".")[0])
    third_party = imported - set(sys.stdlib_module_names) - {"minidl", "numpy", "cupy"}
    unknown = sorted(third_party - set(PACKAGE_OF))
    assert not unknown, f"notebooks import {unknown}: add them to PACKAGE_OF and the extra"
    # torch is optional in the notebooks (they compare with it only when present).
    missing = sorted(PACKAGE_OF[name] for name in third_party - {"torch"}
                     if PACKAGE_OF[name] not in extra)  # fmt: skip
    assert not missing, f'pip install -e ".[notebooks]" lacks {missing}'


def printed(notebook) -> str:
    """Everything the notebook's code cells printed, in order."""
    return "".join(
        output.get("text", "")
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "stream"
    )


def test_notebook_01_shows_the_graph_and_every_intermediate_gradient(monkeypatch):
    pytest.importorskip("nbclient", reason="nbclient is in the dev extra")
    pytest.importorskip("ipykernel", reason="ipykernel (the python3 kernel) is in the dev extra")
    notebook = EXECUTED.get("01_autograd") or execute(EXAMPLES / "01_autograd.ipynb", monkeypatch)
    text = printed(notebook)
    # The graph of L = (a·b + c)², drawn by mdl.viz: tensors joined through the ops.
    for line in ["a = 2  (leaf)", "b = -3  (leaf)", "c = 10  (leaf)", "Mul", "Add", "Pow",
                 "e = -6", "d = 4", "L = 16"]:  # fmt: skip
        assert f"\n  {line}\n" in text, f"notebook 01 does not print the node {line!r}"
    edges = {"a → Mul", "b → Mul", "Mul → e", "e → Add", "c → Add", "Add → d", "d → Pow",
             "Pow → L"}  # fmt: skip
    printed_edges = set(re.findall(r"^  (\w+ → \w+)$", text, flags=re.MULTILINE))
    assert printed_edges == edges
    # ∂L/∂node for every node, by hand and by backward() (retain_grad), side by side.
    expected = {"L": 1, "d": 8, "e": 8, "c": 8, "a": -24, "b": 16}
    for name, value in expected.items():
        row = re.search(rf"^dL/d{name}\s+(-?[0-9.]+)\s+(-?[0-9.]+)\s*$", text, re.MULTILINE)
        assert row, f"notebook 01 prints no row for dL/d{name}"
        assert float(row.group(1)) == float(row.group(2)) == value, row.group(0)
    # The hooks fire in backward()'s order: the root first, the leaves last.
    hooks = re.findall(r"^hook: dL/d(\w) = ", text, flags=re.MULTILINE)
    assert hooks[:3] == ["L", "d", "e"]


@pytest.mark.parametrize("stem", ["01_autograd", "02_activations_losses"])
def test_notebook_runs_with_a_device_as_the_backend(stem):
    """Defect: on a GPU (MINIDL_BACKEND=cupy) notebooks 01 and 02 handed raw device
    arrays to NumPy and matplotlib. Run their scripts with the strict stand-in device as
    the current backend, which refuses such implicit copies as CuPy does."""
    import subprocess
    import sys

    run_on_the_stand_in = (
        "import runpy, sys\n"
        "import minidl as mdl\n"
        "from minidl.testing import StrictDeviceBackend\n"
        "mdl.backend.register('strict', StrictDeviceBackend)\n"
        "mdl.set_backend('strict')\n"
        "runpy.run_path(sys.argv[1], run_name='__main__')\n"
    )
    environment = {**os.environ, "MPLBACKEND": "Agg", "PYTHONPATH": str(REPO)}
    environment.setdefault("OPENBLAS_NUM_THREADS", "1")
    result = subprocess.run(
        [sys.executable, "-c", run_on_the_stand_in, str(EXAMPLES / f"{stem}.py")],
        cwd=EXAMPLES, env=environment, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]

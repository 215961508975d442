"""The documentation keeps its promises.

1. Every formula id of FORMULAS.md appears in docs/formulas.md.
2. Every test that docs/formulas.md names (``tests/test_x.py::test_name``) exists, and
   every function or class it names (``minidl.ops.activation.ReLU``) can be imported.
3. ``mkdocs build --strict`` passes (no broken link, no missing page), offline.
4. The README's 15-line example runs.
"""

from __future__ import annotations

import ast
import importlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_FORMULAS = REPO.parent / "shared" / "FORMULAS.md"
DOCS_FORMULAS = REPO / "docs" / "formulas.md"

# A copy of FORMULAS.md's ids, so the check works in a clone without shared/ beside it.
KNOWN_IDS = (
    [f"N{i}" for i in range(1, 5)]
    + [f"A{i}" for i in range(1, 5)]
    + [f"L{i}" for i in range(1, 8)]
    + [f"O{i}" for i in range(1, 6)]
    + [f"D{i}" for i in range(1, 5)]
    + [f"M{i}" for i in range(1, 5)]
    + [f"X{i}" for i in range(1, 9)]
    + ["X5′"]
    + [f"E{i}" for i in range(1, 11)]
    + [f"S{i}" for i in range(1, 6)]
    + [f"T{i}" for i in range(1, 9)]
)

ROW_ID = re.compile(r"^\|\s*\**([A-Z][0-9]+′?)\**\s*\|", re.MULTILINE)
TEST_REFERENCE = re.compile(r"(tests/[\w/]+\.py)::(\w+)")


def formula_ids(markdown: str) -> list[str]:
    """The ids in the first column of a markdown table (| N1 | ... |)."""
    return ROW_ID.findall(markdown)


def test_the_copied_id_list_matches_shared_formulas():
    if not SHARED_FORMULAS.exists():
        pytest.skip(f"{SHARED_FORMULAS} is not beside this clone")
    assert sorted(formula_ids(SHARED_FORMULAS.read_text(encoding="utf-8"))) == sorted(KNOWN_IDS)


def test_every_formula_id_has_a_row_in_docs_formulas():
    wanted = set(KNOWN_IDS)
    if SHARED_FORMULAS.exists():
        wanted |= set(formula_ids(SHARED_FORMULAS.read_text(encoding="utf-8")))
    documented = set(formula_ids(DOCS_FORMULAS.read_text(encoding="utf-8")))
    missing = sorted(wanted - documented)
    assert not missing, f"docs/formulas.md has no row for {missing}"


def _functions_defined_in(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
    }


def test_every_test_named_in_docs_formulas_exists():
    references = TEST_REFERENCE.findall(DOCS_FORMULAS.read_text(encoding="utf-8"))
    assert references, "docs/formulas.md names no test at all"
    missing = []
    for relative_path, name in sorted(set(references)):
        path = REPO / relative_path
        if not path.exists() or name not in _functions_defined_in(path):
            missing.append(f"{relative_path}::{name}")
    assert not missing, f"docs/formulas.md names tests that do not exist: {missing}"


CODE_REFERENCE = re.compile(r"`(minidl(?:\.\w+)+)`")


def _resolve(dotted: str) -> object:
    """Import the longest module prefix of ``dotted``, then follow the attributes."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            target = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for name in parts[cut:]:
            target = getattr(target, name)
        return target
    raise ModuleNotFoundError(dotted)


def test_every_function_named_in_docs_formulas_exists():
    references = sorted(set(CODE_REFERENCE.findall(DOCS_FORMULAS.read_text(encoding="utf-8"))))
    assert references, "docs/formulas.md names no implementing function at all"
    missing = []
    for dotted in references:
        try:
            _resolve(dotted)
        except (ImportError, AttributeError):
            missing.append(dotted)
    assert not missing, f"docs/formulas.md names code that does not exist: {missing}"


def test_mkdocs_build_strict(tmp_path):
    pytest.importorskip("mkdocs", reason="mkdocs is in the dev extra")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, (
        f"mkdocs build --strict failed:\n{result.stdout}\n{result.stderr}"
    )
    assert (tmp_path / "site" / "errata" / "index.html").exists()


def readme_example() -> str:
    """The ```python block under README's "## A 15-line example" heading."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = re.search(r"^## A 15-line example\n(.*?)(?=^## )", readme, re.MULTILINE | re.DOTALL)
    assert section, 'README.md has no "## A 15-line example" section'
    block = re.search(r"```python\n(.*?)```", section.group(1), re.DOTALL)
    assert block, 'README.md\'s "A 15-line example" section has no ```python block'
    return block.group(1)


def test_readme_example_is_short():
    lines = [line for line in readme_example().splitlines() if line.strip()]
    assert len(lines) <= 15, f"the README example has {len(lines)} lines; keep it to 15"


def test_readme_example_runs(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    code = compile(readme_example(), "README.md", "exec")
    exec(code, {"__name__": "__readme__"})
    assert capsys.readouterr().out.strip(), "the README example should print its result"


def test_docs_cite_no_file_the_repository_lacks():
    # The source documents are not part of the repository: the docs cite them by number
    # and section, in words, and quote the formula, so that they stand alone.
    pages = sorted((REPO / "docs").glob("*.md")) + [REPO / "README.md"]
    citing = [page.name for page in pages if "seeds/" in page.read_text(encoding="utf-8")]
    assert not citing, f"these pages cite seeds/ files the repository does not have: {citing}"

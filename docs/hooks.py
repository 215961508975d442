"""mkdocs hook: the docs' code and test references become links to the source.

A page that names `minidl.ops.linear.Linear`, `minidl/ops/conv.py`,
`examples/01_autograd.py` or `tests/test_optim.py::test_O1_gd` (in backticks) links to a
page of the site that shows that file with numbered lines, at the line where the name is
defined. Those pages are made at build time from the files beside the docs, so they show
the code that was built and need no network. A reference that names nothing in the
repository stays plain text (tests/test_docs.py checks the formula table's references).
"""

from __future__ import annotations

import ast
import html
import importlib
import inspect
import posixpath
import re
import sys
from pathlib import Path

from mkdocs.structure.files import File

REPO = Path(__file__).resolve().parents[1]
SOURCE_ROOT = "source"  # the generated pages live under site/source/
REFERENCE = re.compile(
    r"`((?:minidl|tests|examples|benchmarks)/[\w/.-]+?(?:::\w+)?|minidl(?:\.\w+)+)`"
)
FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)


def _definition_line(path: Path, dotted_name: str) -> int | None:
    """The line of ``class``/``def`` ``dotted_name`` (``Class.method`` too) in ``path``."""
    body = ast.parse(path.read_text(encoding="utf-8")).body
    line = None
    for name in dotted_name.split("."):
        found = [
            node
            for node in body
            if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
            and node.name == name
        ]
        if not found:
            return None
        line, body = found[0].lineno, found[0].body
    return line


def _file(relative: str) -> Path | None:
    path = REPO / relative
    for candidate in (path, path.with_name(path.name + ".py")):
        if candidate.is_file() and candidate.suffix == ".py":
            return candidate
    return None


def resolve(reference: str) -> tuple[str, int] | None:
    """``(file relative to the repository, line)`` that ``reference`` names, or None."""
    if "/" in reference:
        relative, _, name = reference.partition("::")
        path = _file(relative)
        if path is None:
            return None
        line = _definition_line(path, name) if name else 1
        return (path.relative_to(REPO).as_posix(), line) if line else None
    parts = reference.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            target = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        module = target
        try:
            for name in parts[cut:]:
                target = getattr(target, name)
        except AttributeError:
            return None
        try:
            path = Path(inspect.getsourcefile(target) or "")
            line = 1 if inspect.ismodule(target) else inspect.getsourcelines(target)[1]
        except TypeError:  # a constant or an instance: point at its module
            path, line = Path(inspect.getsourcefile(module) or ""), 1
        path = path.resolve()
        if not path.is_relative_to(REPO):
            return None
        return path.relative_to(REPO).as_posix(), line
    return None


def _outside_fences(markdown: str, replace) -> str:
    """Apply ``replace`` to the markdown outside fenced code blocks."""
    pieces, start = [], 0
    for fence in FENCE.finditer(markdown):
        pieces.append(replace(markdown[start : fence.start()]))
        pieces.append(fence.group(0))
        start = fence.end()
    pieces.append(replace(markdown[start:]))
    return "".join(pieces)


def source_page(relative: str) -> str:
    """A page showing one source file, each line an anchor ``#L<number>``."""
    lines = (REPO / relative).read_text(encoding="utf-8").splitlines()
    spans = "".join(
        f'<span class="line" id="L{number}">{html.escape(text)}</span>'
        for number, text in enumerate(lines, start=1)
    )
    return f'# {relative}\n\n<pre class="source"><code>{spans}</code></pre>\n'


# ------------------------------------------------------------------------ mkdocs events


def on_config(config):
    if str(REPO) not in sys.path:  # resolve() imports minidl from this checkout
        sys.path.insert(0, str(REPO))
    return config


def on_files(files, config):
    wanted: set[str] = set()
    for page in files.documentation_pages():
        markdown = Path(page.abs_src_path).read_text(encoding="utf-8")
        for reference in REFERENCE.findall(FENCE.sub("", markdown)):
            found = resolve(reference)
            if found:
                wanted.add(found[0])
    for relative in sorted(wanted):
        files.append(
            File.generated(config, f"{SOURCE_ROOT}/{relative}.md", content=source_page(relative))
        )
    return files


def on_page_markdown(markdown, page, config, files):
    if page.file.src_uri.startswith(SOURCE_ROOT + "/"):
        return markdown
    here = posixpath.dirname(page.file.src_uri)

    def link(match: re.Match) -> str:
        found = resolve(match.group(1))
        if found is None:
            return match.group(0)
        relative, line = found
        target = posixpath.relpath(f"{SOURCE_ROOT}/{relative}.md", here or ".")
        return f"[{match.group(0)}]({target}#L{line})"

    return _outside_fences(markdown, lambda text: REFERENCE.sub(link, text))

"""The built docs site, as a reader's browser shows it, with no network.

Builds the site with mkdocs, serves it on localhost, and loads every page in a headless
Chromium (Debian's ``chromium`` package). After the page's scripts have run, the page
must show no raw TeX (``\\(``, ``\\[``, ``$$``) and no raw Mermaid source; every image,
script and style sheet must come from the site itself, and every link into the site must
resolve (its ``#anchor`` too). Skipped, with a message, where Chromium or mkdocs is not installed.
"""

from __future__ import annotations

import functools
import html
import re
import shutil
import subprocess
import sys
import threading
import xml.etree.ElementTree as ElementTree
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest

REPO = Path(__file__).resolve().parents[1]
PAGES = ["", "formulas/", "errata/", "architecture/", "backends/", "errors/", "notebooks/"]
CHROMIUM = next(
    (
        found
        for name in ("chromium", "chromium-browser", "google-chrome")
        if (found := shutil.which(name))
    ),
    None,
)

pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no headless Chromium here: install Debian's chromium package "
    "(apt-get install chromium) to check the built docs in a browser",
)


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep the test output clean
        pass


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """``(site folder, base URL)`` of the freshly built docs, served on localhost."""
    pytest.importorskip("mkdocs", reason="mkdocs is in the dev extra")
    folder = tmp_path_factory.mktemp("docs") / "site"
    subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(folder)],
        cwd=REPO, check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(folder))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield folder, f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def rendered(url: str) -> str:
    """The page's DOM after its scripts ran, as headless Chromium serialises it."""
    finished = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--virtual-time-budget=10000", "--dump-dom", url],
        capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert finished.returncode == 0 and "</html>" in finished.stdout, finished.stderr[-2000:]
    return finished.stdout


def visible_text(dom: str) -> str:
    """The page's text outside code, scripts and KaTeX's hidden copy of the TeX source."""
    for hidden in ("script", "style", "pre", "code", "annotation"):
        dom = re.sub(rf"<{hidden}\b.*?</{hidden}>", " ", dom, flags=re.DOTALL)
    return html.unescape(re.sub(r"<[^>]+>", " ", dom))


def ids_in(path: Path) -> set[str]:
    return set(re.findall(r'\bid="([^"]+)"', path.read_text(encoding="utf-8")))


def local_file(site_folder: Path, base: str, url: str) -> Path:
    path = site_folder / unquote(urlsplit(url).path[len(urlsplit(base).path) :])
    return path / "index.html" if url.split("#")[0].endswith("/") or path.is_dir() else path


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.strip("/") or "home")
def test_page_renders_math_and_diagrams_and_its_links_resolve(site, page):
    site_folder, base = site
    url = base + page
    dom = rendered(url)
    text = visible_text(dom)

    for raw in ("\\(", "\\[", "$$"):
        assert raw not in text, (
            f"{page or 'home'} shows raw TeX {raw!r}: {text[text.find(raw) - 80 :][:200]!r}"
        )
    assert "katex-error" not in dom, "KaTeX could not typeset a formula on " + (page or "home")
    assert 'class="mermaid"' not in dom and "```mermaid" not in dom
    for keyword in ("flowchart BT", "sequenceDiagram", "participant "):
        assert keyword not in text, f"{page or 'home'} shows raw Mermaid source ({keyword!r})"

    references = re.findall(r'<(a|img|script|link)\b[^>]*?\b(href|src)="([^"]*)"', dom)
    assert references
    broken = []
    for tag, _, target in references:
        target = html.unescape(target)
        absolute = urljoin(url, target)
        if tag == "a" and not absolute.startswith(base):
            continue  # a link out of the site (the theme's "Built with MkDocs")
        if not absolute.startswith(base):
            broken.append(f"<{tag}> {target} (outside the site: needs a network)")
            continue
        path = local_file(site_folder, base, absolute)
        if not path.is_file():
            broken.append(f"<{tag}> {target} (no file {path.relative_to(site_folder)})")
            continue
        fragment = urlsplit(absolute).fragment
        if tag == "a" and fragment and unquote(fragment) not in ids_in(path):
            broken.append(f"<a> {target} (no #{fragment} in {path.relative_to(site_folder)})")
    assert not broken, f"{page or 'home'} has references that do not resolve:\n" + "\n".join(broken)


def test_formulas_page_typesets_math_and_links_code_and_tests_to_the_source(site):
    site_folder, base = site
    dom = rendered(base + "formulas/")
    assert dom.count('class="katex"') > 50
    links = re.findall(r'<a href="([^"]*source/[^"]*)"', dom)
    assert any("source/minidl/ops/linear.py/#L" in link for link in links)
    assert any("source/tests/test_optim.py/#L" in link for link in links)
    # A test's link lands on the line of its def.
    target = next(link for link in links if "test_optim.py" in link and "#L" in link)
    line = int(target.rsplit("#L", 1)[1])
    source = (REPO / "tests" / "test_optim.py").read_text(encoding="utf-8").splitlines()
    assert source[line - 1].lstrip().startswith("def test_")


def test_architecture_diagrams_are_svg_files_in_the_site(site):
    site_folder, base = site
    dom = rendered(base + "architecture/")
    images = re.findall(r'<img\b[^>]*\bsrc="([^"]+\.svg)"', dom)
    assert len(images) == 2
    for image in images:
        path = local_file(site_folder, base, urljoin(base + "architecture/", image))
        root = ElementTree.parse(path).getroot()
        labels = " ".join(element.text or "" for element in root.iter() if element.text)
        assert root.tag.endswith("svg") and ("autograd" in labels or "backward" in labels)

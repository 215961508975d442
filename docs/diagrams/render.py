"""Redraw the docs' diagrams: each ``docs/diagrams/NAME.mmd`` (Mermaid source) becomes
``NAME.svg`` beside it, so the site shows them with no script and no network.

Run it after editing a ``.mmd`` file. It needs Mermaid's ``mermaid.min.js`` (from the
npm registry: ``npm pack mermaid`` and untar it) and a headless Chromium:

    python docs/diagrams/render.py path/to/package/dist/mermaid.min.js
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent

PAGE = """<!doctype html><html><head><meta charset="utf-8"><script src="mermaid.min.js"></script>
</head><body><script type="text/x-mermaid" id="source">{source}</script><script>
mermaid.initialize({{startOnLoad: false, theme: "neutral", htmlLabels: false,
                    flowchart: {{htmlLabels: false}}}});
mermaid.render("diagram", document.getElementById("source").textContent).then(
  ({{svg}}) => {{ const drawn = document.createElement("div"); drawn.innerHTML = svg;
                 document.body.appendChild(drawn);  // as XML, so that <img> can load it
                 const out = document.createElement("pre"); out.id = "out";
                 out.textContent = new XMLSerializer().serializeToString(drawn.firstChild);
                 document.body.appendChild(out); }},
  (error) => {{ document.body.append("MERMAID ERROR " + error); }});
</script></body></html>"""


def render(source: str, mermaid_js: Path, chromium: str) -> str:
    with tempfile.TemporaryDirectory() as folder:
        shutil.copy(mermaid_js, Path(folder) / "mermaid.min.js")
        page = Path(folder) / "page.html"
        # A script element's text is raw: only "</" could end it early.
        page.write_text(PAGE.format(source=source.replace("</", "<\\/")), encoding="utf-8")
        dom = subprocess.run(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu",
             "--virtual-time-budget=20000", "--dump-dom", page.as_uri()],
            capture_output=True, text=True, timeout=120, check=True,
        ).stdout  # fmt: skip
    found = re.search(r'<pre id="out">(.*?)</pre>', dom, re.DOTALL)
    if found is None:
        raise RuntimeError(f"Mermaid drew nothing: {dom[dom.rfind('MERMAID ERROR') :][:700]}")
    svg = html.unescape(found.group(1))
    # Mermaid sizes the picture to its container (width="100%"); as an <img> it should
    # keep its natural size, which the viewBox gives.
    _, _, width, height = re.search(r'viewBox="([^"]+)"', svg).group(1).split()
    return svg.replace('width="100%"', f'width="{width}" height="{height}"', 1)


def main() -> None:
    mermaid_js = Path(sys.argv[1])
    chromium = shutil.which("chromium") or shutil.which("chromium-browser") or "chromium"
    for source in sorted(HERE.glob("*.mmd")):
        svg = render(source.read_text(encoding="utf-8"), mermaid_js, chromium)
        source.with_suffix(".svg").write_text(svg + "\n", encoding="utf-8")
        print(f"wrote {source.with_suffix('.svg').relative_to(HERE.parent.parent)}")


if __name__ == "__main__":
    main()

// Draw the ```mermaid diagrams (pymdownx.superfences renders them as <pre class="mermaid">).
window.addEventListener("load", function () {
  if (window.mermaid) {
    window.mermaid.initialize({ startOnLoad: false });
    window.mermaid.run({ querySelector: ".mermaid" });
  }
});

// Typeset the math that pymdownx.arithmatex marked (generic mode: \( \) inline, \[ \]
// display) with the KaTeX copy in docs/vendor/katex, so formulas render with no network.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll(".arithmatex").forEach(function (element) {
    var tex = element.textContent.trim();
    var display = tex.startsWith("\\[");
    tex = tex.slice(2, -2);  // drop the \( \) or \[ \] delimiters
    katex.render(tex, element, { displayMode: display, throwOnError: false });
  });
});

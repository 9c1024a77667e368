/* Search result summaries as a reader sees the page: no TeX, no folded code.

   Sphinx's searchtools.js cuts each summary out of the result page's HTML
   text, which holds what MathJax has not typeset yet (`\(\mathbf{x}\)`,
   `\[ ... \]`) and the code of the folded `#@save` cells with their
   "Show the complete definition" label.  `Search.htmlToText` is the hook
   Sphinx leaves for this (it drops `.headerlink`, `script` and `style`
   only): this file wraps it, loaded on the search page alone, deferred so
   that it runs after searchtools.js (furo writes that file after the page's
   own scripts) and before the search starts.  A static file: the pages'
   Content-Security-Policy runs no inline script.

   A formula in running text becomes the plain text of its symbols (`\(f:
   \mathbb{R}^n \to \mathbb{R}\)` reads "f: ℝ^n → ℝ"), or "…" when it is more
   than symbols; a displayed formula becomes "…". */
"use strict";
(() => {
  if (typeof Search === "undefined" || !Search.htmlToText) return;

  // What the reader does not see as text: MyST-NB's folded cell inputs (the
  // saved definitions, with the toggle's labels) and sphinx-copybutton's buttons.
  const HIDDEN = "details.hide, .copybtn";
  const SYMBOLS = {
    alpha: "α", beta: "β", gamma: "γ", delta: "δ", epsilon: "ε",
    varepsilon: "ε", eta: "η", theta: "θ", lambda: "λ", mu: "μ", pi: "π",
    rho: "ρ", sigma: "σ", tau: "τ", phi: "φ", omega: "ω", Sigma: "Σ",
    Delta: "Δ", partial: "∂", nabla: "∇", to: "→", rightarrow: "→",
    in: "∈", times: "×", cdot: "·", ldots: "…", cdots: "…", dots: "…",
    top: "ᵀ", leq: "≤", le: "≤", geq: "≥", ge: "≥", neq: "≠", approx: "≈",
    infty: "∞", sum: "∑", prod: "∏", mid: "|", quad: " ", qquad: " ",
  };
  const DOUBLE_STRUCK = { R: "ℝ", N: "ℕ", Z: "ℤ", Q: "ℚ", C: "ℂ", E: "𝔼", P: "ℙ" };
  // Commands whose argument is read as it is: \mathbf{x} is x.
  const STYLE = /\\(?:mathbf|mathrm|mathit|mathcal|boldsymbol|textrm|textbf|text|operatorname)\s*\{([^{}]*)\}/g;

  /** The plain text of an inline formula's TeX source, or "…". */
  const formulaText = (tex) => {
    let text = tex.trim().replace(/^\\\(|\\\)$/g, "").replace(/^\$|\$$/g, "");
    text = text.replace(/\^\s*\{?\\top\}?/g, "ᵀ");
    text = text.replace(/\\mathbb\s*\{(\w)\}/g, (m, c) => DOUBLE_STRUCK[c] || c);
    for (let i = 0; i < 3; i += 1) text = text.replace(STYLE, "$1");
    text = text
      .replace(/\\(left|right|big|Big|bigg|Bigg)\b/g, "")
      .replace(/\\[,;:! ]/g, " ")
      .replace(/\\([A-Za-z]+)/g, (m, name) => SYMBOLS[name] ?? m)
      .replace(/[{}]/g, "")
      .replace(/\s+/g, " ")
      .trim();
    return /\\/.test(text) ? "…" : text;
  };

  const sphinxHtmlToText = Search.htmlToText;
  Search.htmlToText = (htmlString, anchor) => {
    const page = new DOMParser().parseFromString(htmlString, "text/html");
    page.querySelectorAll(HIDDEN).forEach((el) => el.remove());
    page.querySelectorAll(".math").forEach((el) => {
      const inline = el.tagName === "SPAN";
      el.replaceWith(inline ? formulaText(el.textContent) : " … ");
    });
    return sphinxHtmlToText(page.documentElement.outerHTML, anchor);
  };
})();

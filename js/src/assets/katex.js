// On-demand module (see ../assets.js): TeX to MathML with KaTeX. MathML Core renders natively in
// Chromium, Firefox and Safari, so neither KaTeX's HTML output nor its fonts are needed. Errors
// render as KaTeX's red source text instead of throwing; \href and friends stay untrusted.
import katex from "katex";

/** @param {string} tex
 *  @param {boolean} display */
export function renderMath(tex, display) {
  return katex.renderToString(tex, {
    output: "mathml",
    displayMode: display,
    throwOnError: false,
    trust: false,
    strict: "ignore",
  });
}

// Code highlighting, with the highlighter loaded on demand from the kernel (see assets.js).
// Blocks finished before it arrives stay plain and are highlighted when it does.
import { drain, loaded, onLoaded } from "./assets.js";

// Past this size highlighting one block could take a long task on its own.
const MAX_HIGHLIGHT_CHARS = 50_000;
// Languages the highlighter would know, so plain-text blocks never make a view load it.
const KNOWN = new Set(
  "bash shell console css javascript js json markdown md python py sql typescript ts xml html yaml yml".split(
    " ",
  ),
);
/** @type {Map<HTMLElement, string>} <code> element -> language, until the highlighter arrives */
const waiting = new Map();

onLoaded((name) => {
  if (name !== "highlight") return;
  const module = loaded("highlight");
  drain(waiting, ([code, lang]) => apply(code, lang, module));
});

// Highlights a finished <code> element in place. Its text came from the sanitizer; highlight.js
// escapes it again, so the markup it sets holds nothing but its own <span class="hljs-...">.
/** @param {HTMLElement} code @param {string} lang */
export function highlightCode(code, lang) {
  if (!KNOWN.has(lang) || (code.textContent ?? "").length > MAX_HIGHLIGHT_CHARS) return;
  const module = loaded("highlight");
  if (module) apply(code, lang, module);
  else waiting.set(code, lang);
}

/**
 * @param {HTMLElement} code
 * @param {string} lang
 * @param {{knows: (lang: string) => boolean, highlight: (text: string, lang: string) => string}} module
 */
function apply(code, lang, module) {
  if (!module.knows(lang)) return;
  code.innerHTML = module.highlight(code.textContent ?? "", lang);
  code.classList.add("hljs");
}

// highlight.js core with only the languages a chat about code needs most; the full build would
// triple the bundle. Unknown or missing languages stay plain: auto-detection runs every grammar
// over the block, which is too slow for a per-frame budget.
import hljs from "highlight.js/lib/core";
import bash from "highlight.js/lib/languages/bash";
import css from "highlight.js/lib/languages/css";
import javascript from "highlight.js/lib/languages/javascript";
import json from "highlight.js/lib/languages/json";
import markdown from "highlight.js/lib/languages/markdown";
import python from "highlight.js/lib/languages/python";
import sql from "highlight.js/lib/languages/sql";
import typescript from "highlight.js/lib/languages/typescript";
import xml from "highlight.js/lib/languages/xml";
import yaml from "highlight.js/lib/languages/yaml";

const LANGUAGES = { bash, css, javascript, json, markdown, python, sql, typescript, xml, yaml };
for (const [name, grammar] of Object.entries(LANGUAGES)) hljs.registerLanguage(name, grammar);
hljs.registerAliases(["shell", "console"], { languageName: "bash" });

// Past this size highlighting one block could take a long task on its own.
const MAX_HIGHLIGHT_CHARS = 50_000;

// Highlights a finished <code> element in place. Its text came from the sanitizer; highlight.js
// escapes it again, so the markup it returns holds nothing but its own <span class="hljs-...">.
export function highlightCode(code, lang) {
  const text = code.textContent;
  if (!lang || !hljs.getLanguage(lang) || text.length > MAX_HIGHLIGHT_CHARS) return;
  code.innerHTML = hljs.highlight(text, { language: lang, ignoreIllegals: true }).value;
  code.classList.add("hljs");
}

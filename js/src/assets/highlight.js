// On-demand module (see ../assets.js): highlight.js core with only the languages a chat about
// code needs most; the full build would triple its size. Unknown or missing languages stay
// plain: auto-detection runs every grammar over the block, which is too slow for a frame budget.
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

/** Whether `lang` has a grammar here.
 *  @param {string} lang */
export function knows(lang) {
  return Boolean(hljs.getLanguage(lang));
}

/** The highlighted HTML of `text`: only highlight.js's own escaped spans.
 *  @param {string} text
 *  @param {string} lang */
export function highlight(text, lang) {
  return hljs.highlight(text, { language: lang, ignoreIllegals: true }).value;
}

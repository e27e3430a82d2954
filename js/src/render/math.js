// Math in model output: $…$, $$…$$, \(…\) and \[…\] become MathML, rendered by KaTeX, which
// is loaded on demand from the kernel (see assets.js) only when a message contains math.
//
// The marked extension below only finds the delimiters, so markdown never touches the TeX inside
// (it would turn "\," into ","): each formula becomes a placeholder holding its source, which
// is what shows until KaTeX arrives, and what Copy keeps. Inline $…$ follows Pandoc's rule, so
// prices stay text ("It costs $25 and $30."): the opening $ is followed by a non-space, the
// closing $ follows a non-space and is not followed by a digit; and no backtick in between, so a
// price before a code span cannot pair with a $ inside it. Code spans and code blocks are
// tokenized by marked before any of this, so math inside code stays literal. A $$ that is not
// closed yet (a reply still streaming) stays source.
import DOMPurify from "dompurify";
import { drain, loaded, onLoaded } from "./assets.js";

/** @type {[RegExp, boolean][]} */
const INLINE = [
  [/^\$\$(?!\$)([\s\S]+?)\$\$/, true],
  [/^\\\[([\s\S]+?)\\\]/, true],
  [/^\\\(([\s\S]+?)\\\)/, false],
  [/^\$(?![\s$])((?:\\[\s\S]|[^\\$`])+?)(?<!\s)\$(?!\d)/, false],
];
const UNCLOSED_DISPLAY = /^\$\$[\s\S]*$/;
const BLOCK = [
  /^ {0,3}\$\$([\s\S]+?)\$\$[ \t]*(?:\n+|$)/,
  /^ {0,3}\\\[([\s\S]+?)\\\][ \t]*(?:\n+|$)/,
];
// The placeholders' classes: the sanitizer keeps exactly these (see markdown.js).
export const MATH_CLASSES = ["co-math", "co-math co-math-display"];
const DELIMITED = /^(?:\$\$|\$|\\\(|\\\[)([\s\S]*?)(?:\$\$|\$|\\\)|\\\])$/;

/** @type {Record<string, string>} */
const ENTITIES = { "&": "amp", "<": "lt", ">": "gt", '"': "quot" };

/** @param {string} text */
function escapeHtml(text) {
  return text.replace(/[&<>"]/g, (c) => `&${ENTITIES[c]};`);
}

// A block formula is a <div>; an inline one, even in display style, a <span> (it sits in a <p>).
/** @param {any} token a math token: {raw, display, block} */
function placeholder({ raw, display, block }) {
  const tag = block ? "div" : "span";
  return `<${tag} class="${MATH_CLASSES[display ? 1 : 0]}">${escapeHtml(raw.trim())}</${tag}>`;
}

/** @type {import("marked").MarkedExtension} */
export const mathExtension = {
  extensions: [
    {
      name: "mathBlock",
      level: "block",
      /** @param {string} src */
      tokenizer(src) {
        for (const rule of BLOCK) {
          const match = rule.exec(src);
          if (match) return { type: "mathBlock", raw: match[0], display: true, block: true };
        }
        return undefined;
      },
      renderer: placeholder,
    },
    {
      name: "math",
      level: "inline",
      /** @param {string} src */
      start(src) {
        const at = src.search(/\$|\\[([]/);
        return at < 0 ? undefined : at;
      },
      /** @param {string} src */
      tokenizer(src) {
        for (const [rule, display] of INLINE) {
          const match = rule.exec(src);
          if (match) return { type: "math", raw: match[0], display };
        }
        // An unclosed $$ is shown as it is, so markdown does not mangle it before it closes.
        const open = UNCLOSED_DISPLAY.exec(src);
        if (open) return { type: "text", raw: open[0], text: escapeHtml(open[0]) };
        return undefined;
      },
      renderer: placeholder,
    },
  ],
};

// MathML as KaTeX writes it, and nothing else: no href, no style, no class, no HTML inside.
const MATH_TAGS = (
  "math semantics annotation mrow mi mn mo ms mtext mspace msup msub msubsup mfrac msqrt " +
  "mroot mover munder munderover mtable mtr mtd mlabeledtr mpadded mphantom mstyle menclose"
).split(" ");
const MATH_ATTRS = (
  "xmlns display encoding mathvariant stretchy fence separator lspace rspace width height " +
  "depth voffset mathsize minsize maxsize accent accentunder linethickness columnalign " +
  "rowalign rowspacing columnspacing rowlines columnlines scriptlevel displaystyle notation " +
  "largeop movablelimits symmetric mathcolor mathbackground"
).split(" ");
const mathPurify = DOMPurify(window);
mathPurify.setConfig({
  ALLOWED_TAGS: MATH_TAGS,
  ALLOWED_ATTR: MATH_ATTRS,
  ADD_URI_SAFE_ATTR: MATH_ATTRS,
  ALLOW_DATA_ATTR: false,
  ALLOW_ARIA_ATTR: false,
  RETURN_DOM_FRAGMENT: true,
});

/** @type {Set<Element>} placeholders rendered before KaTeX arrived */
const waiting = new Set();

onLoaded((name) => {
  if (name !== "katex") return;
  const katex = loaded("katex");
  drain(waiting, (el) => typeset(el, katex));
});

/** Turns the math placeholders in `root` into MathML, now or when KaTeX arrives.
 *  @param {ParentNode} root */
export function renderMathIn(root) {
  const found = root.querySelectorAll(".co-math");
  if (!found.length) return;
  const katex = loaded("katex");
  for (const el of found) {
    if (katex) typeset(el, katex);
    else waiting.add(el);
  }
}

/**
 * @param {Element} el
 * @param {{renderMath: (tex: string, display: boolean) => string}} katex
 */
function typeset(el, katex) {
  const tex = DELIMITED.exec(el.textContent ?? "")?.[1];
  if (tex === undefined || el.classList.contains("co-math-done")) return;
  const display = el.classList.contains("co-math-display");
  const key = `${display ? "D" : "I"}${tex}`;
  let mathml = typeset.cache.get(key);
  if (!mathml) {
    const html = katex.renderMath(tex, display);
    mathml = /** @type {DocumentFragment} */ (/** @type {unknown} */ (mathPurify.sanitize(html)));
    if (typeset.cache.size >= MAX_CACHED) typeset.cache.clear();
    typeset.cache.set(key, mathml);
  }
  el.replaceChildren(mathml.cloneNode(true));
  el.classList.add("co-math-done");
}
// Sanitized MathML by formula: a reply's formulas are typeset as their blocks finish, and again
// in the full render of the committed message; the second time costs a clone, not KaTeX.
/** @type {Map<string, DocumentFragment>} */
typeset.cache = new Map();
const MAX_CACHED = 500;

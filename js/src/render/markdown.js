// Markdown -> sanitized DOM. Model output is untrusted: marked (GFM) turns it into HTML, and
// DOMPurify, with a strict allowlist, turns that into a DocumentFragment. The fragment is only
// imported into the page after sanitizing, so nothing in it runs or loads before then.
import DOMPurify from "dompurify";
import { Marked } from "marked";
import { button, demoteControls, h } from "./dom.js";
import { MATH_CLASSES, mathExtension, renderMathIn } from "./math.js";
import { highlightCode } from "./syntax.js";

const marked = new Marked(mathExtension, {
  gfm: true,
  async: false,
  renderer: {
    // GFM task lists render as <input> elements; a glyph needs no form control in the allowlist.
    checkbox({ checked }) {
      return checked ? "☑ " : "☐ ";
    },
  },
});

// Only the elements markdown produces, plus harmless inline HTML. Everything able to run code,
// load a resource or restyle the page is absent: script, style, iframe, object, embed, form,
// img/picture/video/audio/source, svg, math, link, meta, base. So are the style and on*
// attributes, and any URL scheme but http, https and mailto (relative URLs are dropped too: they
// would resolve against the Jupyter server).
const ALLOWED_TAGS = (
  "a abbr b blockquote br caption cite code col colgroup dd del details dfn div dl " +
  "dt em figcaption figure h1 h2 h3 h4 h5 h6 hr i ins kbd li mark ol p pre q s samp " +
  "small span strong sub summary sup table tbody td tfoot th thead tr u ul var"
).split(" ");
const PLAIN_ATTR = "title class align colspan rowspan start reversed open".split(" ");
DOMPurify.setConfig({
  ALLOWED_TAGS,
  ALLOWED_ATTR: ["href", ...PLAIN_ATTR],
  // DOMPurify holds every allowed attribute it does not know to be URL-free to the URI regexp,
  // which would drop start="3", align="right" and colspan="2".
  ADD_URI_SAFE_ATTR: PLAIN_ATTR,
  ALLOWED_URI_REGEXP: /^(?:https?:|mailto:)/i,
  ALLOW_DATA_ATTR: false,
  ALLOW_ARIA_ATTR: false,
  RETURN_DOM_FRAGMENT: true,
});

// Images are never loaded (a remote image is a classic way to leak the conversation through its
// URL): each <img> becomes a link to its source while the markup is still in DOMPurify's inert
// document, before anything is imported into the page.
DOMPurify.addHook("uponSanitizeElement", (node, data) => {
  if (data.tagName === "img")
    /** @type {Element} */ (node).replaceWith(imageLink(/** @type {Element} */ (node)));
});

// Classes are kept only where we put them: the language of a fenced block, our image links and
// math placeholders. Anything else could borrow the widget's own classes to fake its UI (an error
// banner, a button). A model writing a math placeholder itself only gets its text typeset.
const LANGUAGE_CLASS = /^language-([\w+#.-]+)$/;
const OUR_CLASSES = new Set(["co-image-link", ...MATH_CLASSES]);
DOMPurify.addHook("uponSanitizeAttribute", (_node, data) => {
  if (data.attrName !== "class" || OUR_CLASSES.has(data.attrValue)) return;
  if (!LANGUAGE_CLASS.test(data.attrValue)) data.keepAttr = false;
});

DOMPurify.addHook("afterSanitizeAttributes", (node) => {
  if (node.nodeName === "A" && node.hasAttribute("href")) setExternal(node);
});

/** @param {Element} anchor */
function setExternal(anchor) {
  anchor.setAttribute("target", "_blank");
  anchor.setAttribute("rel", "noopener noreferrer");
}

/** @param {Element} img */
function imageLink(img) {
  const src = img.getAttribute("src") || "";
  const alt = img.getAttribute("alt") || "";
  const doc = img.ownerDocument;
  if (!/^https?:\/\//i.test(src)) {
    // data: and relative sources get no link at all, just the description.
    const label = doc.createElement("span");
    label.textContent = alt ? `[image: ${alt}]` : "[image]";
    return label;
  }
  const link = doc.createElement("a");
  link.textContent = alt || src;
  link.setAttribute("href", src);
  link.setAttribute("title", `Image not loaded: ${src}`);
  link.setAttribute("class", "co-image-link");
  setExternal(link);
  return link;
}

// Renders markdown to a sanitized fragment. `highlight` is false for the growing tail of a
// streaming reply: its code blocks and formulas may still change, and highlighting or typesetting
// them on every frame would cost more than the rest of the frame (formulas show their source
// until their block is finished). Controls and scrolling boxes are out of the Tab order (see
// keys.js), here, once per block, rather than by searching a whole reply on every frame.
/**
 * @param {string} src
 * @param {{highlight?: boolean}} [options]
 * @returns {DocumentFragment}
 */
export function renderMarkdown(src, { highlight = true } = {}) {
  const html = /** @type {string} */ (marked.parse(src));
  const fragment = /** @type {DocumentFragment} */ (
    /** @type {unknown} */ (DOMPurify.sanitize(html))
  );
  for (const code of fragment.querySelectorAll("pre > code")) {
    const lang = LANGUAGE_CLASS.exec(code.className)?.[1] || "";
    if (highlight) highlightCode(/** @type {HTMLElement} */ (code), lang.toLowerCase());
    codeFrame(/** @type {HTMLElement} */ (code.parentNode), lang);
  }
  if (highlight) renderMathIn(fragment);
  demoteControls(fragment);
  return fragment;
}

// The page's first render compiles marked's and DOMPurify's code paths: about 15 ms in one go,
// where a warm render of a short message takes under 1 ms. `warmUp` pays that before a view's
// first render, in short tasks of their own (marked, then DOMPurify, then the rest), so no frame of the opening view carries it. Every view of the page shares one
// warm-up.
const WARM_UP =
  "# a\n\n*b* **c** `d` [e](https://example.com)\n\n- f\n1. g\n\n> h\n\n" +
  "| i | j |\n|---|---:|\n| k | l |\n\n```python\nm = 1\n```\n\nThe rate $r$ and $$x^2$$.\n";
let warm = false;
// A task of its own, at once: setTimeout would wait 4 ms from its fifth nesting on.
const tasks = new MessageChannel();
/** @type {(() => void)[]} */
const queued = [];
tasks.port1.onmessage = () => queued.shift()?.();
/** @param {() => void} fn */
function nextTask(fn) {
  queued.push(fn);
  tasks.port2.postMessage(null);
}
/** @type {Promise<void> | null} */
let warming = null;
export const isWarm = () => warm;
/** @returns {Promise<void>} resolved once the pipeline is warm */
export function warmUp() {
  warming ??= new Promise((resolve) => {
    /** @type {string} */
    let html;
    const steps = [
      () => (html = /** @type {string} */ (marked.parse(WARM_UP))),
      () => DOMPurify.sanitize(html),
      // No highlight: that would ask for an on-demand module no message may need.
      () => {
        renderMarkdown(WARM_UP, { highlight: false });
        warm = true;
        resolve();
      },
    ];
    const step = () => {
      /** @type {() => void} */ (steps.shift())();
      if (steps.length) nextTask(step);
    };
    nextTask(step);
  });
  return warming;
}

// Wraps a <pre> (in place, if it has a parent) in a frame with the language and a copy button:
// our markup, added after sanitizing. Streaming code blocks use it too, so a block keeps its
// look when it finishes.
/** @param {HTMLElement} pre @param {string} lang */
export function codeFrame(pre, lang) {
  const frame = h("div", { cls: "co-code" });
  pre.replaceWith(frame);
  const bar = h("div", { cls: "co-code-bar" }, [
    h("span", { cls: "co-code-lang", text: lang || "text" }),
    button("copy-code", "Copy code", "copy"),
  ]);
  frame.append(bar, pre);
  demoteControls(frame);
  return frame;
}

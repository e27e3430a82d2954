// Where the cited spans of a grounded reply are, in the markdown source and in its rendered DOM.
//
// Cohere counts citation offsets in characters (code points) of one content block; JS strings
// count UTF-16 units, so an emoji before a span would shift it by one: offsets are converted
// first. Then each span is marked in the source with two private-use characters, the source is
// rendered as usual, and the text between the marks is wrapped in <mark> elements (several when
// the span crosses bold, italics or a link). Marks are moved off markdown syntax first (emphasis
// delimiters, list bullets, link targets, code fences), where they would change the rendering;
// a span inside a fenced code block is not highlighted (it stays in the Sources list).

const BASE = 0xe000;
const END_BASE = 0xe800; // start mark of span k: BASE + k; end mark: END_BASE + k
export const MAX_SPANS = END_BASE - BASE;
const MARKS = /[\ue000-\uefff]/;
const MARKS_ALL = /[\ue000-\uefff]/g;

/** A span to highlight: [start, end) in UTF-16 units of the source. @typedef {{start: number, end: number}} Span */
/** Where a mark goes: [position, 0 for an end mark | 1 for a start mark, mark]. @typedef {[number, number, string]} Insert */

// UTF-16 index of each code-point offset of `text` (identity when there is no astral character).
/** @param {string} text @returns {(offset: number) => number} */
export function codePointIndex(text) {
  if (!/[\ud800-\udfff]/.test(text)) return (offset) => Math.min(offset, text.length);
  const units = [0];
  for (const char of text) units.push(units[units.length - 1] + char.length);
  return (offset) => units[Math.min(offset, units.length - 1)];
}

/** @param {string} text */
export function codePointLength(text) {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0xdc00 || c > 0xdfff) n++; // count every unit but the low half of a pair
  }
  return n;
}

// The fenced code blocks of a markdown source: [start, end) UTF-16 ranges.
/** @param {string} src @returns {[number, number][]} */
function codeRanges(src) {
  /** @type {[number, number][]} */
  const ranges = [];
  let fence = "";
  let opened = 0;
  let pos = 0;
  for (const line of src.split("\n")) {
    const match = /^[ \t]*(`{3,}|~{3,})/.exec(line);
    if (!fence && match) {
      fence = match[1];
      opened = pos;
    } else if (fence && match?.[1].startsWith(fence) && !line.replace(/[ \t`~]/g, "")) {
      ranges.push([opened, pos + line.length]);
      fence = "";
    }
    pos += line.length + 1;
  }
  if (fence) ranges.push([opened, src.length]);
  return ranges;
}

// Link targets "](...)", inline HTML tags and entities: no mark may go inside them.
const OPAQUE = /\]\([^)\n]*\)|<[^<>\n]*>|&#?\w+;/g;
const BLOCK_PREFIX = /[ \t]*(?:(?:#{1,6}|[-*+]|\d{1,9}[.)]|>)[ \t]+|>|\|[ \t]*)*/y;
const DELIMITERS = "*_~";

/** @param {string} src @param {number} pos @param {[number, number][]} code @param {[number, number][]} opaque */
function moveStart(src, pos, code, opaque) {
  for (const [a, b] of code) if (pos >= a && pos < b) pos = b;
  const lineStart = src.lastIndexOf("\n", pos - 1) + 1;
  if (!src.slice(lineStart, pos).trim()) {
    BLOCK_PREFIX.lastIndex = lineStart; // sticky: matches at the line start, copies nothing
    // The pattern matches the empty string too, so exec never fails here.
    pos = lineStart + /** @type {RegExpExecArray} */ (BLOCK_PREFIX.exec(src))[0].length;
  }
  while (DELIMITERS.includes(src[pos])) pos++;
  for (const [a, b] of opaque) if (pos > a && pos < b) pos = b;
  if (src[pos - 1] === "\\") pos--;
  return pos;
}

/** @param {string} src @param {number} pos @param {[number, number][]} code @param {[number, number][]} opaque */
function moveEnd(src, pos, code, opaque) {
  for (const [a, b] of code) if (pos > a && pos <= b) pos = a;
  while (pos > 0 && (DELIMITERS.includes(src[pos - 1]) || /\s/.test(src[pos - 1]))) pos--;
  for (const [a, b] of opaque) if (pos > a && pos < b) pos = src[a] === "]" ? a : b;
  if (src[pos - 1] === "\\") pos--;
  return pos;
}

// `src` with a start and an end mark around each span ({start, end} in UTF-16 units of `src`).
// A span left empty once moved off the syntax gets no marks. Null when `src` holds private-use
// characters already (they would be taken for marks): then nothing is highlighted.
/** @param {string} src @param {Span[]} spans @returns {string | null} */
export function markSource(src, spans) {
  if (MARKS.test(src)) return null;
  const code = codeRanges(src);
  const opaque = [...src.matchAll(OPAQUE)].map(
    (m) => /** @type {[number, number]} */ ([m.index, m.index + m[0].length]),
  );
  /** @type {Insert[]} */
  const inserts = [];
  spans.forEach((span, k) => {
    if (k >= MAX_SPANS) return;
    const start = moveStart(src, Math.max(0, span.start), code, opaque);
    const end = moveEnd(src, Math.min(src.length, span.end), code, opaque);
    if (start >= end) return;
    // At one position, ends go before starts, so touching spans do not nest.
    inserts.push(
      [start, 1, String.fromCharCode(BASE + k)],
      [end, 0, String.fromCharCode(END_BASE + k)],
    );
  });
  inserts.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  let out = "";
  let last = 0;
  for (const [pos, , mark] of inserts) {
    out += src.slice(last, pos) + mark;
    last = pos;
  }
  return out + src.slice(last);
}

// Blocks that hold no inline text: whitespace between their children is not wrapped.
const NO_INLINE = new Set(
  "#document-fragment UL OL TABLE THEAD TBODY TFOOT TR DIV BLOCKQUOTE DL".split(" "),
);

// Wraps the text between the marks of `root` (a rendered fragment) in <mark> elements made by
// `makeMark(spanIds, text)`, puts `makeRef(k)` (if not false) after the end of each span k, and
// removes the marks.
// Marks inside <pre> are dropped without highlighting.
/**
 * @param {DocumentFragment | Element} root
 * @param {(spanIds: number[], text: string) => Node} makeMark
 * @param {(k: number) => Node | false} makeRef
 */
export function wrapMarks(root, makeMark, makeRef) {
  const doc = root.ownerDocument ?? root;
  const walker = doc.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  /** @type {Text[]} */
  const nodes = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode())
    nodes.push(/** @type {Text} */ (node));
  /** @type {number[]} span ids open at this point of the text */
  const open = [];
  for (const node of nodes) {
    const marked = MARKS.test(node.data);
    if (!marked && !open.length) continue; // most nodes: nothing to do
    const inCode = node.parentElement?.closest("pre");
    if (!marked && inCode) continue;
    const pieces = [];
    let text = "";
    const flush = () => {
      if (!text) return;
      const wrap =
        open.length && !inCode && !(NO_INLINE.has(node.parentNode?.nodeName ?? "") && !text.trim());
      pieces.push(wrap ? makeMark([...open], text) : doc.createTextNode(text));
      text = "";
    };
    for (const char of node.data) {
      const code = char.charCodeAt(0);
      if (code >= BASE && code < END_BASE + MAX_SPANS) {
        flush();
        if (code < END_BASE) open.push(code - BASE);
        else {
          const k = code - END_BASE;
          open.splice(open.indexOf(k), 1);
          const ref = !inCode && makeRef(k);
          if (ref) pieces.push(ref);
        }
      } else text += char;
    }
    flush();
    node.replaceWith(...pieces);
  }
  for (const el of root.querySelectorAll("[href], [title]")) {
    for (const name of ["href", "title"]) {
      const value = el.getAttribute(name);
      if (value && MARKS.test(value)) el.setAttribute(name, value.replace(MARKS_ALL, ""));
    }
  }
}

// Splits a growing markdown source into a stable prefix (blocks that no later text can change)
// and a tail that is still being written. The streaming view renders each stable block once and
// re-renders only the tail, so the work per frame stays proportional to the tail, not the reply.
//
// Boundaries (all at the start of a line, found only in complete lines):
// - after a blank line, when the next non-blank line starts at column 0 (an indented line may
//   continue a list item or an indented code block, so it is no boundary);
// - before a fence that opens at column 0, and after its closing fence. So the tail is either
//   plain markdown without a column-0 fence, or exactly one open fenced code block.
// Blank lines inside a fence (at any indent) are never boundaries.
// - but not between the items of a list: a blank line, then a line that starts a list item,
//   inside a list is a loose list, which a whole-document render makes one list.
// So the blocks render as the whole document does, and a finished reply keeps them (turn.js).

const FENCE_OPEN = /^( {0,3})(`{3,}|~{3,})(.*)$/;
const BLANK = /^[ \t]*\r?$/;
const LIST_ITEM = /^(?:[-*+]|\d{1,9}[.)])(?:[ \t]|$)/;
const PARTIAL_CLOSE = { "`": /^ {0,3}`+$/, "~": /^ {0,3}~+$/ };

export class BlockSplitter {
  constructor() {
    this.scanned = 0; // offset of the first line not yet looked at
    this.stable = 0; // offset where the unstable tail starts
    /** @type {Fence | null} while inside a fence */
    this.fence = null;
    this.blank = false; // the previous line (outside a fence) was blank
    this.list = false; // the block since the last boundary is a list
  }

  // `src` must only ever grow (append-only); returns the new stable offset.
  /** @param {string} src */
  advance(src) {
    let nl = src.indexOf("\n", this.scanned);
    while (nl !== -1) {
      this.line(src.slice(this.scanned, nl), this.scanned, nl + 1);
      this.scanned = nl + 1;
      nl = src.indexOf("\n", this.scanned);
    }
    return this.stable;
  }

  // The fenced code block the tail consists of, if any: {lang, contentStart}.
  get openFence() {
    return this.fence?.top && this.fence.start === this.stable ? this.fence : null;
  }

  /** @param {string} text @param {number} start @param {number} next */
  line(text, start, next) {
    if (this.fence) {
      if (closesFence(text, this.fence)) {
        if (this.fence.top) this.stable = next;
        this.fence = null;
      }
      return;
    }
    const open = FENCE_OPEN.exec(text);
    if (open && !(open[2][0] === "`" && open[3].includes("`"))) {
      const top = open[1].length === 0;
      if (top) {
        this.stable = start;
        this.list = false;
      }
      const lang = open[3].trim().split(/\s+/)[0] || "";
      this.fence = {
        char: /** @type {"`" | "~"} */ (open[2][0]),
        length: open[2].length,
        top,
        start,
        contentStart: next,
        lang,
      };
      this.blank = false;
      return;
    }
    if (BLANK.test(text)) {
      this.blank = true;
      return;
    }
    const item = LIST_ITEM.test(text);
    if (this.blank && text[0] !== " " && text[0] !== "\t" && !(this.list && item)) {
      this.stable = start;
      this.list = item;
    } else if (start === this.stable) this.list = item;
    this.blank = false;
  }
}

/** @typedef {{char: "`" | "~", length: number, top: boolean, start: number, contentStart: number, lang: string}} Fence */

/** @param {string} text @param {Fence} fence */
function closesFence(text, fence) {
  const match = /^ {0,3}(`{3,}|~{3,})[ \t]*\r?$/.exec(text);
  return match !== null && match[1][0] === fence.char && match[1].length >= fence.length;
}

// The code of an open fence as it should be shown: a last line that is only the start of the
// closing fence (one or two backticks so far) is held back, so it does not flash as code.
/** @param {string} code @param {Fence} fence */
export function visibleCode(code, fence) {
  const lastNl = code.lastIndexOf("\n");
  return PARTIAL_CLOSE[fence.char].test(code.slice(lastNl + 1)) ? code.slice(0, lastNl + 1) : code;
}

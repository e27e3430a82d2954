// The bubble of the reply being streamed. It renders incrementally: each block that became
// stable (see blocks.js) is rendered once, highlighted, and appended; only the tail is rendered
// again on each frame, and an open code fence in the tail only has its new characters appended.
// When the reply ends, the committed message is rendered in full and this bubble adopts that
// render (see adopt), keeping the blocks that came out the same.
import { BlockSplitter, visibleCode } from "./blocks.js";
import { citeInteractions, citedSpans, renderCited, sourceList } from "./citations.js";
import { h } from "./dom.js";
import { demoteControls } from "./keys.js";
import { codeFrame, renderMarkdown } from "./markdown.js";
import { planBlock, thinkingBlock } from "./messages.js";
import { retrievedChip } from "./retrieved.js";
import { ToolCards } from "./tools.js";

// Renders src.slice(start, end) (a stable block, or the tail without highlighting).
/** @param {string} src @param {number} start @param {number} end @param {boolean} highlight */
function plainSlice(src, start, end, highlight) {
  return renderMarkdown(src.slice(start, end), { highlight });
}

class StreamingMarkdown {
  /** @param {string} cls @param {typeof plainSlice} [render] */
  constructor(cls, render = plainSlice) {
    this.render = render;
    this.el = h("div", { cls });
    // display: contents, so tail blocks lay out exactly like the committed blocks before them.
    this.tail = h("div", { cls: "co-tail" });
    this.el.append(this.tail);
    this.splitter = new BlockSplitter();
    this.committed = 0; // offset up to which blocks are rendered for good
    this.length = -1; // length of the source at the last flush
    /** @type {{fence: import("./blocks.js").Fence, node: Text} | null} while the tail is an open code fence */
    this.code = null;
  }

  /** @param {string} src */
  flush(src) {
    if (src.length === this.length) return;
    this.length = src.length;
    const stable = this.splitter.advance(src);
    if (stable > this.committed) {
      this.tail.before(this.block(src, this.committed, stable, true));
      this.committed = stable;
      this.code = null;
    }
    const fence = this.splitter.openFence;
    if (fence) this.growCode(fence, src);
    else this.tail.replaceChildren(this.block(src, this.committed, src.length, false));
  }

  // A rendered slice, its controls (cited spans too) out of the Tab order like the committed
  // render's (see keys.js), so the two compare equal when the reply ends.
  /** @param {string} src @param {number} start @param {number} end @param {boolean} highlight */
  block(src, start, end, highlight) {
    const fragment = this.render(src, start, end, highlight);
    demoteControls(fragment);
    return fragment;
  }

  // Code needs no markdown or sanitizing: it is text in a text node, and it only grows.
  /** @param {import("./blocks.js").Fence} fence @param {string} src */
  growCode(fence, src) {
    if (this.code?.fence !== fence) {
      const node = document.createTextNode("");
      this.tail.replaceChildren(codeFrame(h("pre", {}, [h("code", {}, [node])]), fence.lang));
      this.code = { fence, node };
    }
    const node = /** @type {Text} */ (this.code?.node);
    const code = visibleCode(src.slice(fence.contentStart), fence);
    if (code.startsWith(node.data)) node.appendData(code.slice(node.data.length));
    else node.data = code;
  }

  // Ends streaming: the tail's nodes become ordinary children of the answer.
  settle() {
    this.tail.replaceWith(...this.tail.childNodes);
  }

  // The innermost last element of the tail, where the cursor reads as "text continues here".
  cursorHost() {
    let host = /** @type {Element} */ (this.code ? this.code.node.parentNode : this.tail);
    while (host.lastElementChild && !VOID.has(host.lastElementChild.nodeName)) {
      host = host.lastElementChild;
    }
    return host;
  }
}

// Not entered either: a cited span's source numbers (a <sup>), where the cursor would shrink.
const VOID = new Set(["BR", "HR", "INPUT", "COL", "SUP"]);

export class StreamingReply {
  constructor() {
    this.text = new StreamingMarkdown("co-md");
    this.bubble = h("div", { cls: "co-bubble" }, [this.text.el]);
    this.el = h(
      "div",
      { cls: "co-msg co-assistant co-streaming", attrs: { "aria-busy": "true" } },
      [this.bubble],
    );
    this.cursor = h("span", { cls: "co-cursor", attrs: { "aria-hidden": "true" } });
    this.thinking = null;
    this.plan = null;
    this.cards = null;
    this.spanCount = 0; // cited spans highlighted so far
    this.shownSpans = new Set(); // their citation numbers
    this.listCount = 0; // citations in the Sources list
    this.sources = null; // the Sources list, once a citation arrived
    citeInteractions(this.bubble);
  }

  // `state` holds the whole text, thinking and tool_plan received so far.
  /** @param {import("./sync.js").Pending} state */
  flush(state) {
    if (state.thinking) {
      if (!this.thinking) {
        this.thinking = new StreamingMarkdown("co-thinking-body");
        this.bubble.prepend(thinkingBlock(this.thinking.el, true));
      }
      this.thinking.flush(state.thinking);
    }
    if (state.tool_plan) {
      if (!this.plan) {
        this.plan = planBlock("");
        this.text.el.before(this.plan);
      }
      if (this.plan.textContent !== state.tool_plan) this.plan.textContent = state.tool_plan;
    }
    if (state.calls?.length) {
      if (!this.cards) {
        this.cards = new ToolCards();
        this.text.el.before(this.cards.el); // after the plan: plan, then cards, then the answer
      }
      this.cards.update(state.calls);
    }
    this.cursor.remove(); // before looking for its new place, so it is not found as the tail's end
    if (state.citations?.length) this.cite(state);
    this.text.flush(state.text);
    this.text.cursorHost().append(this.cursor);
  }

  // What the turn retrieved, before its text arrives (the committed message keeps the same).
  /** @param {import("./protocol.js").RetrievedMsg} retrieved */
  showRetrieved(retrieved) {
    this.bubble.querySelector(":scope > .co-retrieved")?.remove();
    const chip = retrievedChip(retrieved);
    demoteControls(chip); // out of the Tab order, like every control in the conversation
    this.bubble.prepend(chip);
  }

  // Live citations: a span is highlighted once both its text and its citation have arrived. Each
  // time that adds spans, the answer renders again from the start with them (citations are few;
  // in accurate mode they all come at the end), and the Sources list is rebuilt.
  /** @param {import("./sync.js").Pending} state */
  cite(state) {
    const count = state.citations.length;
    if (this.spanCount === count && this.listCount === count) return; // all shown already
    const { spans, sources } = citedSpans(state.text, state.citations);
    if (spans.length !== this.spanCount) {
      this.spanCount = spans.length;
      /** @type {typeof plainSlice} */
      const render = (src, start, end, highlight) =>
        renderCited(src.slice(start, end), clipSpans(spans, start, end), { highlight });
      const rendered = this.text.committed;
      if (spans.every((span) => this.shownSpans.has(span.k) || span.start >= rendered)) {
        // The new spans are all in the tail, which renders again anyway (the fast-mode case:
        // a citation follows its sentence closely).
        this.text.render = render;
        this.text.length = -1;
      } else {
        const text = new StreamingMarkdown("co-md", render);
        this.text.el.replaceWith(text.el);
        this.text = text;
      }
      this.shownSpans = new Set(spans.map((span) => span.k));
    }
    if (this.listCount === count) return;
    this.listCount = count;
    const list = sourceList(sources, state.citations);
    if (this.sources) this.sources.replaceWith(list);
    else this.text.el.after(list);
    this.sources = list;
  }

  // Turns this bubble, in place, into `fresh`: the full render of the committed message. The
  // answer's blocks that the full render reproduces exactly stay in the page, so the browser
  // does not lay out and shape a long reply a second time at its end (that alone can be a
  // 100 ms task); every other part comes from `fresh`. Returns the element to keep.
  /** @param {HTMLElement} fresh @returns {HTMLElement} */
  adopt(fresh) {
    const freshBubble = fresh.querySelector(":scope > .co-bubble");
    const freshAnswer = freshBubble?.querySelector(":scope > .co-md");
    if (!freshBubble || !freshAnswer) return fresh;
    this.cursor.remove();
    this.text.settle();
    const answer = this.text.el;
    morphChildren(answer, freshAnswer);
    const wasOpen = /** @type {HTMLDetailsElement | null} */ (
      this.bubble.querySelector("details.co-thinking")
    )?.open;
    for (const child of [...this.bubble.children]) if (child !== answer) child.remove();
    let beforeAnswer = true;
    for (const child of [...freshBubble.children]) {
      if (child === freshAnswer) beforeAnswer = false;
      else if (beforeAnswer) answer.before(child);
      else this.bubble.append(child);
    }
    const thinking = /** @type {HTMLDetailsElement | null} */ (
      this.bubble.querySelector("details.co-thinking")
    );
    if (thinking && wasOpen) thinking.open = true;
    for (const child of [...fresh.children]) if (child !== freshBubble) this.el.append(child);
    this.el.className = fresh.className;
    this.el.removeAttribute("aria-busy");
    this.el.dataset.index = fresh.dataset.index;
    this.el.coSource = fresh.coSource;
    this.el.coLogprobs = fresh.coLogprobs;
    return this.el;
  }
}

// The spans inside [start, end), in units of that slice; `ref` says whether the span ends here
// (its source numbers follow only its last piece).
/** @param {any[]} spans @param {number} start @param {number} end */
function clipSpans(spans, start, end) {
  return spans
    .filter((span) => span.start < end && span.end > start)
    .map((span) => ({
      ...span,
      start: Math.max(span.start, start) - start,
      end: Math.min(span.end, end) - start,
      ref: span.end <= end,
    }));
}

// Makes `current`'s children equal to `fresh`'s, keeping each child that is already equal.
// Blocks of a reply only ever differ in a few places (the tail, or a loose list that the stream
// rendered as several lists and the full render as one), but those change the number of
// blocks: comparing position by position, one early split list would shift and replace every
// block after it (on a long reply, a long task of layout and paint at its end). So a fresh child
// that differs is looked for a few blocks ahead, and the old children it skips are removed.
const LOOKAHEAD = 8;

/** @param {Element} current @param {Element} fresh */
function morphChildren(current, fresh) {
  const olds = [...current.childNodes];
  let next = 0; // the first old child not yet kept or removed
  for (const node of [...fresh.childNodes]) {
    const end = Math.min(olds.length, next + LOOKAHEAD + 1);
    let match = next;
    while (match < end && !olds[match].isEqualNode(node)) match++;
    if (match < end) {
      for (const old of olds.slice(next, match)) old.remove();
      next = match + 1;
    } else if (next < olds.length) current.insertBefore(node, olds[next]);
    else current.append(node);
  }
  for (const old of olds.slice(next)) old.remove();
}

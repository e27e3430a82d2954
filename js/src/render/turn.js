// One assistant turn in the list: its bubble (plan, tool cards, thinking, answer, sources,
// notices) and footer, drawn from the turn's parts by ONE renderer, live or committed. A turn is
// read as a list of pieces (the parts of parts.js, plus what the bubble shows around them: the
// retrieved chip, the Sources list, a partial-reply marker, the error banner, the warnings), and
// `TurnView.draw` makes the bubble show exactly those pieces, in that order, updating each piece's
// element in place. While a reply streams, the view draws the pieces of what arrived so far
// (`flush`, once per frame); when the turn commits, the same element draws the committed pieces
// (`commit`): the answer's element stays (only its last block is drawn again, highlighted) and
// becomes the committed one. No second render, nothing to reconcile.
import { BlockSplitter, visibleCode } from "./blocks.js";
import { answerOf, citeInteractions, citedSpans, renderCited, sourceList } from "./citations.js";
import { button, demoteControls, formatCost, h } from "./dom.js";
import { codeFrame, renderMarkdown } from "./markdown.js";
import { retrievedChip } from "./retrieved.js";
import { ToolCards } from "./tools.js";

/** @typedef {import("../state/parts.js").ChatMessage} ChatMessage */
/** @typedef {import("../state/parts.js").CoRecord} CoRecord */
/** @typedef {import("../state/parts.js").ToolCard} ToolCard */
/** @typedef {import("../state/parts.js").NoticePart} NoticePart */
/** @typedef {import("./citations.js").CitedSpan} CitedSpan */
/** @typedef {import("./citations.js").Citation} Citation */
/** @typedef {Parameters<typeof retrievedChip>[0]} Retrieved */
/** @typedef {{function?: {name?: string, arguments?: unknown}, id?: string}} CallBlock */
/** What `_co.error` holds (CohereError.to_dict()).
 * @typedef {{status_code?: number, type?: string, message?: string, hint?: string, request_id?: string}} TurnError */
/** What `_co.usage` holds (Cohere's usage record).
 * @typedef {{billed_units?: {input_tokens?: number, output_tokens?: number}, cached_tokens?: number}} Usage */

/** What a bubble shows, in order: a part of the turn, or what the bubble draws around them.
 * @typedef {{kind: "text" | "thinking", text: string, spans: CitedSpan[]}
 *   | {kind: "plan" | "json", text: string}
 *   | {kind: "cards", calls: ToolCard[]}
 *   | {kind: "calls", calls: CallBlock[], results: Map<string, ChatMessage>}
 *   | {kind: "result", message: ChatMessage}
 *   | {kind: "sources", sources: import("./citations.js").Sources, citations: Citation[], tools: import("./citations.js").ToolNames}
 *   | {kind: "retrieved", retrieved: Retrieved}
 *   | {kind: "marker", status: string, empty: boolean, calls: ToolCard[]}
 *   | {kind: "error", error: TurnError}
 *   | {kind: "warnings", warnings: string[]}
 *   | NoticePart} Piece */

// --- a turn as pieces -----------------------------------------------------------------------------

// Cohere content is a string or a list of blocks (a single block object is accepted too).
/** @param {ChatMessage["content"]} content @returns {import("../state/parts.js").ContentBlock[]} */
export function blockList(content) {
  return Array.isArray(content)
    ? content
    : content == null
      ? []
      : [/** @type {import("../state/parts.js").ContentBlock} */ (content)];
}

// The answer and the thinking are kept apart.
/** @param {ChatMessage["content"]} content */
export function splitContent(content) {
  if (typeof content === "string") return { text: content, thinking: "" };
  const parts = { text: "", thinking: "" };
  for (const block of blockList(content)) {
    if (block?.type === "text") parts.text += block.text ?? "";
    else if (block?.type === "thinking") parts.thinking += block.thinking ?? "";
  }
  return parts;
}

// The pieces of a committed turn (see messages.js turnStart): the steps' plans and cards in
// order, then the answer's own pieces; each result shows in its card (or under its call, for
// calls co_widget did not run), never again as a row of its own. What the turn retrieved leads.
/** @param {ChatMessage[]} messages */
function committedPieces(messages) {
  const assistants = messages.filter((message) => message?.role === "assistant");
  /** @type {Map<string, ChatMessage>} tool_call_id -> its tool message */
  const results = new Map();
  for (const message of messages)
    if (message?.role === "tool" && typeof message.tool_call_id === "string")
      results.set(message.tool_call_id, message);
  const shown = new Set(); // tool messages shown in a card or under a call
  for (const message of assistants) {
    for (const card of message._co?.calls ?? []) if (results.has(card.id)) shown.add(card.id);
    if (!message._co?.calls?.length)
      for (const call of /** @type {CallBlock[]} */ (message.tool_calls ?? []))
        if (call?.id && results.has(call.id)) shown.add(call.id);
  }
  const last = assistants.at(-1);
  /** @type {Piece[]} */
  const pieces = [];
  const retrieved = /** @param {ChatMessage | undefined} m @returns {Piece[]} */ (m) =>
    m?._co?.retrieved
      ? [{ kind: "retrieved", retrieved: /** @type {Retrieved} */ (m._co.retrieved) }]
      : [];
  pieces.push(...retrieved(last));
  for (const message of messages) {
    if (message === last) continue;
    if (message?.role === "assistant") {
      pieces.push(...retrieved(message), ...messagePieces(message, results));
    } else if (message?.role === "tool" && !shown.has(message.tool_call_id))
      pieces.push({ kind: "result", message }); // a result no call of this turn asked for
  }
  // The cards of the turn's earlier steps: a stopped answer's marker counts them.
  const stepCalls = assistants.flatMap((m) => (m === last ? [] : (m._co?.calls ?? [])));
  if (last) pieces.push(...messagePieces(last, results, stepCalls));
  return pieces;
}

// One assistant message's pieces. A reply asked for as JSON (response_format) shows as a
// highlighted JSON block; a grounded one (documents and response_format do not mix) with its
// cited spans, placed by the kernel (`_co.spans`; placed here only for 0.1.0's saved state).
/** @param {ChatMessage} message @param {Map<string, ChatMessage>} results @param {ToolCard[]} [stepCalls] */
function messagePieces(message, results, stepCalls = []) {
  const { text, thinking } = splitContent(message.content);
  const co = message._co ?? {};
  /** @type {Piece[]} */
  const pieces = [];
  if (thinking) pieces.push({ kind: "thinking", text: thinking, spans: [] });
  if (message.tool_plan) pieces.push({ kind: "plan", text: message.tool_plan });
  const cited = co.format === "json" ? null : citationsOf(message);
  if (text && co.format === "json") pieces.push({ kind: "json", text });
  else if (text) pieces.push({ kind: "text", text, spans: cited?.spans ?? [] });
  // Calls co_widget ran have cards (status, duration, result); others a plain list.
  if (co.calls?.length) pieces.push({ kind: "cards", calls: co.calls });
  else if (message.tool_calls?.length)
    pieces.push({ kind: "calls", calls: /** @type {CallBlock[]} */ (message.tool_calls), results });
  if (cited) pieces.push(cited.list);
  if (co.status === "stopped" || co.status === "interrupted")
    pieces.push({
      kind: "marker",
      status: co.status,
      empty: pieces.length === 0,
      calls: stepCalls,
    });
  if (co.error) pieces.push({ kind: "error", error: /** @type {TurnError} */ (co.error) });
  if (co.warnings?.length) pieces.push({ kind: "warnings", warnings: co.warnings });
  for (const notice of co.notices ?? []) pieces.push(notice);
  return pieces;
}

// A committed answer's cited spans and Sources list, or null when nothing is cited.
/** @param {ChatMessage} message */
function citationsOf(message) {
  const citations = /** @type {Citation[] | undefined} */ (message.citations);
  if (!Array.isArray(citations) || !citations.length) return null;
  const { text, blockStart } = answerOf(message);
  const placed = Array.isArray(message._co?.spans) ? message._co.spans : undefined;
  const { spans, sources } = citedSpans(text, citations, blockStart, placed);
  if (!sources.size) return null; // nothing to number: the plain rendering
  const tools = /** @type {import("./citations.js").ToolNames} */ (message._co?.tools ?? {});
  /** @type {Piece} */
  const list = { kind: "sources", sources, citations, tools };
  return { spans, list };
}

// The pieces of the reply streaming now: what arrived so far (sync.js), in the order the
// committed turn shows them (plan, cards, answer).
/** @param {import("../state/sync.js").Pending} state @param {Piece | null} retrieved */
function livePieces(state, retrieved) {
  /** @type {Piece[]} */
  const pieces = retrieved ? [retrieved] : [];
  if (state.thinking) pieces.push({ kind: "thinking", text: state.thinking, spans: [] });
  if (state.tool_plan) pieces.push({ kind: "plan", text: state.tool_plan });
  if (state.calls.length) pieces.push({ kind: "cards", calls: state.calls });
  // Citations: a span is highlighted once both its text and its citation have arrived, with
  // the offsets the kernel placed it at.
  const citations = /** @type {Citation[]} */ (state.citations);
  const { spans, sources } = citations.length
    ? citedSpans(state.text, citations, undefined, state.spans)
    : { spans: [], sources: null };
  pieces.push({ kind: "text", text: state.text, spans });
  if (sources?.size) pieces.push({ kind: "sources", sources, citations, tools: {} });
  return pieces;
}

// --- drawing -------------------------------------------------------------------------------------

// Renders src.slice(start, end) (a stable block, or the tail without highlighting), with the
// spans inside it; `ref` says whether a span ends there (its numbers follow its last piece).
/** @param {string} src @param {CitedSpan[]} spans @param {number} start @param {number} end @param {boolean} highlight */
function renderSlice(src, spans, start, end, highlight) {
  const inside = spans
    .filter((span) => span.start < end && span.end > start)
    .map((span) => ({
      ...span,
      start: Math.max(span.start, start) - start,
      end: Math.min(span.end, end) - start,
      ref: span.end <= end,
    }));
  return renderCited(src.slice(start, end), inside, { highlight });
}

// Markdown that grows: each block that became stable (see blocks.js) is rendered once,
// highlighted, and appended; only the tail is rendered again on each frame, and an open code
// fence in the tail only has its new characters appended. `finish` draws the last block for good.
class GrowingMarkdown {
  /** @param {HTMLElement} el @param {CitedSpan[]} spans */
  constructor(el, spans) {
    this.el = el;
    this.spans = spans;
    this.key = spanKey(spans);
    // display: contents, so tail blocks lay out exactly like the finished blocks before them.
    this.tail = h("div", { cls: "co-tail" });
    this.el.append(this.tail);
    this.splitter = new BlockSplitter();
    this.committed = 0; // offset up to which blocks are rendered for good
    this.src = "";
    /** @type {{fence: import("./blocks.js").Fence, node: Text} | null} while the tail is an open code fence */
    this.code = null;
  }

  /** @param {string} src */
  flush(src) {
    if (src === this.src) return;
    this.src = src;
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

  // New spans, all in the tail: it draws again with them.
  /** @param {CitedSpan[]} spans */
  respan(spans) {
    this.spans = spans;
    this.key = spanKey(spans);
    this.src = "";
  }

  // A rendered slice, its controls (cited spans too) out of the Tab order like every control in
  // the conversation (see keys.js).
  /** @param {string} src @param {number} start @param {number} end @param {boolean} highlight */
  block(src, start, end, highlight) {
    const fragment = renderSlice(src, this.spans, start, end, highlight);
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

  // The whole `src` drawn; the tail's nodes become ordinary children. The tail is drawn again
  // only if it holds what the last blocks draw differently: code to highlight, math to typeset.
  /** @param {string} src */
  finish(src) {
    this.flush(src);
    if (this.code || this.tail.querySelector(UNFINISHED))
      this.tail.replaceChildren(this.block(src, this.committed, src.length, true));
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

// What the tail draws unfinished: code not highlighted, formulas not typeset.
const UNFINISHED = "pre, .co-math";

// Not entered either: a cited span's source numbers (a <sup>), where the cursor would shrink.
const VOID = new Set(["BR", "HR", "INPUT", "COL", "SUP"]);

/** @param {CitedSpan[]} spans */
const spanKey = (spans) => spans.map((span) => `${span.k}:${span.start}:${span.end}`).join(" ");

// The element of one piece, updated in place as its piece changes.
class Slot {
  constructor() {
    this.sig = ""; // what is drawn (see signature)
    /** @type {GrowingMarkdown | null} markdown that still grows */
    this.md = null;
    /** @type {ToolCards | null} */
    this.cards = null;
    /** @type {HTMLElement | null} the text's element (in a <details> for thinking) */
    this.body = null;
    /** @type {HTMLElement} */
    this.el = h("div");
  }

  /** @param {Piece} piece @param {boolean} live */
  draw(piece, live) {
    switch (piece.kind) {
      case "text":
      case "thinking":
        return this.markdown(piece, live);
      case "cards": {
        if (!this.cards) {
          this.cards = new ToolCards();
          this.el = this.cards.el;
        }
        this.cards.update(
          live ? piece.calls : piece.calls.map((card) => ({ ...card, ask: false })),
        );
        return;
      }
      default: {
        // Drawn whole, and again only when it changed (a few per turn, small).
        const sig = signature(piece);
        if (sig === this.sig) return;
        this.sig = sig;
        const fresh = drawPiece(piece);
        this.el.replaceWith(fresh);
        this.el = fresh;
      }
    }
  }

  // Text and thinking: grown while live; once committed, the grown element is finished as it
  // is when it holds the committed text, else (a turn drawn from the start, or text that
  // differs) drawn whole.
  /** @param {{kind: "text" | "thinking", text: string, spans: CitedSpan[]}} piece @param {boolean} live */
  markdown(piece, live) {
    const thinking = piece.kind === "thinking";
    const key = spanKey(piece.spans);
    if (this.sig === "") {
      this.sig = "drawn";
      const body = h("div", { cls: thinking ? "co-thinking-body" : "co-md" });
      this.body = body;
      this.el = thinking ? thinkingBlock(body, live) : body;
    }
    const body = /** @type {HTMLElement} */ (this.body);
    const md = this.md;
    if (live) {
      // New spans all in the tail (a citation close behind its sentence) draw with it; others
      // draw the text again from the start (citations are few; accurate mode sends them last).
      const grows = md !== null && piece.text.startsWith(md.src);
      if (md && grows && md.key !== key && spansAfter(md, piece.spans)) md.respan(piece.spans);
      else if (!md || !grows || md.key !== key) {
        body.replaceChildren();
        this.md = new GrowingMarkdown(body, piece.spans);
      }
      /** @type {GrowingMarkdown} */ (this.md).flush(piece.text);
      return;
    }
    if (thinking) /** @type {HTMLElement} */ (this.el.firstElementChild).textContent = "Thinking";
    if (md && piece.text.startsWith(md.src) && md.key === key) md.finish(piece.text);
    else body.replaceChildren(renderCited(piece.text, piece.spans));
    this.md = null;
  }
}

// Whether the spans new since `md` was drawn all start in its tail (or were shown already).
/** @param {GrowingMarkdown} md @param {CitedSpan[]} spans */
function spansAfter(md, spans) {
  const shown = new Set(md.spans.map((span) => span.k));
  return spans.every((span) => shown.has(span.k) || span.start >= md.committed);
}

/** @param {Piece} piece */
function signature(piece) {
  switch (piece.kind) {
    case "sources":
      return `${piece.citations.length} ${Object.keys(piece.tools).join(" ")}`;
    case "calls":
      return JSON.stringify(piece.calls) + [...piece.results.keys()].join(" ");
    default:
      return JSON.stringify(piece);
  }
}

// One piece, drawn whole: the one case per kind of what a bubble shows.
/** @param {Piece} piece @returns {HTMLElement} */
function drawPiece(piece) {
  switch (piece.kind) {
    case "plan":
      return planBlock(piece.text);
    case "json":
      return h("div", { cls: "co-md" }, [renderMarkdown(jsonSource(piece.text))]);
    case "calls":
      return toolCalls(piece.calls, piece.results);
    case "result":
      return toolResult(piece.message);
    case "sources":
      return sourceList(piece.sources, piece.citations, piece.tools);
    case "retrieved": {
      const chip = retrievedChip(piece.retrieved);
      demoteControls(chip); // out of the Tab order, like every control in the conversation
      return chip;
    }
    case "marker":
      return partialMarker(piece.status, piece.empty, piece.calls);
    case "error":
      return errorBanner(piece.error);
    case "warnings":
      return warningList(piece.warnings);
    case "notice":
      // The look of the bubble's other notes (widget.css .co-note).
      return h("div", {
        cls: `co-note co-notice co-notice-${piece.level}`,
        text: piece.text,
        attrs: { role: piece.level === "error" ? "alert" : "note" },
      });
    default:
      return h("div");
  }
}

export class TurnView {
  /** @param {boolean} live */
  constructor(live) {
    this.live = live;
    this.bubble = h("div", { cls: "co-bubble" });
    this.el = h("div", { cls: "co-msg co-assistant" }, [this.bubble]);
    /** @type {Map<string, Slot>} */
    this.slots = new Map();
    /** @type {Piece | null} what the streaming turn retrieved, before its text arrives */
    this.retrieved = null;
    this.cursor = h("span", { cls: "co-cursor", attrs: { "aria-hidden": "true" } });
    if (live) {
      this.el.classList.add("co-streaming");
      this.el.setAttribute("aria-busy", "true");
    }
    citeInteractions(this.bubble);
  }

  // Draws what arrived of the streaming reply (`state`: sync.js's Pending), once per frame.
  /** @param {import("../state/sync.js").Pending} state */
  flush(state) {
    this.cursor.remove(); // before looking for its new place, so it is not found as the tail's end
    this.draw(livePieces(state, this.retrieved), true);
    const md = this.slots.get("text:0")?.md;
    md?.cursorHost().append(this.cursor);
  }

  // What the turn retrieved (the `retrieved` message), before its text arrives.
  /** @param {Retrieved} retrieved */
  showRetrieved(retrieved) {
    this.retrieved = { kind: "retrieved", retrieved };
  }

  // The committed turn (`messages`, the first of which has index `index`), drawn in this element:
  // a streamed answer stays as it is.
  /** @param {ChatMessage[]} messages @param {number} index */
  commit(messages, index) {
    this.cursor.remove();
    this.live = false;
    this.draw(committedPieces(messages), false);
    for (const slot of this.slots.values()) slot.cards?.stop();
    this.el.classList.remove("co-streaming");
    this.el.removeAttribute("aria-busy");
    const last = messages.filter((message) => message?.role === "assistant").at(-1);
    const co = last?._co ?? {};
    const { text } = splitContent(last?.content);
    this.el.querySelector(":scope > .co-actions")?.remove();
    if (last) this.el.append(footer(co, Boolean(text)));
    this.el.dataset.index = String(index);
    this.el.coSource = text;
    if (Array.isArray(co.logprobs)) this.el.coLogprobs = co.logprobs;
    return this.el;
  }

  // Makes the bubble show `pieces`, in order. A piece keeps its element from one draw to the
  // next by its kind and its rank among the pieces of that kind, counted from the end (the
  // streamed answer is the committed turn's last text; its cards the last step's).
  /** @param {Piece[]} pieces @param {boolean} live */
  draw(pieces, live) {
    /** @type {Map<string, number>} */
    const seen = new Map();
    /** @type {string[]} */
    const keys = [];
    for (let i = pieces.length - 1; i >= 0; i--) {
      const kind = pieces[i].kind;
      const rank = seen.get(kind) ?? 0;
      seen.set(kind, rank + 1);
      keys[i] = `${kind}:${rank}`;
    }
    const wanted = new Set(keys);
    for (const [key, slot] of this.slots) {
      if (wanted.has(key)) continue;
      slot.el.remove();
      slot.cards?.stop();
      this.slots.delete(key);
    }
    let at = this.bubble.firstChild;
    pieces.forEach((piece, i) => {
      let slot = this.slots.get(keys[i]);
      if (!slot) {
        slot = new Slot();
        this.slots.set(keys[i], slot);
      }
      const before = slot.el;
      slot.draw(piece, live);
      if (at === before) at = slot.el; // drawn anew in its place
      if (slot.el === at) at = at.nextSibling;
      else this.bubble.insertBefore(slot.el, at);
    });
  }
}

/** The element of a committed turn (see messages.js turnStart), the first of whose messages has
 *  index `index`.
 *  @param {ChatMessage[]} messages @param {number} index */
export function renderTurn(messages, index) {
  return new TurnView(false).commit(messages, index);
}

// --- the pieces' elements ------------------------------------------------------------------------

// `body` is the .co-thinking-body element (a streaming one grows in place).
/** @param {HTMLElement} body @param {boolean} streaming */
function thinkingBlock(body, streaming) {
  return h("details", { cls: "co-thinking" }, [
    h("summary", { text: streaming ? "Thinking…" : "Thinking" }),
    body,
  ]);
}

/** @param {string} text */
function planBlock(text) {
  return h("div", { cls: "co-plan", text });
}

/** @param {ChatMessage} message */
function toolText(message) {
  const content = message.content;
  return typeof content === "string"
    ? content
    : blockList(content)
        .map((block) =>
          block?.type === "text" ? block.text : JSON.stringify(block?.document ?? block),
        )
        .join("\n");
}

// A tool's result, collapsed (the look of a card's result preview).
/** @param {ChatMessage} message @param {string} [label] */
export function toolResult(message, label) {
  const id = message.tool_call_id ? ` · ${message.tool_call_id}` : "";
  return h("details", { cls: "co-tool-result" }, [
    h("summary", { text: label ?? `Tool result${id}` }),
    h("pre", {}, [h("code", { text: toolText(message) })]),
  ]);
}

/** @param {CallBlock[]} calls @param {Map<string, ChatMessage>} results */
function toolCalls(calls, results) {
  const box = h("div", { cls: "co-tool-calls" }, [
    h("div", { cls: "co-label", text: "Tool calls" }),
  ]);
  for (const call of calls) {
    const fn = call?.function ?? {};
    box.append(
      h("pre", { cls: "co-tool-call" }, [
        h("code", { text: `${fn.name ?? "?"}(${jsonArgs(fn.arguments)})` }),
      ]),
    );
    const result = call?.id ? results.get(call.id) : undefined;
    if (result) box.append(toolResult(result, "Result"));
  }
  return box;
}

// Arguments arrive as a JSON-encoded string; show them compact, or as sent if they are not JSON.
/** @param {unknown} args */
function jsonArgs(args) {
  try {
    return JSON.stringify(JSON.parse(String(args)));
  } catch {
    return String(args ?? "");
  }
}

// `empty`: nothing of the answer arrived, so there is no partial reply to speak of; `calls`: the
// cards of the turn's earlier steps, so a turn stopped after its tool calls says how far it got.
/** @param {string} status @param {boolean} empty @param {ToolCard[]} calls */
function partialMarker(status, empty, calls) {
  const why = status === "stopped" ? "Stopped" : "Interrupted";
  const n = calls.length;
  const text = !empty
    ? `${why} — the reply is partial`
    : !n
      ? `${why} before the reply began`
      : calls.some((call) => call?.status === "stopped" || call?.status === "waiting")
        ? `${why} during the tool calls, before the answer began`
        : `${why} after ${n} tool call${n === 1 ? "" : "s"}, before the answer began`;
  return h("div", { cls: `co-marker co-marker-${status}${empty ? " co-marker-empty" : ""}`, text });
}

/** @param {TurnError} error */
function errorBanner(error) {
  const head = [error.status_code ? `Error ${error.status_code}` : "Error", error.type]
    .filter(Boolean)
    .join(" · ");
  return h("div", { cls: "co-error", attrs: { role: "alert" } }, [
    h("div", { cls: "co-error-title", text: head }),
    h("div", { cls: "co-error-message", text: error.message || "The request failed." }),
    error.hint ? h("div", { cls: "co-error-hint", text: error.hint }) : null,
    error.request_id
      ? h("div", { cls: "co-error-id", text: `Request id: ${error.request_id}` })
      : null,
  ]);
}

/** @param {string[]} warnings */
function warningList(warnings) {
  return h(
    "ul",
    { cls: "co-warnings", attrs: { "aria-label": "Warnings" } },
    warnings.map((warning) => h("li", { text: String(warning) })),
  );
}

// Token counts come from billed_units (what the account is charged), not the raw token counts.
/** @param {CoRecord} co @param {boolean} copyable */
function footer(co, copyable) {
  const usage = /** @type {Usage} */ (co.usage ?? {});
  const billed = usage.billed_units ?? {};
  const facts = [];
  if (billed.input_tokens != null) facts.push(`${billed.input_tokens} in`);
  if (billed.output_tokens != null) facts.push(`${billed.output_tokens} out`);
  if (usage.cached_tokens) facts.push(`${usage.cached_tokens} cached`);
  const meta = h("div", { cls: "co-actions" });
  if (copyable) meta.append(button("copy", "Copy reply", "copy"));
  meta.append(button("regenerate", "Regenerate reply", "regenerate", { cls: "co-regen" }));
  if (Array.isArray(co.logprobs) && copyable) {
    const shade = button("confidence", "Shade low-confidence tokens", null, { text: "Confidence" });
    shade.setAttribute("aria-pressed", "false");
    meta.append(shade);
  }
  if (facts.length) {
    // No price known: tokens only, never a guess.
    const cost = co.cost != null ? ` · ${formatCost(co.cost)}` : "";
    meta.append(h("span", { cls: "co-usage", text: `${facts.join(" · ")} tokens${cost}` }));
  }
  // TOOL_CALL is how a reply that calls tools ends, not a problem: only the others warn.
  if (co.finish_reason && co.finish_reason !== "COMPLETE") {
    const warn = co.finish_reason === "TOOL_CALL" ? "" : " co-finish-warn";
    meta.append(h("span", { cls: `co-finish${warn}`, text: co.finish_reason }));
  }
  return meta;
}

// A JSON reply (response_format) as a fenced json block, so it renders highlighted.
/** @param {string} text */
export function jsonSource(text) {
  let pretty = text;
  try {
    pretty = JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    // not (yet) valid JSON: shown as it came
  }
  const longest = Math.max(2, ...(pretty.match(/`+/g) ?? []).map((run) => run.length));
  const fence = "`".repeat(longest + 1);
  return `${fence}json\n${pretty}\n${fence}`;
}

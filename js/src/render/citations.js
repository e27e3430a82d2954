// Grounded replies in the bubble: cited spans highlighted in the rendered markdown, each followed
// by the numbers of its sources; a card with the sources on hover, focus or click; a numbered
// "Sources" list under the reply, linking each source to its spans. Everything is built from the
// message itself (Cohere's citations carry their documents' data), so a saved notebook renders
// the same without a kernel.
import "./citations.css";
import { codePointIndex, codePointLength, markSource, wrapMarks } from "./cite-spans.js";
import { h } from "./dom.js";
import { renderMarkdown } from "./markdown.js";
import { highlightCode } from "./syntax.js";

const SNIPPET_CHARS = 200;
const TABLE_FIELDS = 8;
// Fields that name or locate a document rather than say what it holds (as in _footnotes.py).
const LABEL_FIELDS = new Set(["id", "title", "url", "chunk"]);
const HIDE_DELAY_MS = 250;

// Cohere's citation objects as the kernel passes them on (protocol.js: `object[]`): not
// validated, so every field may be missing and the code reads them defensively.
/** @typedef {object} Source
 *  @property {string} [type] "document" or "tool"
 *  @property {string} [id]
 *  @property {Record<string, unknown>} [document]
 *  @property {unknown} [tool_output] */
/** @typedef {object} Citation
 *  @property {string} [type] "TEXT_CONTENT", "THINKING_CONTENT" or "PLAN"
 *  @property {number} [start] code-point offsets in the content block
 *  @property {number} [end]
 *  @property {string} [text]
 *  @property {number} [content_index]
 *  @property {Source[]} [sources] */
/** A highlighted span: citation `k`, its UTF-16 range in the answer, the numbers of its sources,
 *  and whether they follow it (`ref`: false on all but the last piece of a clipped span).
 *  @typedef {{k: number, start: number, end: number, numbers: number[], ref?: boolean}} CitedSpan */
/** The sources of an answer by "type:id": number, source, and the citations that cite it.
 *  @typedef {Map<string, {n: number, source: Source, citations: number[]}>} Sources */
/** Names of tool calls by call id (a committed message's `_co.tools`).
 *  @typedef {Record<string, {name?: string}>} ToolNames */
/** @typedef {import("../state/parts.js").PlacedSpan} PlacedSpan */

// The citations of the answer text, with their spans in UTF-16 units of `text` and the numbers
// of their sources. `blockStart(contentIndex)` gives the code-point offset in `text` of a content
// block (the answer may come in several text blocks; thinking is not part of `text`).
// Only citations whose end has arrived are returned (live streaming).
/**
 * @param {string} text
 * @param {Citation[]} citations
 * @param {(contentIndex: number | undefined) => number} [blockStart]
 * @param {PlacedSpan[]} [placed] the spans the kernel placed (`_co.spans`): used as they are
 * @returns {{spans: CitedSpan[], sources: Sources}}
 */
export function citedSpans(text, citations, blockStart = () => 0, placed = undefined) {
  if (placed) return placedSpans(text, citations, placed);
  const toUnits = codePointIndex(text);
  const length = codePointLength(text);
  const sources = numberSources(citations);
  /** @type {CitedSpan[]} */
  const spans = [];
  citations.forEach((citation, k) => {
    const type = String(citation?.type ?? "TEXT_CONTENT").toUpperCase();
    if (type !== "TEXT_CONTENT") return;
    const shift = blockStart(citation.content_index);
    const start = shift + Number(citation.start ?? 0);
    const end = shift + Number(citation.end ?? 0);
    const numbers = sourceNumbers(citation, sources);
    // A span needs a source to point at (a hostile saved state may have none).
    if (!(end > start && end <= length) || !numbers.length) return;
    spans.push({ k, start: toUnits(start), end: toUnits(end), numbers });
  });
  return { spans, sources };
}

// The kernel placed each citation once (co_widget/_parts.py), in UTF-16 units of the joined text
// of its kind: the answer's spans are taken as they are. Placing them here stays for what has no
// placed spans (a notebook's widget state saved by 0.1.0, opened without its kernel).
/** @param {string} text @param {Citation[]} citations @param {PlacedSpan[]} placed */
function placedSpans(text, citations, placed) {
  const sources = numberSources(citations);
  /** @type {CitedSpan[]} */
  const spans = [];
  for (const span of placed) {
    const citation = citations[span.citation];
    const type = String(citation?.type ?? "TEXT_CONTENT").toUpperCase();
    if (type !== "TEXT_CONTENT") continue;
    const numbers = sourceNumbers(citation, sources);
    if (!(span.end16 > span.start16 && span.end16 <= text.length) || !numbers.length) continue;
    spans.push({ k: span.citation, start: span.start16, end: span.end16, numbers });
  }
  return { spans, sources };
}

// Sources numbered in order of first citation: key -> {n, source, citations: [k...]}.
/** @param {Citation[]} citations @returns {Sources} */
export function numberSources(citations) {
  /** @type {Sources} */
  const sources = new Map();
  citations.forEach((citation, k) => {
    for (const source of sourcesOf(citation)) {
      const key = `${source?.type}:${source?.id}`;
      if (!sources.has(key)) sources.set(key, { n: sources.size + 1, source, citations: [] });
      sources.get(key)?.citations.push(k);
    }
  });
  return sources;
}

// A citation's sources that are objects: a hostile saved state (`"sources": "abc"`) draws the
// answer without them instead of stopping the view at that message.
/** @param {Citation} citation @returns {Source[]} */
function sourcesOf(citation) {
  const sources = citation?.sources;
  return Array.isArray(sources) ? sources.filter((s) => s !== null && typeof s === "object") : [];
}

/** @param {Citation} citation @param {Sources} sources (numbered from all citations) */
function sourceNumbers(citation, sources) {
  const numbers = sourcesOf(citation).map(
    (s) => /** @type {{n: number}} */ (sources.get(`${s?.type}:${s?.id}`)).n,
  );
  return [...new Set(numbers)];
}

// The answer markdown rendered with its cited spans highlighted. `spans` are in UTF-16 units of
// `src`. Without spans (or with private-use characters in `src`) it is the plain rendering.
/** @param {string} src @param {CitedSpan[]} spans @param {{highlight?: boolean}} [options] */
export function renderCited(src, spans, { highlight = true } = {}) {
  const marked = spans.length ? markSource(src, spans) : null;
  if (marked === null) return renderMarkdown(src, { highlight });
  const fragment = renderMarkdown(marked, { highlight: false });
  wrapMarks(
    fragment,
    (ids, text) =>
      h("mark", {
        cls: "co-cite",
        text,
        attrs: {
          tabindex: "0",
          "data-cite": ids.map((i) => spans[i].k).join(" "),
          "data-sources": [...new Set(ids.flatMap((i) => spans[i].numbers))].join(" "),
        },
      }),
    (i) =>
      spans[i].ref !== false &&
      h("sup", {
        cls: "co-cite-ref",
        text: `[${spans[i].numbers.join(",")}]`,
        attrs: {
          "data-cite": String(spans[i].k),
          "data-sources": spans[i].numbers.join(" "),
          "aria-hidden": "true",
        },
      }),
  );
  // Highlighting waited for the marks to leave the code; now the code is plain again.
  if (highlight) {
    for (const code of fragment.querySelectorAll("pre > code")) {
      const lang = /^language-([\w+#.-]+)$/.exec(code.className)?.[1]?.toLowerCase() ?? "";
      highlightCode(/** @type {HTMLElement} */ (code), lang);
    }
  }
  return fragment;
}

// The answer of a committed message: its text blocks joined, and where each block starts.
/** @param {import("../state/parts.js").ChatMessage} message a Cohere v2 assistant message @returns {{text: string, blockStart: (i: number | undefined) => number}} */
export function answerOf(message) {
  const content = message?.content;
  if (typeof content === "string") return { text: content, blockStart: () => 0 };
  /** @type {Map<number | undefined, number>} */
  const starts = new Map();
  let text = "";
  (Array.isArray(content) ? content : [content]).forEach((block, i) => {
    if (block?.type !== "text") return;
    starts.set(i, codePointLength(text));
    text += block.text ?? "";
  });
  return { text, blockStart: (i) => starts.get(i) ?? 0 };
}

// The numbered Sources list: per source its title, URL or id, a snippet (a data row as a small
// table, a tool result as its name and output) and buttons that go to its spans.
/** @param {Sources} sources @param {Citation[]} citations @param {ToolNames} [tools] */
export function sourceList(sources, citations, tools = {}) {
  const list = h("ol", { cls: "co-source-list" });
  for (const { n, source, citations: cited } of sources.values()) {
    const goto = cited.map((k) =>
      h("button", {
        cls: "co-cite-goto",
        // The cited text as the model wrote it, markdown delimiters left out.
        text: `“${shorten(String(citations[k]?.text ?? "").replace(/[*_`~]/g, ""), 40)}”`,
        attrs: { type: "button", "data-cite-goto": String(k), title: "Show this span" },
      }),
    );
    list.append(
      h("li", { cls: "co-source", attrs: { "data-source": String(n), value: String(n) } }, [
        sourceBody(source, tools),
        goto.length ? h("div", { cls: "co-cite-spans" }, goto) : null,
      ]),
    );
  }
  return h("div", { cls: "co-sources" }, [h("div", { cls: "co-label", text: "Sources" }), list]);
}

/** @param {Source} source @param {ToolNames} tools */
function sourceBody(source, tools) {
  const body = h("div", { cls: "co-source-body" });
  if (source?.type === "tool") {
    const call = tools[String(source.id)] ?? {};
    body.append(
      h("div", { cls: "co-source-head" }, [
        h("span", {
          cls: "co-source-title",
          text: call.name ? `Tool: ${call.name}` : "Tool result",
        }),
        h("code", { cls: "co-source-id", text: String(source.id ?? "") }),
      ]),
      h("pre", { cls: "co-source-output" }, [
        h("code", { text: JSON.stringify(source.tool_output ?? {}, null, 1) }),
      ]),
    );
    return body;
  }
  const data = source?.document ?? {};
  const url = typeof data.url === "string" && /^https?:\/\//i.test(data.url) ? data.url : null;
  const id = source?.id == null ? "" : String(source.id);
  // An untitled document is titled by its id: the id is then not shown a second time.
  const title = data.title ?? rowName(source?.id);
  body.append(
    h("div", { cls: "co-source-head" }, [
      h("span", {
        cls: "co-source-title",
        text: String(title ?? (id || "Document")) + part(data),
      }),
      url
        ? h("a", {
            cls: "co-source-url",
            text: url,
            attrs: { href: url, target: "_blank", rel: "noopener noreferrer" },
          })
        : null,
      title != null && id ? h("code", { cls: "co-source-id", text: id }) : null,
    ]),
  );
  const snippet = snippetOf(data);
  const isRow = rowName(source?.id) !== null || !snippet;
  body.append(isRow ? rowTable(data) : h("div", { cls: "co-source-snippet", text: snippet }));
  return body;
}

// Where a chunk of a long file or text sits in it (see _documents.py): ", part 2".
/** @param {Record<string, unknown>} data */
function part(data) {
  return typeof data.chunk === "number" ? `, part ${data.chunk}` : "";
}

// A DataFrame row's document (id "row:<label>", see _documents.py) is titled "Row <label>".
/** @param {unknown} id */
function rowName(id) {
  return typeof id === "string" && id.startsWith("row:") ? `Row ${id.slice(4)}` : null;
}

const HEADING_MARK = /^[ \t]{0,3}#{1,6}(?:[ \t]+|$)/gm;

/** @param {Record<string, unknown>} data */
function snippetOf(data) {
  const texts = Object.entries(data)
    .filter(
      /** @returns {entry is [string, string]} */
      (entry) => !LABEL_FIELDS.has(entry[0]) && typeof entry[1] === "string" && !!entry[1].trim(),
    )
    // Markdown heading markers ("# Intro") are markup, not text: a snippet reads without them.
    .map(([, value]) => value.replace(HEADING_MARK, "").split(/\s+/).filter(Boolean).join(" "));
  return shorten(texts.join(" "), SNIPPET_CHARS);
}

/** @param {Record<string, unknown>} data */
function rowTable(data) {
  const rows = Object.entries(data)
    .filter(([key]) => key !== "id")
    .slice(0, TABLE_FIELDS)
    .map(([key, value]) =>
      h("tr", {}, [
        h("th", { text: key }),
        h("td", {
          text:
            value === null
              ? "—"
              : typeof value === "object"
                ? JSON.stringify(value)
                : String(value),
        }),
      ]),
    );
  return h("table", { cls: "co-source-row" }, [h("tbody", {}, rows)]);
}

/** @param {string} text @param {number} max */
function shorten(text, max) {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

// Hover, focus and click on the spans of `bubble` show a card with their sources (copied from the
// bubble's Sources list); the Sources list's buttons go to the spans, a span's number to its
// source. One set of delegated listeners per bubble, so re-rendered content needs nothing new.
/** @param {HTMLElement} bubble */
export function citeInteractions(bubble) {
  /** @type {HTMLElement | null} */
  let card = null;
  /** @type {HTMLElement | null} the mark whose card is shown */
  let shownFor = null;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let hideTimer;
  /** @param {string} k */
  const marksOf = (k) => bubble.querySelectorAll(`.co-cite[data-cite~="${k}"]`);
  // The element around an event's target that matches `selector`; the target may be no element.
  /** @param {Event} event @param {string} selector @returns {HTMLElement | null} */
  const around = (event, selector) =>
    /** @type {Element} */ (event.target).closest?.(selector) ?? null;
  const hide = () => {
    clearTimeout(hideTimer);
    card?.remove();
    for (const el of bubble.querySelectorAll(".co-cite-active"))
      el.classList.remove("co-cite-active");
    shownFor = null;
  };
  /** @param {HTMLElement} mark */
  const show = (mark) => {
    clearTimeout(hideTimer);
    if (shownFor === mark) return;
    hide();
    const items = (mark.dataset.sources ?? "")
      .split(" ")
      .map((n) => bubble.querySelector(`.co-source[data-source="${n}"] .co-source-body`))
      .filter((item) => item !== null);
    if (!items.length) return;
    const shown = h(
      "div",
      { cls: "co-card", attrs: { role: "tooltip" } },
      items.map((item) => item.cloneNode(true)),
    );
    card = shown;
    for (const k of (mark.dataset.cite ?? "").split(" "))
      for (const el of marksOf(k)) el.classList.add("co-cite-active");
    bubble.append(shown);
    const box = bubble.getBoundingClientRect();
    const at = mark.getBoundingClientRect();
    shown.style.top = `${at.bottom - box.top + 4}px`;
    shown.style.left = `${Math.max(0, Math.min(at.left - box.left, box.width - shown.offsetWidth))}px`;
    shownFor = mark;
  };
  const later = () => {
    clearTimeout(hideTimer);
    hideTimer = setTimeout(hide, HIDE_DELAY_MS);
  };
  bubble.addEventListener("mouseover", (event) => {
    const mark = around(event, ".co-cite");
    if (mark) show(mark);
    else if (around(event, ".co-card")) clearTimeout(hideTimer);
  });
  bubble.addEventListener("mouseout", (event) => {
    if (around(event, ".co-cite, .co-card")) later();
  });
  bubble.addEventListener("focusin", (event) => {
    const mark = around(event, ".co-cite");
    if (mark) show(mark);
  });
  bubble.addEventListener("focusout", (event) => {
    if (around(event, ".co-cite")) later();
  });
  bubble.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && shownFor) {
      hide();
      event.stopPropagation();
    }
  });
  bubble.addEventListener("click", (event) => {
    const mark = around(event, ".co-cite");
    if (mark) {
      show(mark);
      return;
    }
    const goto = around(event, "[data-cite-goto]");
    const ref = around(event, ".co-cite-ref");
    if (goto) {
      const first = /** @type {HTMLElement | undefined} */ (
        marksOf(goto.dataset.citeGoto ?? "")[0]
      );
      first?.scrollIntoView({ block: "nearest" });
      first?.focus();
    } else if (ref) {
      const n = (ref.dataset.sources ?? "").split(" ")[0];
      const item = bubble.querySelector(`.co-source[data-source="${n}"]`);
      item?.scrollIntoView({ block: "nearest" });
      item?.classList.add("co-source-flash");
      setTimeout(() => item?.classList.remove("co-source-flash"), 1200);
    }
  });
}

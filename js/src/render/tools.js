// Cards of Python tool calls: name, arguments (growing while the model writes them), status with
// elapsed time, Approve/Deny when the chat asks (approve=True), and a collapsed result preview.
// Cards come from the kernel's `tool` messages (and snapshots) while a reply streams, and from
// the committed messages' `_co.calls` afterwards (turn.js draws both), so a saved notebook shows
// them too.
import "./tools.css";
import { button, h } from "./dom.js";

/** @typedef {import("../state/protocol.js").ToolCard} ToolCard */

/** @type {Record<ToolCard["status"], string>} */
const STATUS_TEXT = {
  streaming: "writing arguments…",
  waiting: "waiting",
  running: "running",
  done: "done",
  error: "error",
  denied: "denied",
  stopped: "stopped",
};
const TICK_MS = 250;

// Arguments are an object once the call is complete, the JSON text so far while it streams,
// or the raw text when the model sent something that is not JSON.
/** @param {unknown} args */
function argumentText(args) {
  if (typeof args === "string") return args;
  // One line, spaced like the model writes it: {"city": "Paris", "days": [1, 2]}. Line breaks
  // only ever fall between tokens (JSON escapes them inside strings).
  return JSON.stringify(args ?? {}, null, 1)
    .replace(/([{[])\n */g, "$1")
    .replace(/\n *([}\]])/g, "$1")
    .replace(/\n */g, " ");
}

/** @param {number} value */
function seconds(value) {
  return value < 10 ? `${value.toFixed(1)} s` : `${Math.round(value)} s`;
}

// One card, as plain DOM. `receivedAt` (performance.now()) anchors the elapsed time of a
// running call: the kernel says how long it had run when it sent the card.
/** @param {ToolCard} card @param {number} [receivedAt] */
export function renderCard(card, receivedAt = 0) {
  // A status this version does not know (a newer kernel's) shows as waiting.
  const status = STATUS_TEXT[card.status] ? card.status : "waiting";
  const statusEl = h("span", { cls: "co-tool-status", text: STATUS_TEXT[status] });
  const el = h("div", { cls: `co-tool-card co-tool-${status}`, attrs: { role: "group" } }, [
    h("div", { cls: "co-tool-head" }, [
      h("span", { cls: "co-tool-name", text: card.name }),
      statusEl,
    ]),
    h("pre", { cls: "co-tool-call co-tool-args" }, [
      h("code", { text: argumentText(card.arguments) }),
    ]),
  ]);
  el.setAttribute("aria-label", `Tool call ${card.name}: ${STATUS_TEXT[status]}`);
  el.dataset.callId = card.id;
  if (status === "running" && typeof card.elapsed === "number") {
    el.coStartedAt = receivedAt - card.elapsed * 1000;
  } else if (typeof card.duration === "number") {
    statusEl.textContent = `${STATUS_TEXT[status]} · ${seconds(card.duration)}`;
  }
  if (card.ask && status === "waiting") {
    const approve = button("approve", `Approve ${card.name}`, null, {
      text: "Approve",
      cls: "co-tool-approve",
    });
    const deny = button("deny", `Deny ${card.name}`, null, { text: "Deny", cls: "co-tool-deny" });
    for (const btn of [approve, deny]) btn.dataset.callId = card.id;
    el.append(h("div", { cls: "co-tool-ask" }, [approve, deny]));
  }
  if (card.error) el.append(h("div", { cls: "co-tool-message", text: card.error }));
  if (card.result != null) {
    el.append(
      // The look of a committed tool result (widget.css), so both read the same.
      h("details", { cls: "co-tool-result co-tool-preview" }, [
        h("summary", { text: "Result" }),
        h("pre", {}, [h("code", { text: card.result })]),
      ]),
    );
  }
  return el;
}

// Shows the elapsed time of running cards under `root`; returns true while any is running.
/** @param {ParentNode} root @param {number} [now] */
export function tickElapsed(root, now = performance.now()) {
  let running = false;
  for (const el of /** @type {NodeListOf<HTMLElement>} */ (
    root.querySelectorAll(".co-tool-running")
  )) {
    if (el.coStartedAt === undefined) continue;
    running = true;
    /** @type {HTMLElement} */ (el.querySelector(".co-tool-status")).textContent =
      `running · ${seconds(Math.max(0, now - el.coStartedAt) / 1000)}`;
  }
  return running;
}

// The cards of the reply being streamed. `update(calls)` re-renders only the cards whose
// content changed; a timer keeps the elapsed time of running calls moving.
export class ToolCards {
  constructor() {
    this.el = h("div", { cls: "co-tool-cards" });
    /** @type {Map<string, string>} call id -> JSON of the card shown */
    this.keys = new Map();
    /** @type {ReturnType<typeof setInterval> | undefined} */
    this.timer = undefined;
  }

  /** @param {ToolCard[]} calls */
  update(calls) {
    const now = performance.now();
    // Cards of calls no longer listed go (a streamed turn's cards split among its steps).
    const ids = new Set(calls.map((card) => card.id));
    for (const el of /** @type {HTMLElement[]} */ ([...this.el.children]))
      if (!ids.has(el.dataset.callId ?? "")) el.remove();
    for (const card of calls) {
      const key = JSON.stringify(card);
      if (this.keys.get(card.id) === key) continue;
      this.keys.set(card.id, key);
      const fresh = renderCard(card, now);
      const cards = /** @type {HTMLElement[]} */ ([...this.el.children]);
      const old = cards.find((el) => el.dataset.callId === card.id);
      if (old) {
        // A preview the user opened stays open when the card changes.
        /** @type {(el: Element) => HTMLDetailsElement | null} */
        const previewOf = (el) => el.querySelector("details.co-tool-preview");
        const preview = previewOf(fresh);
        if (preview && previewOf(old)?.open) preview.open = true;
        old.replaceWith(fresh);
      } else this.el.append(fresh);
    }
    tickElapsed(this.el, now);
    if (!this.timer && this.el.querySelector(".co-tool-running")) {
      this.timer = setInterval(() => {
        if (!this.el.isConnected || !tickElapsed(this.el)) this.stop();
      }, TICK_MS);
    }
  }

  stop() {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}

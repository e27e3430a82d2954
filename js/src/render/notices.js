// What the widget tells the user besides the messages: an error next to the composer, the
// "Undo" toast after a Clear or an edit that dropped messages, the notice of a saved view with
// no kernel behind it, a failed autosave of `file=`, and the screen-reader announcement of each
// completed reply.
import { button, h } from "./dom.js";

// How long the Undo toast stays.
const UNDO_MS = 10_000;
// A screen reader hears at most this much of a reply; the rest is in the conversation.
const ANNOUNCE_CHARS = 600;

const CONNECTION_TEXT = {
  connecting: () => "Connecting to the kernel…",
  live: () => "",
  saved: offlineText,
  restarted: () => "The kernel restarted: run the cell to continue",
};

export class Notices {
  constructor() {
    this.error = h("div", { cls: "co-composer-error", attrs: { role: "alert" } });
    this.toast = h("div", { cls: "co-toast", attrs: { role: "status" } });
    // The view's connection to its kernel, when it is not live (see ChatView.setConnection).
    this.offline = h("div", { cls: "co-offline", attrs: { role: "status" } });
    // Polite, and written once per reply: never per token.
    this.live = h("div", { cls: "co-sr-only", attrs: { "aria-live": "polite" } });
    // The kernel's `autosave_error` trait: path and reason, until the next good save.
    this.saveError = h("div", { cls: "co-save-error", attrs: { role: "alert" } });
    this.toastTimer = 0;
    this.el = h("div", { cls: "co-notices" }, [
      this.offline,
      this.saveError,
      this.toast,
      this.error,
    ]);
  }

  /** @param {"connecting" | "live" | "saved" | "restarted"} state */
  showConnection(state) {
    this.offline.textContent = CONNECTION_TEXT[state]();
  }

  /** @param {string} text */
  showError(text) {
    this.error.textContent = text;
  }

  clearError() {
    this.error.textContent = "";
  }

  /** @param {unknown} problem the `autosave_error` trait: a string, or null after a good save */
  showSaveError(problem) {
    this.saveError.textContent = typeof problem === "string" && problem ? problem : "";
  }

  /** @param {import("../state/protocol.js").DroppedMsg} dropped the kernel's message */
  showUndo({ action, count, token }) {
    const plural = count === 1 ? "" : "s";
    const what =
      action === "clear"
        ? `Cleared ${count} message${plural}`
        : `Edit dropped ${count} later message${plural}`;
    this.toast.replaceChildren(
      h("span", { text: `${what} · ` }),
      button("undo", "Undo: put the messages back", null, { text: "Undo", cls: "co-undo" }),
    );
    const undo = /** @type {HTMLElement} */ (this.toast.querySelector(".co-undo"));
    undo.dataset.token = token;
    clearTimeout(this.toastTimer);
    this.toastTimer = setTimeout(() => this.hideUndo(), UNDO_MS);
  }

  hideUndo() {
    clearTimeout(this.toastTimer);
    this.toast.replaceChildren();
  }

  /** @param {string} text */
  announce(text) {
    const short = text.length > ANNOUNCE_CHARS ? `${text.slice(0, ANNOUNCE_CHARS)}…` : text;
    this.live.textContent = short;
  }

  destroy() {
    clearTimeout(this.toastTimer);
  }
}

// A page exported with its widget state (nbconvert's HTML, nbviewer) carries that state in a
// script element, and no kernel will ever answer there: saying "run the cell" would be untrue.
const WIDGET_STATE = 'script[type="application/vnd.jupyter.widget-state+json"]';

export function isExportedPage() {
  return document.querySelector(WIDGET_STATE) !== null;
}

// What a view with no kernel behind it says, next to the composer and on a blocked send.
export function offlineText() {
  return isExportedPage()
    ? "Saved copy of this conversation: read only, no kernel runs on this page"
    : "Saved conversation: run the cell to continue";
}

// Lone UTF-16 surrogates (from a broken paste) cannot be encoded as UTF-8, so the kernel could
// not send them on; the view says so and keeps the text. isWellFormed: Chromium 111, Firefox 119,
// Safari 16.4; the pattern covers older browsers.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** @param {string} text */
export function brokenTextError(text) {
  const wellFormed = /** @type {{isWellFormed?: () => boolean}} */ (/** @type {unknown} */ (text))
    .isWellFormed;
  const ok = wellFormed ? wellFormed.call(text) : !LONE_SURROGATE.test(text);
  return ok
    ? null
    : "The message contains a broken character (a lone UTF-16 surrogate, often from a bad " +
        "paste). Remove it and send again.";
}

// Keyboard rules of the widget inside a notebook.
//
// Keys typed anywhere in the widget belong to it. JupyterLab and Notebook 7 bind single letters,
// Enter, Shift+Enter and Esc to notebook commands from listeners on the document (capture phase
// in Notebook 7, so a stopPropagation from the widget comes too late). Lumino skips its shortcuts
// when it meets data-lm-suppress-shortcuts walking up from the key's target, but it tests the
// target against a binding's selector first, and a focused button in command mode matches
// ".jp-Notebook.jp-mod-commandMode :focus". So the mark goes on the root and on whatever element
// of the widget gets focus (see markFocused). The widget's keydown listener also stops the
// event, for the hosts' handlers that listen on the cell.
//
// The host's own chorded shortcuts (Ctrl/Cmd+S saves, Ctrl+Shift+C opens the command palette,
// Ctrl+B toggles the sidebar) are not the widget's: for those, passHostChords takes the mark off
// for the one key press and the widget's listener lets the event go on (see isHostChord).
//
// The conversation is one Tab stop, however long (a roving tabindex): the last focused message
// (the newest by default) has tabindex 0, every other message and every control inside messages
// -1. Up/Down/Home/End move between messages; Left/Right between a message and its controls.

import { CONTROLS } from "../render/dom.js";

const SUPPRESS = "data-lm-suppress-shortcuts";

export const SUPPRESS_SHORTCUTS = { [SUPPRESS]: "true" };

// Chords that edit text or move in it, which stay with the text field or the page (a notebook
// binds some of them, e.g. Accel+A selects all cells), and the keys the widget itself handles
// whatever the modifier (Ctrl+Enter must not run the cell). With Shift: redo and selection.
const TEXT_CHORDS = new Set(
  "a c v x z y arrowleft arrowright arrowup arrowdown home end backspace delete".split(" "),
);
const SHIFT_TEXT_CHORDS = new Set("z v arrowleft arrowright arrowup arrowdown home end".split(" "));
const OURS = new Set(["enter", "escape", "tab", " ", "control", "meta", "shift", "alt"]);

/** A Ctrl or Cmd chord that belongs to the host (saving, the command palette, the sidebar...).
 *  Ctrl+Alt is AltGr on Windows, which types characters: those stay in the widget.
 *  @param {KeyboardEvent} event */
export function isHostChord(event) {
  if (!(event.ctrlKey || event.metaKey) || event.altKey || event.isComposing) return false;
  const key = event.key.toLowerCase();
  if (OURS.has(key)) return false;
  return !(event.shiftKey ? SHIFT_TEXT_CHORDS : TEXT_CHORDS).has(key);
}

/** Lets the host see its chords typed inside `root`: a keydown listener on the window, in the
 *  capture phase (before the hosts' own listeners on the document), takes the suppress mark off
 *  the key's path for this one press. Returns the function that removes the listener.
 *  @param {HTMLElement} root */
export function passHostChords(root) {
  /** @param {KeyboardEvent} event */
  const onKeydown = (event) => {
    const target = /** @type {Node | null} */ (event.target);
    if (!target || !root.contains(target) || !isHostChord(event)) return;
    /** @type {Element[]} */
    const marked = [];
    for (let el = /** @type {Element | null} */ (target); el; el = el.parentElement) {
      if (el.hasAttribute(SUPPRESS)) marked.push(el);
      if (el === root) break;
    }
    for (const el of marked) el.removeAttribute(SUPPRESS);
    // After every listener of this press has run.
    setTimeout(() => {
      for (const el of marked) el.setAttribute(SUPPRESS, "true");
    });
  };
  window.addEventListener("keydown", onKeydown, true);
  return () => window.removeEventListener("keydown", onKeydown, true);
}

/** Esc in an idle composer: focus goes back to the notebook, in command mode on the chat's own
 *  cell (JupyterLab and Notebook 7 enter command mode when a cell, or the notebook, gets focus
 *  outside an editor). Returns false outside a notebook (marimo, Voilà): focus then stays.
 *  @param {HTMLElement} root */
export function focusNotebook(root) {
  const cell = /** @type {HTMLElement | null} */ (root.closest(".jp-Cell"));
  const notebook = /** @type {HTMLElement | null} */ (root.closest(".jp-Notebook"));
  const target = cell?.hasAttribute("tabindex") ? cell : notebook;
  if (!target) return false;
  target.focus({ preventScroll: true });
  return true;
}

/** A focusin listener for the widget's root: marks the focused element (see above).
 *  @param {FocusEvent} event */
export function markFocused(event) {
  /** @type {Element} */ (event.target).setAttribute("data-lm-suppress-shortcuts", "true");
}

export class RovingFocus {
  /** @param {HTMLElement} list */
  constructor(list) {
    this.list = list;
    /** @type {HTMLElement | null} the message that holds the Tab stop */
    this.current = null;
    list.addEventListener("focusin", (event) => {
      const msg = /** @type {HTMLElement} */ (event.target).closest(".co-msg");
      if (msg && msg.parentNode === list) this.setCurrent(/** @type {HTMLElement} */ (msg));
    });
  }

  // After the list changed: exactly one message, still in the list, holds the Tab stop. Only
  // messages whose tabIndex is wrong are written: a write, even of the same value, is a DOM
  // mutation, and a long list is updated every frame while it fills in.
  update() {
    const messages = /** @type {HTMLCollectionOf<HTMLElement>} */ (this.list.children);
    // The attribute, not the property: a div without one reads tabIndex -1 but is not focusable.
    for (const msg of messages)
      if (msg !== this.current && msg.getAttribute("tabindex") !== "-1") msg.tabIndex = -1;
    if (!this.current || this.current.parentNode !== this.list) {
      this.current = messages[messages.length - 1] ?? null;
    }
    if (this.current) this.current.tabIndex = 0;
  }

  /** @param {HTMLElement} msg */
  setCurrent(msg) {
    if (this.current && this.current !== msg) this.current.tabIndex = -1;
    this.current = msg;
    msg.tabIndex = 0;
  }

  // Returns true when it moved the focus (the event is then consumed).
  /** @param {KeyboardEvent} event */
  onKeydown(event) {
    const origin = /** @type {HTMLElement} */ (event.target);
    const msg = /** @type {HTMLElement | null} */ (origin.closest(".co-msg"));
    if (!msg || msg.parentNode !== this.list || origin.closest("textarea")) return false;
    const messages = /** @type {HTMLElement[]} */ ([...this.list.children]);
    const at = messages.indexOf(msg);
    /** @type {HTMLElement[]} */
    const controls = [msg, ...msg.querySelectorAll(CONTROLS)].filter(visible);
    const inside = controls.indexOf(origin);
    /** @type {Record<string, HTMLElement | undefined>} */
    const moves = {
      ArrowUp: messages[at - 1],
      ArrowDown: messages[at + 1],
      Home: messages[0],
      End: messages[messages.length - 1],
      ArrowRight: controls[inside + 1],
      ArrowLeft: controls[inside - 1],
    };
    const target = moves[event.key];
    if (!target) return false;
    target.focus();
    if (target.classList.contains("co-msg")) target.scrollIntoView({ block: "nearest" });
    return true;
  }
}

/** @param {Element} el @returns {el is HTMLElement} */
function visible(el) {
  return el.getClientRects().length > 0;
}

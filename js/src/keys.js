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
// The conversation is one Tab stop, however long (a roving tabindex): the last focused message
// (the newest by default) has tabindex 0, every other message and every control inside messages
// -1. Up/Down/Home/End move between messages; Left/Right between a message and its controls.

export const SUPPRESS_SHORTCUTS = { "data-lm-suppress-shortcuts": "true" };

// Controls, and the boxes that scroll sideways (code, tables, wide formulas): Chromium makes a
// scroll container without focusable content a Tab stop of its own.
const CONTROLS = "button, a[href], summary, [tabindex], pre, table, .co-math-display";

/** A focusin listener for the widget's root: marks the focused element (see above).
 *  @param {FocusEvent} event */
export function markFocused(event) {
  /** @type {Element} */ (event.target).setAttribute("data-lm-suppress-shortcuts", "true");
}

/** Takes every control inside a rendered message out of the Tab order.
 *  @param {ParentNode} el */
export function demoteControls(el) {
  for (const node of el.querySelectorAll(CONTROLS)) /** @type {HTMLElement} */ (node).tabIndex = -1;
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

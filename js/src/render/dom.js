// Small DOM and text helpers. Everything built here is our own markup: untrusted text only ever
// goes in through textContent (the `text` option), never through innerHTML.

/**
 * @param {string} tag
 * @param {{cls?: string, text?: string, attrs?: Record<string, string>}} [options]
 * @param {(Node | string | null | false | undefined)[]} [children]
 * @returns {HTMLElement}
 */
export function h(tag, { cls, text, attrs } = {}, children = []) {
  const el = document.createElement(tag);
  if (cls) el.className = cls;
  if (text !== undefined) el.textContent = text;
  if (attrs) for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, value);
  for (const child of children) if (child) el.append(child);
  return el;
}

// Stroke icons on a 24-unit grid, drawn for this widget.
/** @type {Record<string, string>} */
const ICONS = {
  copy:
    "M8 8h10a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8a2 2 0 0 1-2-2V10a2 2 0 0 1 2-2z" +
    "M16 8V5a2 2 0 0 0-2-2H5a2 2 0 0 0-2 2v9a2 2 0 0 0 2 2h1",
  check: "M5 12.5l4.5 4.5L19 7.5",
  edit: "M4 20h4L19.5 8.5a2.1 2.1 0 0 0-4-4L4 16v4zM14 6l4 4",
  regenerate: "M20 12a8 8 0 1 1-2.4-5.7M20 4v5h-5",
  send: "M12 19V5M6 11l6-6 6 6",
  stop: "M7 7h10v10H7z",
  clear: "M4 7h16M10 11v6M14 11v6M6 7l1 13h10l1-13M9 7V4h6v3",
  down: "M12 5v14M6 13l6 6 6-6",
  attach: "M4 5h16v14H4zM4 16l5-5 4 4 2-2 5 5M15 9.5h.01",
  remove: "M7 7l10 10M17 7L7 17",
};

/** @param {string} name */
export function icon(name) {
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("class", `co-icon co-icon-${name}`);
  const path = document.createElementNS("http://www.w3.org/2000/svg", "path");
  path.setAttribute("d", ICONS[name]);
  svg.append(path);
  return svg;
}

// A button with an icon and/or a text; the view's one delegated click handler reads `action`.
/**
 * @param {string} action
 * @param {string} label
 * @param {string | null} iconName
 * @param {{text?: string, cls?: string}} [options]
 */
export function button(action, label, iconName, { text, cls } = {}) {
  const el = h("button", {
    cls: `co-btn${cls ? ` ${cls}` : ""}`,
    attrs: { type: "button", "data-co-action": action, "aria-label": label, title: label },
  });
  if (iconName) el.append(icon(iconName));
  if (text) el.append(h("span", { text }));
  return el;
}

// navigator.clipboard needs a secure context and permission; inside some notebook front ends
// (plain http, iframes) it is missing or rejects, so fall back to a selected textarea.
/** @param {string} text @param {HTMLElement} host */
export async function copyText(text, host) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const area = /** @type {HTMLTextAreaElement} */ (
      h("textarea", {
        cls: "co-copy-buffer",
        attrs: { readonly: "", "aria-hidden": "true" },
      })
    );
    area.value = text;
    // Selecting the textarea moves focus; it goes back where it was (the copy button), or the
    // next keys would reach the notebook.
    const previous = /** @type {HTMLElement | null} */ (document.activeElement);
    host.append(area);
    area.select();
    try {
      return document.execCommand("copy");
    } finally {
      area.remove();
      previous?.focus({ preventScroll: true });
    }
  }
}

// Shows a check mark on a copy button for a moment, so the click visibly did something.
/** @param {HTMLElement} btn */
export function flashCopied(btn) {
  btn.classList.add("co-copied");
  btn.replaceChild(icon("check"), /** @type {Node} */ (btn.firstChild));
  setTimeout(() => {
    btn.classList.remove("co-copied");
    btn.replaceChild(icon("copy"), /** @type {Node} */ (btn.firstChild));
  }, 1200);
}

// Controls, and the boxes that scroll sideways (code, tables, wide formulas): Chromium makes a
// scroll container without focusable content a Tab stop of its own.
export const CONTROLS = "button, a[href], summary, [tabindex], pre, table, .co-math-display";

/** Takes every control inside a rendered message out of the Tab order.
 *  @param {ParentNode} el */
export function demoteControls(el) {
  for (const node of el.querySelectorAll(CONTROLS)) /** @type {HTMLElement} */ (node).tabIndex = -1;
}

// A cost in US dollars as the header and a reply's footer show it.
/** @param {number} usd */
export function formatCost(usd) {
  if (usd === 0) return "$0.00";
  return usd < 0.01 ? `$${usd.toPrecision(2)}` : `$${usd.toFixed(2)}`;
}

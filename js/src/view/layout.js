// The widget's fixed markup (header, conversation, notices, composer) and the DOM helpers of the
// view that need no view state: the inline editor of a user message, the composer's height, and
// putting the rendered messages in order.
import { button, h } from "../render/dom.js";
import { SUPPRESS_SHORTCUTS } from "./keys.js";

const MAX_INPUT_PX = 200;

/**
 * @param {import("../render/notices.js").Notices} notices
 * @param {import("./attachments.js").Attachments} attachments
 * @param {import("./header.js").HeaderControls} controls
 */
export function buildLayout(notices, attachments, controls) {
  const title = h("span", { cls: "co-model" });
  const clearBtn = /** @type {HTMLButtonElement} */ (
    button("clear", "Clear conversation", "clear", { text: "Clear", cls: "co-clear" })
  );
  // Not a live region: it would read every token. Notices.live announces each finished reply.
  const list = h("div", {
    cls: "co-list",
    attrs: { role: "region", "aria-label": "Conversation (arrow keys move between messages)" },
  });
  const input = /** @type {HTMLTextAreaElement} */ (
    h("textarea", {
      cls: "co-input",
      attrs: {
        rows: "1",
        "aria-label": "Message",
        "aria-description": "Enter sends, Shift+Enter starts a new line, Esc stops a reply",
      },
    })
  );
  const sendBtn = /** @type {HTMLButtonElement} */ (
    button("send", "Send message", "send", { cls: "co-send" })
  );
  const { tray, pickBtn, picker } = attachments;
  const composer = h("div", { cls: "co-composer" }, [tray, pickBtn, picker, input, sendBtn]);
  attachments.listen(composer, input);
  const root = h("div", { cls: "co-widget", attrs: SUPPRESS_SHORTCUTS }, [
    h("div", { cls: "co-header" }, [
      h("span", { cls: "co-title" }, [
        h("span", { cls: "co-dot", attrs: { "aria-hidden": "true" } }),
        title,
      ]),
      clearBtn,
    ]),
    controls.el,
    controls.notice,
    h("div", { cls: "co-body" }, [
      list,
      button("jump", "Scroll to the latest message", "down", { cls: "co-jump" }),
    ]),
    notices.el,
    composer,
    notices.live,
  ]);
  return { root, title, clearBtn, list, input, sendBtn };
}

/** Opens the inline editor of a user message, with its text.
 *  @param {HTMLElement} msgEl */
export function openEditor(msgEl) {
  const area = /** @type {HTMLTextAreaElement} */ (
    h("textarea", { cls: "co-edit-input", attrs: { rows: "3", "aria-label": "Edit message" } })
  );
  area.value = msgEl.coSource ?? "";
  const editor = h("div", { cls: "co-editor" }, [
    area,
    h("div", { cls: "co-edit-bar" }, [
      button("edit-cancel", "Cancel editing", null, { text: "Cancel" }),
      button("edit-send", "Send edited message", "send", { text: "Send", cls: "co-primary" }),
    ]),
  ]);
  msgEl.classList.add("co-editing");
  msgEl.append(editor);
  fitHeight(area);
  area.focus();
}

/** @param {HTMLElement} msgEl */
export function endEdit(msgEl) {
  msgEl.classList.remove("co-editing");
  msgEl.querySelector(".co-editor")?.remove();
}

/** @param {HTMLTextAreaElement} area */
export function fitHeight(area) {
  area.style.height = "auto";
  area.style.height = `${Math.min(area.scrollHeight, MAX_INPUT_PX)}px`;
}

// Puts `wanted` in order as the children of `parent`, moving only what is out of place.
// Children that are not wanted any more are removed before anything is inserted in front of
// them, so the elements after them stay put: moving an element, even to where it already is,
// makes the browser style and lay out all of it again (for the reply that just ended, whose
// streamed user bubble gives way to the committed one, a whole long reply at once).
/** @param {HTMLElement} parent @param {Node[]} wanted */
export function reconcile(parent, wanted) {
  const keep = new Set(wanted);
  let node = parent.firstChild;
  for (const el of wanted) {
    while (node && !keep.has(node)) {
      const next = node.nextSibling;
      node.remove();
      node = next;
    }
    if (node === el) node = node.nextSibling;
    else parent.insertBefore(el, node);
  }
  while (node) {
    const next = node.nextSibling;
    node.remove();
    node = next;
  }
}

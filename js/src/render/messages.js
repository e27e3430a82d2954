// The list's messages: a user's bubble, and a turn (see turnStart) drawn by turn.js. Called once
// per turn: the list caches the element until the turn itself changes.
import { button, h } from "./dom.js";
import { renderTurn as renderAssistantTurn, splitContent, toolResult } from "./turn.js";

/** @typedef {import("../state/parts.js").ChatMessage} ChatMessage */

/** @param {ChatMessage} message a Cohere v2 user message with its "_co" record */
export function renderUser(message) {
  const { text } = splitContent(message.content);
  const bubble = h("div", { cls: "co-bubble" }, [h("div", { cls: "co-plain", text })]);
  // Our own thumbnails are shown; remote images are links, never fetched.
  const images =
    typeof message.content === "string" || message.content == null
      ? null
      : imageStrip(Array.isArray(message.content) ? message.content : [message.content]);
  if (images) bubble.append(images);
  // The documents sent with this turn (kept in the kernel, resent by regenerate and edit): the
  // trait holds their number; a conversation saved by 0.1.0 holds the documents themselves.
  const attached = /** @type {{documents?: number}} */ (message._co?.attached ?? {});
  const docs = attached.documents ?? message._co?.documents?.length ?? 0;
  const noun = docs === 1 ? "document" : "documents";
  if (docs) bubble.append(h("div", { cls: "co-note", text: `${docs} ${noun} attached` }));
  const actions = h("div", { cls: "co-actions" }, [
    button("edit", "Edit and resend", "edit"),
    button("copy", "Copy message", "copy"),
  ]);
  const el = h("div", { cls: "co-msg co-user" }, [bubble, actions]);
  el.coSource = text;
  return el;
}

// One answer is one bubble. A turn that called tools is several messages: the assistant steps
// that called them, the tools' results, then the answer; they render as one element (turn.js).
// `chat.history` is unchanged: this is rendering only.

// Whether `message` continues the turn of `previous` (the message before it).
/** @param {ChatMessage} message @param {ChatMessage | undefined} previous */
function continuesTurn(message, previous) {
  if (!previous) return false;
  if (message?.role === "tool") return previous.role === "tool" || calledTools(previous);
  return message?.role === "assistant" && (previous.role === "tool" || calledTools(previous));
}

/** @param {ChatMessage} message */
const calledTools = (message) =>
  message?.role === "assistant" &&
  Array.isArray(message.tool_calls) &&
  message.tool_calls.length > 0;

/** The index of the first message of the turn that holds `messages[index]`.
 *  @param {ChatMessage[]} messages @param {number} index */
export function turnStart(messages, index) {
  let start = index;
  while (start > 0 && continuesTurn(messages[start], messages[start - 1])) start--;
  return start;
}

/** Renders `messages` (one turn: see turnStart), the first of which has index `index`.
 *  @param {ChatMessage[]} messages @param {number} index */
export function renderTurn(messages, index) {
  const role = messages.length === 1 ? messages[0]?.role : "assistant";
  /** @type {HTMLElement} */
  let el;
  if (role === "user") el = renderUser(messages[0]);
  else if (role === "assistant") return renderAssistantTurn(messages, index);
  // A tool message alone (a history that starts with one): its result as a row.
  else el = h("div", { cls: "co-msg co-tool" }, [toolResult(messages[0])]);
  el.dataset.index = String(index);
  return el;
}

const OWN_IMAGE = /^data:image\/(?:png|jpeg|gif|webp);base64,[A-Za-z0-9+/=]+$/;

// The images of a user message: our own thumbnails as <img>, remote images as links.
/** @param {any[]} blocks */
export function imageStrip(blocks) {
  const images = blocks.filter((block) => block?.type === "image_url");
  if (!images.length) return null;
  return h(
    "div",
    { cls: "co-images" },
    images.map((block) => {
      const url = String(block.image_url?.url ?? "");
      if (OWN_IMAGE.test(url)) {
        // A button, so a click or Enter opens it larger (lightbox.js).
        const open = button("enlarge", "Enlarge the attached image", null, { cls: "co-thumb-btn" });
        open.append(h("img", { cls: "co-thumb", attrs: { src: url, alt: "attached image" } }));
        return open;
      }
      if (/^https?:\/\//i.test(url)) {
        return h("a", {
          cls: "co-image-link",
          text: url,
          attrs: {
            href: url,
            target: "_blank",
            rel: "noopener noreferrer",
            title: `Image not loaded: ${url}`,
          },
        });
      }
      return h("span", { cls: "co-note", text: "[image]" });
    }),
  );
}

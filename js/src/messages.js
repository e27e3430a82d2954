// Renders one committed Cohere v2 message (plus our `_co` metadata) into a chat bubble. Called
// once per message: the view caches the element until the message itself changes.
import { imageStrip, jsonSource } from "./attachments.js";
import { citeInteractions, renderCitedAnswer } from "./citations.js";
import { button, h } from "./dom.js";
import { formatCost } from "./header.js";
import { renderMarkdown } from "./markdown.js";
import { retrievedChip } from "./retrieved.js";
import { committedCards } from "./tools.js";

// Cohere content is a string or a list of blocks (a single block object is accepted too).
/** @param {any} content */
function blockList(content) {
  return Array.isArray(content) ? content : [content];
}

// The answer and the thinking are kept apart.
/** @param {any} content */
function splitContent(content) {
  if (typeof content === "string") return { text: content, thinking: "" };
  const parts = { text: "", thinking: "" };
  for (const block of blockList(content)) {
    if (block?.type === "text") parts.text += block.text ?? "";
    else if (block?.type === "thinking") parts.thinking += block.thinking ?? "";
  }
  return parts;
}

/** @param {import("./parts.js").ChatMessage} message a Cohere v2 message with its "_co" record @param {number} index */
export function renderMessage(message, index) {
  const role = message?.role;
  const el =
    role === "user"
      ? renderUser(message)
      : role === "assistant"
        ? renderAssistant(message)
        : renderTool(message);
  el.dataset.index = String(index);
  return el;
}

/** @param {any} message */
export function renderUser(message) {
  const { text } = splitContent(message.content);
  const bubble = h("div", { cls: "co-bubble" }, [h("div", { cls: "co-plain", text })]);
  // Our own thumbnails are shown; remote images are links, never fetched.
  const images =
    typeof message.content === "string" ? null : imageStrip(blockList(message.content));
  if (images) bubble.append(images);
  // The documents sent with this turn (kept in the kernel, resent by regenerate and edit): the
  // trait holds their number; a conversation saved by 0.1.0 holds the documents themselves.
  const docs = message._co?.attached?.documents ?? message._co?.documents?.length ?? 0;
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

// `results`: the turn's tool messages by call id, shown under calls that have no card;
// `stepCalls`: the cards of the turn's earlier steps (a stopped answer's marker counts them).
/** @param {any} message @param {Map<string, any>} [results] @param {any[]} [stepCalls] */
function renderAssistant(message, results, stepCalls = []) {
  const { text, thinking } = splitContent(message.content);
  const co = message._co ?? {};
  const bubble = h("div", { cls: "co-bubble" });
  if (thinking) {
    const body = h("div", { cls: "co-thinking-body" }, [renderMarkdown(thinking)]);
    bubble.append(thinkingBlock(body, false));
  }
  if (message.tool_plan) bubble.append(planBlock(message.tool_plan));
  // A reply asked for as JSON (response_format) shows as a highlighted JSON block; a grounded
  // one (documents and response_format do not mix) with its cited spans.
  const cited = co.format === "json" ? null : renderCitedAnswer(message);
  const source = co.format === "json" ? jsonSource(text) : text;
  if (text) bubble.append(h("div", { cls: "co-md" }, [cited?.answer ?? renderMarkdown(source)]));
  // Calls co_widget ran have cards (status, duration, result); others a plain list.
  const cards = committedCards(co);
  if (cards) bubble.append(cards);
  else if (message.tool_calls?.length) bubble.append(toolCalls(message.tool_calls, results));
  if (cited) {
    bubble.append(cited.sources);
    citeInteractions(bubble);
  }
  if (co.status === "stopped" || co.status === "interrupted")
    bubble.append(partialMarker(co.status, bubble.childElementCount === 0, stepCalls));
  if (co.error) bubble.append(errorBanner(co.error));
  // With Chat(corpus=...): what the turn retrieved, first in the bubble.
  if (co.retrieved) bubble.prepend(retrievedChip(co.retrieved));
  if (co.warnings?.length) bubble.append(warningList(co.warnings));
  const el = h("div", { cls: "co-msg co-assistant" }, [bubble, footer(co, Boolean(text))]);
  el.coSource = text;
  if (Array.isArray(co.logprobs)) el.coLogprobs = co.logprobs;
  return el;
}

// One answer is one bubble. A turn that called tools is several messages: the assistant steps
// that called them, the tools' results, then the answer; they render as one element, the steps'
// plans and cards first, then the answer. A result shows in its card (or under its call, for
// calls co_widget did not run), never again as a row of its own. `chat.history` is unchanged:
// this is rendering only.

// Whether `message` continues the turn of `previous` (the message before it).
/** @param {any} message @param {any} previous */
function continuesTurn(message, previous) {
  if (!previous) return false;
  if (message?.role === "tool") return previous.role === "tool" || calledTools(previous);
  return message?.role === "assistant" && (previous.role === "tool" || calledTools(previous));
}

/** @param {any} message */
const calledTools = (message) =>
  message?.role === "assistant" &&
  Array.isArray(message.tool_calls) &&
  message.tool_calls.length > 0;

/** The index of the first message of the turn that holds `messages[index]`.
 *  @param {any[]} messages @param {number} index */
export function turnStart(messages, index) {
  let start = index;
  while (start > 0 && continuesTurn(messages[start], messages[start - 1])) start--;
  return start;
}

/** Renders `messages` (one turn: see turnStart), the first of which has index `index`.
 *  @param {any[]} messages @param {number} index */
export function renderTurn(messages, index) {
  if (messages.length === 1) return renderMessage(messages[0], index);
  const assistants = messages.filter((message) => message?.role === "assistant");
  /** @type {Map<string, any>} tool_call_id -> its tool message */
  const results = new Map();
  for (const message of messages)
    if (message?.role === "tool" && typeof message.tool_call_id === "string")
      results.set(message.tool_call_id, message);
  const shown = new Set(); // tool messages shown in a card or under a call
  for (const message of assistants) {
    for (const card of message._co?.calls ?? []) if (results.has(card.id)) shown.add(card.id);
    if (!message._co?.calls?.length)
      for (const call of message.tool_calls ?? []) if (results.has(call?.id)) shown.add(call.id);
  }
  const last = assistants.at(-1);
  const stepCalls = assistants.flatMap((m) => (m === last ? [] : (m._co?.calls ?? [])));
  const el = last
    ? renderAssistant(last, results, stepCalls)
    : h("div", { cls: "co-msg co-assistant" }, [h("div", { cls: "co-bubble" })]);
  const bubble = /** @type {HTMLElement} */ (el.querySelector(":scope > .co-bubble"));
  // The steps go before the answer's own parts (after what the turn retrieved, which leads).
  const anchor = [...bubble.children].find((child) => !child.matches(".co-retrieved")) ?? null;
  for (const message of messages) {
    if (message === last) continue;
    if (message?.role === "assistant") {
      const step = /** @type {HTMLElement} */ (
        renderAssistant(message, results).querySelector(":scope > .co-bubble")
      );
      for (const child of [...step.children]) bubble.insertBefore(child, anchor);
    } else if (message?.role === "tool" && !shown.has(message.tool_call_id)) {
      bubble.insertBefore(toolResult(message), anchor); // a result no call of this turn asked for
    }
  }
  el.dataset.index = String(index);
  return el;
}

/** @param {any} message */
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
/** @param {any} message @param {string} [label] */
function toolResult(message, label) {
  const id = message.tool_call_id ? ` · ${message.tool_call_id}` : "";
  return h("details", { cls: "co-tool-result" }, [
    h("summary", { text: label ?? `Tool result${id}` }),
    h("pre", {}, [h("code", { text: toolText(message) })]),
  ]);
}

// A tool message alone (a history that starts with one): its result as a row.
/** @param {any} message */
function renderTool(message) {
  return h("div", { cls: "co-msg co-tool" }, [toolResult(message)]);
}

// `body` is the .co-thinking-body element (a streaming one grows in place).
/** @param {HTMLElement} body @param {boolean} streaming */
export function thinkingBlock(body, streaming) {
  return h("details", { cls: "co-thinking" }, [
    h("summary", { text: streaming ? "Thinking…" : "Thinking" }),
    body,
  ]);
}

/** @param {string} text */
export function planBlock(text) {
  return h("div", { cls: "co-plan", text });
}

/** @param {any[]} calls @param {Map<string, any>} [results] */
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
    const result = results?.get(call?.id);
    if (result) box.append(toolResult(result, "Result"));
  }
  return box;
}

// Arguments arrive as a JSON-encoded string; show them compact, or as sent if they are not JSON.
/** @param {any} args */
function jsonArgs(args) {
  try {
    return JSON.stringify(JSON.parse(args));
  } catch {
    return String(args ?? "");
  }
}

// `empty`: nothing of the answer arrived, so there is no partial reply to speak of; but the
// turn may have called tools first (`calls`, whose cards show above): then say how far it got.
/** @param {string} status @param {boolean} empty @param {any[]} calls */
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

/** @param {any} error */
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

/** @param {any[]} warnings */
function warningList(warnings) {
  return h(
    "ul",
    { cls: "co-warnings", attrs: { "aria-label": "Warnings" } },
    warnings.map((warning) => h("li", { text: String(warning) })),
  );
}

// Token counts come from billed_units (what the account is charged), not the raw token counts.
/** @param {any} co @param {boolean} copyable */
function footer(co, copyable) {
  const billed = co.usage?.billed_units ?? {};
  const facts = [];
  if (billed.input_tokens != null) facts.push(`${billed.input_tokens} in`);
  if (billed.output_tokens != null) facts.push(`${billed.output_tokens} out`);
  if (co.usage?.cached_tokens) facts.push(`${co.usage.cached_tokens} cached`);
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

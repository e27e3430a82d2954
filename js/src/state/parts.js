// The parts model, declared once for the front end: what one turn of the `messages` trait is
// made of. co_widget/_parts.py declares the same for the kernel, and tests/test_parts.py compares
// the two (one typedef per Python TypedDict, the same fields, optional fields in [brackets], the
// same types). A span's start16/end16 are UTF-16 code units of its part's text, placed by the
// kernel when the citation arrived: the view uses them as they are.

/** The kinds of parts a turn is made of, in the order the kernel declares them. */
export const PART_KINDS = /** @type {const} */ ([
  "text",
  "thinking",
  "plan",
  "tool_call",
  "json",
  "image",
  "notice",
]);

/** @typedef {object} PlacedSpan
 *  @property {number} start
 *  @property {number} end
 *  @property {number} start16
 *  @property {number} end16
 *  @property {number} citation */

/** @typedef {object} TextPart
 *  @property {"text"} kind
 *  @property {string} text
 *  @property {PlacedSpan[]} spans */

/** @typedef {object} ThinkingPart
 *  @property {"thinking"} kind
 *  @property {string} text
 *  @property {PlacedSpan[]} spans */

/** @typedef {object} PlanPart
 *  @property {"plan"} kind
 *  @property {string} text
 *  @property {PlacedSpan[]} spans */

/** @typedef {object} ToolCallPart
 *  @property {"tool_call"} kind
 *  @property {string} id
 *  @property {string} name
 *  @property {any} arguments
 *  @property {"streaming" | "waiting" | "running" | "done" | "error" | "denied" | "stopped"} status
 *  @property {string | null} result
 *  @property {string | null} error
 *  @property {number | null} duration
 *  @property {number | null} step */

/** @typedef {object} JsonPart
 *  @property {"json"} kind
 *  @property {string} text */

/** @typedef {object} ImagePart
 *  @property {"image"} kind
 *  @property {string} url
 *  @property {string | null} detail */

/** @typedef {object} NoticePart
 *  @property {"notice"} kind
 *  @property {"info" | "warning" | "error"} level
 *  @property {string} text */

/** @typedef {TextPart | ThinkingPart | PlanPart | ToolCallPart | JsonPart | ImagePart | NoticePart} Part */

/** @typedef {object} ToolCard
 *  @property {string} id
 *  @property {string} name
 *  @property {any} arguments
 *  @property {"streaming" | "waiting" | "running" | "done" | "error" | "denied" | "stopped"} status
 *  @property {string | null} [error]
 *  @property {number | null} [duration]
 *  @property {number | null} [elapsed]
 *  @property {string | null} [result]
 *  @property {boolean} [ask] */

/** @typedef {object} CoRecord
 *  @property {"complete" | "stopped" | "interrupted" | "error"} [status]
 *  @property {string | null} [finish_reason]
 *  @property {object | null} [usage]
 *  @property {object | null} [error]
 *  @property {string[]} [warnings]
 *  @property {string} [model]
 *  @property {number | null} [cost]
 *  @property {number} [context]
 *  @property {any[]} [logprobs]
 *  @property {object} [tools]
 *  @property {string} [format]
 *  @property {object} [retrieved]
 *  @property {PlacedSpan[]} [spans]
 *  @property {NoticePart[]} [notices]
 *  @property {boolean} [step]
 *  @property {ToolCard[]} [calls]
 *  @property {object[]} [documents]
 *  @property {object} [attached]
 *  @property {object} [images]
 *  @property {string} [sources] */

/** @typedef {object} ContentBlock
 *  @property {string} [type]
 *  @property {string} [text]
 *  @property {string} [thinking]
 *  @property {object} [image_url]
 *  @property {object} [document] */

/** @typedef {object} ChatMessage
 *  @property {"user" | "assistant" | "tool"} role
 *  @property {string | ContentBlock[]} [content]
 *  @property {string} [tool_plan]
 *  @property {object[]} [tool_calls]
 *  @property {object[]} [citations]
 *  @property {string} [tool_call_id]
 *  @property {CoRecord} [_co] */

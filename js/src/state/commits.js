// The conversation as the kernel changes it. The `messages` trait is never synced whole again
// after the first load: each change arrives as a `commit` of what changed (co_widget/_commits.py),
// which the view applies to its model. All views of one model share it, so the first view to
// see a commit applies it and the others find it applied. A model that missed a commit (a
// dropped message, or no view was open when it came) cannot apply the next one; the view then
// asks for a full snapshot, which carries the whole conversation.

/** @typedef {import("./protocol.js").CommitMsg} CommitMsg */
/** @typedef {import("./protocol.js").SnapshotMsg} SnapshotMsg */
/** @typedef {import("./sync.js").Pending} Pending */
/** @typedef {import("./parts.js").ChatMessage} ChatMessage */
/** The header's traits (session/header.py): the picker's choices, and what the gauges show.
 * @typedef {{name: string, reasoning: boolean, deprecated: boolean}} ModelChoice
 * @typedef {{notice?: string | null, reasoning?: boolean, thinking?: {type: string, token_budget?: number} | null,
 *   cost?: number | null, tokens?: number, context_used?: number, context_length?: number | null}} HeaderState
 */

/**
 * The synced traits of a Chat.
 * @typedef {{model: string, title: string | null, system: string | null, messages: import("./parts.js").ChatMessage[], revision: number, status: "idle" | "streaming", _accepts_images: boolean, _models: ModelChoice[], _header: HeaderState, autosave_error: string | null}} ChatModel
 */
/** @typedef {import("@anywidget/types").AnyModel<ChatModel>} Model */

/** @param {Model} model */
export function revisionOf(model) {
  return model.get("revision") ?? 0;
}

// Applies `msg` to the model; false when it cannot (then ask for a full snapshot). `streamed`:
// what this view received of the reply the commit ends, when it received all of it.
/** @param {Model} model @param {CommitMsg} msg @param {Pending | null} streamed */
export function applyCommit(model, msg, streamed) {
  const revision = revisionOf(model);
  if (revision === msg.revision) return true; // another view of this model applied it
  const messages = model.get("messages") ?? [];
  if (revision !== msg.base_revision || msg.base > messages.length) return false;
  let added = msg.messages;
  if (msg.streamed.length) {
    if (!streamed || !added.length) return false;
    added = [...added.slice(0, -1), filled(added[added.length - 1], msg.streamed, streamed)];
  }
  update(model, [...messages.slice(0, msg.base), ...added], msg.revision);
  return true;
}

// A snapshot's conversation: true when the model is up to date after it.
/** @param {Model} model @param {SnapshotMsg} msg */
export function applySnapshot(model, msg) {
  if (msg.messages) update(model, msg.messages, msg.revision);
  return revisionOf(model) === msg.revision;
}

// The model changes locally: the kernel has it already (and ignores it if it comes back).
/** @param {Model} model @param {ChatMessage[]} messages @param {number} revision */
function update(model, messages, revision) {
  model.set("revision", revision);
  model.set("messages", messages);
}

// The last message of a commit, its parts named in `kinds` put back from the stream.
/** @param {ChatMessage} message @param {string[]} kinds @param {Pending} streamed @returns {ChatMessage} */
function filled(message, kinds, streamed) {
  const out = { ...message };
  for (const kind of kinds) {
    if (kind === "tool_plan") out.tool_plan = streamed.tool_plan;
    else if (kind === "citations") out.citations = streamed.citations;
    else if (kind === "text" || kind === "thinking") {
      const text = streamed[kind];
      out.content =
        typeof out.content === "string"
          ? text
          : (out.content ?? []).map((block) =>
              block?.type === kind ? { ...block, [kind]: text } : block,
            );
    }
  }
  return out;
}

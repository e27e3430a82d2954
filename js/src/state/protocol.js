// The kernel<->browser custom messages, declared once for the front end. co_widget/_protocol.py
// declares the same messages for the kernel, and a test compares the two, so each message is
// one typedef named PascalCase(kind) + "Msg" (a view->kernel message whose kind the kernel also
// sends back with other fields is named "View" + ...), one @property per field, optional
// fields in [brackets]. `tsc --noEmit -p js` checks the code against these types.
//
// Stream messages (begin, delta, commit, end, snapshot) carry `seq`, which the views count to
// find messages the server dropped; all others carry none. A change of the conversation arrives
// as a `commit` of what changed (see commits.js), never as the whole `messages` trait again.

/** The kinds of streamed text a delta can append to, and the partial text of a snapshot. */
export const STREAM_KEYS = /** @type {const} */ (["text", "thinking", "tool_plan"]);

// --- parts of messages ----------------------------------------------------------------------

/** @typedef {import("./parts.js").ChatMessage} ChatMessage */
/** @typedef {import("./parts.js").PlacedSpan} PlacedSpan */

/** @typedef {object} Partial
 *  @property {string} text
 *  @property {string} thinking
 *  @property {string} tool_plan
 *  @property {object[]} citations
 *  @property {PlacedSpan[]} spans */

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

/** @typedef {object} ImageMeta
 *  @property {string} name
 *  @property {string} type */

// --- kernel -> view -------------------------------------------------------------------------

/** @typedef {object} BeginMsg
 *  @property {"begin"} type
 *  @property {number} seq
 *  @property {number} reply
 *  @property {number} base
 *  @property {ChatMessage | null} user */

/** @typedef {object} DeltaMsg
 *  @property {"delta"} type
 *  @property {number} seq
 *  @property {number} reply
 *  @property {string} [text]
 *  @property {string} [thinking]
 *  @property {string} [tool_plan]
 *  @property {object[]} [citations]
 *  @property {PlacedSpan[]} [spans] */

/** @typedef {object} CommitMsg
 *  @property {"commit"} type
 *  @property {number} seq
 *  @property {number | null} reply
 *  @property {number} revision
 *  @property {number} base_revision
 *  @property {number} base
 *  @property {ChatMessage[]} messages
 *  @property {string[]} streamed */

/** @typedef {object} EndMsg
 *  @property {"end"} type
 *  @property {number} seq
 *  @property {number} reply */

/** @typedef {object} ToolMsg
 *  @property {"tool"} type
 *  @property {number} seq
 *  @property {number} reply
 *  @property {ToolCard} call */

/** @typedef {object} SnapshotMsg
 *  @property {"snapshot"} type
 *  @property {number} seq
 *  @property {number | null} reply
 *  @property {number} base
 *  @property {ChatMessage | null} user
 *  @property {Partial} partial
 *  @property {ToolCard[]} calls
 *  @property {number} revision
 *  @property {ChatMessage[]} [messages] */

/** @typedef {object} RejectedMsg
 *  @property {"rejected"} type
 *  @property {string | null} action
 *  @property {string} error */

/** @typedef {object} DroppedMsg
 *  @property {"dropped"} type
 *  @property {"clear" | "edit"} action
 *  @property {number} count
 *  @property {string} token */

/** @typedef {object} AssetMsg
 *  @property {"asset"} type
 *  @property {string} name */

/** @typedef {object} ProgressMsg
 *  @property {"progress"} type
 *  @property {number} done
 *  @property {number} total
 *  @property {number} wait */

/** @typedef {object} RetrievedItem
 *  @property {string} id
 *  @property {number} score
 *  @property {string} label
 *  @property {string} snippet */

/** @typedef {object} RetrievedMsg
 *  @property {"retrieved"} type
 *  @property {number} reply
 *  @property {number} total
 *  @property {string} unit
 *  @property {"embed" | "rerank"} mode
 *  @property {RetrievedItem[]} items */

/** @typedef {object} MapRecent
 *  @property {any} label
 *  @property {string} status
 *  @property {string} text */

/** @typedef {object} MapMsg
 *  @property {"map"} type
 *  @property {string} run
 *  @property {number} total
 *  @property {number} done
 *  @property {number} failed
 *  @property {number} running
 *  @property {number} resumed
 *  @property {number} stopped
 *  @property {number} rate
 *  @property {number | null} eta
 *  @property {number} elapsed
 *  @property {number | null} cost
 *  @property {"running" | "stopping" | "finished" | "stopped"} state
 *  @property {boolean} blocking
 *  @property {MapRecent[]} recent */

// The kernel's answer to a view's hello: a kernel is behind the view, it may take input.
/** @typedef {object} ReadyMsg
 *  @property {"ready"} type */

/** @typedef {BeginMsg | DeltaMsg | CommitMsg | EndMsg | ToolMsg | SnapshotMsg | RejectedMsg | DroppedMsg | AssetMsg | ProgressMsg | RetrievedMsg | MapMsg | ReadyMsg} KernelMsg */

// --- view -> kernel -------------------------------------------------------------------------

/** @typedef {object} SendMsg
 *  @property {"send"} type
 *  @property {string} text
 *  @property {ImageMeta[]} [images] */

/** @typedef {object} StopMsg
 *  @property {"stop"} type */

/** @typedef {object} RegenerateMsg
 *  @property {"regenerate"} type */

/** @typedef {object} EditMsg
 *  @property {"edit"} type
 *  @property {number} index
 *  @property {string} text */

/** @typedef {object} ClearMsg
 *  @property {"clear"} type */

/** @typedef {object} ViewSnapshotMsg
 *  @property {"snapshot"} type
 *  @property {boolean} [full] */

/** @typedef {object} ApproveMsg
 *  @property {"approve"} type
 *  @property {string} call
 *  @property {boolean} approved */

/** @typedef {object} RestoreMsg
 *  @property {"restore"} type
 *  @property {string} token */

/** @typedef {object} ViewAssetMsg
 *  @property {"asset"} type
 *  @property {string} name */

/** @typedef {object} SettingsMsg
 *  @property {"settings"} type
 *  @property {string} [model]
 *  @property {object | null} [thinking] */

/** @typedef {object} MapStopMsg
 *  @property {"map_stop"} type
 *  @property {string} run */

// A view rendered, or its kernel restarted: is a kernel there? (answered with `ready`)
/** @typedef {object} HelloMsg
 *  @property {"hello"} type */

/** @typedef {SendMsg | StopMsg | RegenerateMsg | EditMsg | ClearMsg | ViewSnapshotMsg | ApproveMsg | RestoreMsg | ViewAssetMsg | SettingsMsg | MapStopMsg | HelloMsg} ViewMsg */

export {};

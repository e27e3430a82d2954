// Follows the kernel's reply stream for one view: begin / delta / tool / end / snapshot messages,
// numbered by `seq`. Jupyter Server may drop IOPub messages under load, and a view can open in
// the middle of a reply, so a view that sees a gap (or a delta for a reply it never saw begin)
// asks for a snapshot and ignores deltas until it arrives. No DOM here: the view asks `pending`
// what to show and is told through `onChange("reset" | "append")`.

import { STREAM_KEYS } from "./protocol.js";

/** @typedef {import("./protocol.js").KernelMsg} KernelMsg */
/** @typedef {import("./protocol.js").ToolCard} ToolCard */
/** @typedef {import("./parts.js").PlacedSpan} PlacedSpan */
/** @typedef {{reply: number, base: number, user: import("./parts.js").ChatMessage | null, text: string, thinking: string, tool_plan: string, calls: ToolCard[], citations: object[], spans: PlacedSpan[]}} Pending */

export class ReplySync {
  /**
   * @param {(msg: import("./protocol.js").ViewMsg) => void} send
   * @param {(kind: "reset" | "append") => void} onChange
   */
  constructor(send, onChange) {
    this.send = send;
    this.onChange = onChange;
    /** @type {Pending | null} while a reply streams */
    this.pending = null;
    this.seq = -1;
    this.awaitingSnapshot = false;
  }

  // `full`: with the whole conversation (the model missed a commit, see commits.js).
  requestSnapshot(full = false) {
    if (this.awaitingSnapshot) return;
    this.awaitingSnapshot = true;
    this.send(full ? { type: "snapshot", full } : { type: "snapshot" });
  }

  // What this view received of the reply `msg` ends, if it received all of it.
  /** @param {import("./protocol.js").CommitMsg} msg */
  streamedFor(msg) {
    const pending = this.pending;
    const whole = !this.awaitingSnapshot && msg.seq === this.seq + 1;
    return whole && pending && pending.reply === msg.reply ? pending : null;
  }

  /** @param {KernelMsg} msg */
  handle(msg) {
    switch (msg?.type) {
      case "begin":
        this.seq = msg.seq;
        this.awaitingSnapshot = false;
        this.reset({ reply: msg.reply, base: msg.base, user: msg.user ?? null });
        break;
      case "delta":
      case "tool":
        this.delta(msg);
        break;
      case "commit":
        this.seq = msg.seq;
        break;
      case "end":
        this.seq = msg.seq;
        if (this.pending) this.reset(null);
        break;
      case "snapshot":
        // A snapshot is the whole truth at its seq, whichever view asked for it.
        this.seq = msg.seq;
        this.awaitingSnapshot = false;
        this.reset(
          msg.reply == null
            ? null
            : {
                reply: msg.reply,
                base: msg.base,
                user: msg.user ?? null,
                ...msg.partial,
                calls: msg.calls ?? [],
              },
        );
        break;
      default:
        break;
    }
  }

  /** @param {import("./protocol.js").DeltaMsg | import("./protocol.js").ToolMsg} msg */
  delta(msg) {
    if (this.awaitingSnapshot) return;
    if (!this.pending || msg.reply !== this.pending.reply || msg.seq > this.seq + 1) {
      this.requestSnapshot();
      return;
    }
    if (msg.seq <= this.seq) return; // already contained in a snapshot
    this.seq = msg.seq;
    if (msg.type === "tool") {
      upsertCall(this.pending.calls, msg.call);
    } else {
      for (const key of STREAM_KEYS) if (msg[key]) this.pending[key] += msg[key];
      if (msg.citations?.length)
        this.pending.citations = [...this.pending.citations, ...msg.citations];
      if (msg.spans?.length)
        this.pending.spans = [
          ...this.pending.spans,
          ...paired(msg.spans, this.pending.spans.length),
        ];
    }
    this.onChange("append");
  }

  /** @param {Partial<Pending> & {reply: number, base: number, user: object | null} | null} pending */
  reset(pending) {
    this.pending = pending && {
      ...pending,
      text: pending.text ?? "",
      thinking: pending.thinking ?? "",
      tool_plan: pending.tool_plan ?? "",
      calls: pending.calls ?? [],
      citations: pending.citations ?? [],
      spans: paired(pending.spans ?? [], 0),
    };
    this.onChange("reset");
  }
}

// A tool card replaces the one with the same call id, or joins the end.
/** @param {ToolCard[]} calls @param {ToolCard} card */
function upsertCall(calls, card) {
  const at = calls.findIndex((known) => known.id === card.id);
  if (at === -1) calls.push(card);
  else calls[at] = card;
}

// The kernel places each citation as it arrives and sends its span right after it, so the n-th
// span of a reply is the n-th citation of the reply. A span's `citation` counts within its model
// call, which restarts after each tool step; here it becomes the index in the reply's list.
/** @param {PlacedSpan[]} spans @param {number} first the reply's spans received before them */
function paired(spans, first) {
  return spans.map((span, i) => ({ ...span, citation: first + i }));
}

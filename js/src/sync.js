// Follows the kernel's reply stream for one view: begin / delta / tool / end / snapshot messages,
// numbered by `seq`. Jupyter Server may drop IOPub messages under load, and a view can open in
// the middle of a reply, so a view that sees a gap (or a delta for a reply it never saw begin)
// asks for a snapshot and ignores deltas until it arrives. No DOM here: the view asks `pending`
// what to show and is told through `onChange("reset" | "append")`.

const STREAM_KEYS = ["text", "thinking", "tool_plan"];

export class ReplySync {
  constructor(send, onChange) {
    this.send = send;
    this.onChange = onChange;
    this.pending = null; // {reply, base, user, text, thinking, tool_plan, citations} while streaming
    this.seq = -1;
    this.awaitingSnapshot = false;
  }

  requestSnapshot() {
    if (this.awaitingSnapshot) return;
    this.awaitingSnapshot = true;
    this.send({ type: "snapshot" });
  }

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

  delta(msg) {
    if (this.awaitingSnapshot) return;
    if (!this.pending || msg.reply !== this.pending.reply || msg.seq > this.seq + 1) {
      this.requestSnapshot();
      return;
    }
    if (msg.seq <= this.seq) return; // already contained in a snapshot
    this.seq = msg.seq;
    if (msg.type === "tool") upsertCall(this.pending.calls, msg.call);
    for (const key of STREAM_KEYS) if (msg[key]) this.pending[key] += msg[key];
    if (msg.citations?.length)
      this.pending.citations = [...this.pending.citations, ...msg.citations];
    this.onChange("append");
  }

  reset(pending) {
    this.pending = pending && {
      ...pending,
      text: pending.text ?? "",
      thinking: pending.thinking ?? "",
      tool_plan: pending.tool_plan ?? "",
      calls: pending.calls ?? [],
      citations: pending.citations ?? [],
    };
    this.onChange("reset");
  }
}

// A tool card replaces the one with the same call id, or joins the end.
function upsertCall(calls, card) {
  const at = calls.findIndex((known) => known.id === card.id);
  if (at === -1) calls.push(card);
  else calls[at] = card;
}

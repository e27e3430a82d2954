// What a turn retrieved from the chat's corpus (Chat(corpus=...)): the chip at the top of the
// bubble, "8 of 4,310 rows retrieved", whose list of the chosen chunks (label, rerank score,
// snippet) shows on hover, focus or click; and the bar above the composer while a corpus embeds.
import { button, h } from "./dom.js";
import "./retrieved.css";

const numbers = new Intl.NumberFormat("en-US");

/** @param {{total: number, unit: string, mode?: string, items: import("../state/protocol.js").RetrievedItem[]}} retrieved */
export function retrievedChip(retrieved) {
  const items = retrieved.items ?? [];
  const label = `${numbers.format(items.length)} of ${numbers.format(retrieved.total ?? 0)} ${
    retrieved.unit || "chunks"
  } retrieved`;
  const list = h(
    "ol",
    { cls: "co-retrieved-list", attrs: { "aria-label": "Retrieved sources, best first" } },
    items.map((item) =>
      h("li", { cls: "co-retrieved-item" }, [
        h("span", { cls: "co-retrieved-label", text: item.label || item.id }),
        h("span", {
          cls: "co-retrieved-score",
          text: Number(item.score ?? 0).toFixed(2),
          attrs: { title: "Rerank relevance score" },
        }),
        item.snippet ? h("div", { cls: "co-retrieved-snippet", text: item.snippet }) : null,
      ]),
    ),
  );
  list.hidden = true;
  const chip = h("button", {
    cls: "co-retrieved-chip",
    text: label,
    attrs: { type: "button", "aria-expanded": "false" },
  });
  // Its own listener: the view's click handler only knows data-co-action buttons.
  chip.addEventListener("click", () => {
    const open = chip.getAttribute("aria-expanded") !== "true";
    chip.setAttribute("aria-expanded", String(open));
    list.hidden = !open;
  });
  return h("div", { cls: "co-retrieved" }, [chip, list]);
}

// The embedding bar: shown while a corpus embeds, with Stop (the reply's Stop: what was
// embedded stays cached), and the wait of a rate limit.
export class EmbedProgress {
  constructor() {
    this.bar = h("progress", { cls: "co-progress-bar", attrs: { max: "1", value: "0" } });
    this.text = h("span", { cls: "co-progress-text" });
    this.el = h("div", { cls: "co-progress", attrs: { role: "status" } });
  }

  /** @param {import("../state/protocol.js").ProgressMsg} msg */
  show({ done, total, wait }) {
    if (!total) {
      this.el.replaceChildren();
      return;
    }
    if (!this.el.childElementCount) {
      this.el.append(this.text, this.bar, button("stop", "Stop embedding", null, { text: "Stop" }));
    }
    this.bar.setAttribute("max", String(total));
    this.bar.setAttribute("value", String(done));
    const waiting = wait > 0 ? ` · rate limited: waiting ${Math.ceil(wait)} s` : "";
    this.text.textContent = `Embedding ${numbers.format(done)} of ${numbers.format(total)}${waiting}`;
  }
}

// The progress cards of `chat.map` runs: one per run, updated in place from the kernel's `map`
// messages (a few a second), with a Stop button while the run is going. The kernel's numbers
// are shown as they come: the card computes nothing.
import { button, h } from "./dom.js";

export class MapCards {
  constructor() {
    this.el = h("div", { cls: "co-map-cards" });
    /** @type {Map<string, HTMLElement>} */
    this.cards = new Map();
  }

  /** @param {import("../state/protocol.js").MapMsg} msg */
  update(msg) {
    let card = this.cards.get(msg.run);
    if (!card) {
      card = h("section", { cls: "co-map-card", attrs: { "aria-label": "chat.map progress" } });
      this.cards.set(msg.run, card);
      this.el.append(card);
    }
    const finished = msg.done + msg.failed;
    const bar = h("progress", { attrs: { max: String(msg.total || 1), value: String(finished) } });
    const head = h("div", { cls: "co-map-head" }, [
      h("strong", { text: `map · ${finished}/${msg.total} rows` }),
      h("span", { cls: "co-map-state", text: msg.state }),
    ]);
    if (msg.state === "running" && msg.blocking) {
      // The cell waits for the map: the kernel would read a Stop click only once it is over.
      head.append(h("span", { cls: "co-map-hint", text: "Interrupt the kernel to stop" }));
    } else if (msg.state === "running") {
      const stop = button("map-stop", "Stop this map", null, { text: "Stop", cls: "co-map-stop" });
      stop.dataset.run = msg.run;
      head.append(stop);
    }
    card.replaceChildren(
      head,
      bar,
      h("div", { cls: "co-map-stats", text: stats(msg) }),
      h(
        "ul",
        { cls: "co-map-recent" },
        msg.recent.map((row) =>
          h("li", { cls: `co-map-${row.status}` }, [
            h("span", { cls: "co-map-label", text: `${row.label}` }),
            h("span", { text: row.text }),
          ]),
        ),
      ),
    );
  }
}

/** @param {import("../state/protocol.js").MapMsg} msg */
function stats(msg) {
  const parts = [
    `${msg.done} done`,
    `${msg.failed} failed`,
    `${msg.running} running`,
    `${msg.rate.toFixed(1)} rows/s`,
  ];
  if (msg.resumed) parts.push(`${msg.resumed} from the file`);
  if (msg.eta != null) parts.push(`ETA ${Math.round(msg.eta)} s`);
  if (msg.cost != null) parts.push(`$${msg.cost.toFixed(4)}`);
  if (msg.stopped) parts.push(`${msg.stopped} not run`);
  return parts.join(" · ");
}

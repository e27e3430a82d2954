// The confidence view of a reply sent with logprobs=True: its text as the model streamed it,
// each piece shaded by how unsure the model was, with the probability on hover. A toggle in the
// footer swaps it with the rendered answer; built on first use, from the saved `_co.logprobs`
// ([start, end, logprob] in the text's characters), so a saved notebook shows it too.
import { h } from "./dom.js";

// Pieces below these probabilities are shaded, more strongly below the first.
export const LOW_P = 0.5;
export const MID_P = 0.8;

/** @param {string} text @param {number[][]} spans */
export function confidenceView(text, spans) {
  // Offsets are Python characters (code points); JS strings index UTF-16 units.
  const chars = [...text];
  const el = h("div", { cls: "co-lp", attrs: { "aria-label": "Reply shaded by confidence" } });
  let at = 0;
  for (const [start, end, logprob] of spans) {
    if (start > at) el.append(chars.slice(at, start).join(""));
    const p = Math.exp(logprob);
    const level = p < LOW_P ? " co-lp-low" : p < MID_P ? " co-lp-mid" : "";
    const piece = h("span", { cls: `co-lp-tok${level}`, text: chars.slice(start, end).join("") });
    piece.title = `p = ${(p * 100).toFixed(1)}%`;
    el.append(piece);
    at = Math.max(at, end);
  }
  if (at < chars.length) el.append(chars.slice(at).join(""));
  return el;
}

// The footer's toggle: shows the confidence view instead of the rendered answer, and back.
/** @param {HTMLElement} msgEl @param {HTMLElement} btn */
export function toggleConfidence(msgEl, btn) {
  const on = btn.getAttribute("aria-pressed") !== "true";
  btn.setAttribute("aria-pressed", String(on));
  const bubble = /** @type {HTMLElement} */ (msgEl.querySelector(".co-bubble"));
  let view = /** @type {HTMLElement | null} */ (bubble.querySelector(".co-lp"));
  if (on && !view) {
    view = confidenceView(msgEl.coSource ?? "", msgEl.coLogprobs ?? []);
    bubble.querySelector(".co-md")?.after(view);
  }
  if (view) view.hidden = !on;
  const answer = /** @type {HTMLElement | null} */ (bubble.querySelector(".co-md"));
  if (answer) answer.hidden = on;
}

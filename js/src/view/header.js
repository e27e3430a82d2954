// The header's controls: the model picker, the thinking toggle with its token budget (reasoning
// models only), the chat's running cost and the context gauge, and the notice of a deprecated
// model. The kernel decides what they show (the `_models` and `_header` traits, see
// co_widget/_header.py); a change goes back as a `settings` message and applies from the next
// turn. Disabled in a view with no kernel behind it.
import { formatCost, h } from "../render/dom.js";

// The context gauge turns amber, then red, at these fractions of the model's context.
export const CONTEXT_WARN = 0.75;
export const CONTEXT_FULL = 0.9;
// A rough token count for the composer's text (Cohere's tokenizers average ~4 characters).
const CHARS_PER_TOKEN = 4;

/** @typedef {import("../state/commits.js").ModelChoice} ModelChoice */
/** @typedef {import("../state/commits.js").HeaderState} HeaderState */

export class HeaderControls {
  /** @param {(settings: {model?: string, thinking?: object | null}) => void} onChange */
  constructor(onChange) {
    this.onChange = onChange;
    this.picker = /** @type {HTMLSelectElement} */ (
      h("select", {
        cls: "co-model-picker",
        attrs: { "aria-label": "Model (applies from the next turn)" },
      })
    );
    this.thinking = /** @type {HTMLInputElement} */ (
      h("input", { attrs: { type: "checkbox", "aria-label": "Thinking" } })
    );
    this.budget = /** @type {HTMLInputElement} */ (
      h("input", {
        cls: "co-budget",
        attrs: {
          type: "number",
          min: "1",
          step: "256",
          placeholder: "auto",
          "aria-label": "Thinking token budget (empty: the model's default)",
        },
      })
    );
    this.think = h("span", { cls: "co-think" }, [
      h("label", {}, [this.thinking, h("span", { text: " Thinking" })]),
      this.budget,
    ]);
    this.cost = h("span", { cls: "co-cost" });
    this.bar = h("span", { cls: "co-gauge-bar" });
    this.gaugeText = h("span", { cls: "co-gauge-text" });
    this.gauge = h("span", { cls: "co-gauge", attrs: { role: "meter", "aria-valuemin": "0" } }, [
      h("span", { cls: "co-gauge-track", attrs: { "aria-hidden": "true" } }, [this.bar]),
      this.gaugeText,
    ]);
    this.el = h("span", { cls: "co-controls" }, [this.picker, this.think, this.cost, this.gauge]);
    this.notice = h("div", { cls: "co-model-notice", attrs: { role: "status" } });
    /** @type {HeaderState} */
    this.state = {};
    this.draftChars = 0;
    this.picker.addEventListener("change", () => this.onChange({ model: this.picker.value }));
    this.thinking.addEventListener("change", () => this.sendThinking());
    this.budget.addEventListener("change", () => this.sendThinking());
  }

  sendThinking() {
    const budget = Math.floor(Number(this.budget.value));
    this.onChange({
      thinking: this.thinking.checked
        ? { type: "enabled", ...(budget >= 1 ? { token_budget: budget } : {}) }
        : { type: "disabled" },
    });
  }

  /** @param {ModelChoice[]} models @param {string} current @param {HeaderState} state */
  render(models, current, state) {
    this.state = state ?? {};
    const options = models.map(({ name, deprecated }) =>
      h("option", { text: deprecated ? `${name} (deprecated)` : name, attrs: { value: name } }),
    );
    this.picker.replaceChildren(...options);
    this.picker.value = current;
    const thinking = this.state.thinking;
    this.think.hidden = !this.state.reasoning;
    // Reasoning models think unless told not to.
    this.thinking.checked = thinking?.type !== "disabled";
    this.budget.value = thinking?.token_budget ? String(thinking.token_budget) : "";
    this.budget.disabled = this.picker.disabled || !this.thinking.checked;
    this.notice.textContent = this.state.notice ?? "";
    this.notice.hidden = !this.state.notice;
    const cost = this.state.cost;
    this.cost.textContent =
      cost != null ? formatCost(cost) : `${(this.state.tokens ?? 0).toLocaleString()} tokens`;
    this.cost.title =
      cost != null
        ? "What this chat's replies cost (billed tokens at co_widget.prices)"
        : "No price known for this model: billed tokens only";
    this.renderGauge();
  }

  // The composer's text counts toward the next request too, as an estimate.
  /** @param {number} chars */
  setDraft(chars) {
    this.draftChars = chars;
    this.renderGauge();
  }

  renderGauge() {
    const limit = this.state.context_length;
    const used = (this.state.context_used ?? 0) + Math.ceil(this.draftChars / CHARS_PER_TOKEN);
    this.gauge.hidden = !limit;
    if (!limit) return;
    const fill = used / limit;
    const pct = Math.min(100, Math.round(fill * 100));
    const level = fill >= CONTEXT_FULL ? "full" : fill >= CONTEXT_WARN ? "warn" : "ok";
    this.gauge.className = `co-gauge co-gauge-${level}`;
    this.bar.style.width = `${pct}%`;
    this.gaugeText.textContent = `${level === "ok" ? "" : "⚠ "}${pct}% of ${shortCount(limit)}`;
    const words = `${used.toLocaleString()} of ${limit.toLocaleString()} tokens of context`;
    const advice =
      level === "full"
        ? ": nearly full, the next request may fail; clear or undo turns"
        : level === "warn"
          ? ": filling up"
          : "";
    this.gauge.title = `${words}${advice}`;
    this.gauge.setAttribute("aria-label", `Context used: ${words}${advice}`);
    this.gauge.setAttribute("aria-valuenow", String(pct));
    this.gauge.setAttribute("aria-valuemax", "100");
  }

  /** @param {boolean} off */
  disable(off) {
    this.picker.disabled = off;
    this.thinking.disabled = off;
    this.budget.disabled = off || !this.thinking.checked;
  }
}

/** @param {number} n */
function shortCount(n) {
  return n >= 1000 ? `${Math.round(n / 1000)}K` : String(n);
}

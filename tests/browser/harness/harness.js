// A static page that runs the real bundle against a fake anywidget model, so the browser tests
// and the render benchmark can drive the widget without a kernel. window.harness is the API.
import widget, { renderMarkdown } from "../../../co_widget/static/widget.js";

// The subset of anywidget's model interface the widget uses, plus hooks to play the kernel:
// `set` fires change:<name> like Backbone does, `emit` delivers a custom message. Like a kernel,
// it answers `asset` requests with the module's code from co_widget/static/ (kept out of `sent`,
// in `assets`).
class FakeModel {
  constructor(state) {
    this.state = {
      model: "command-a-03-2025",
      messages: [],
      status: "idle",
      ...state,
    };
    this.listeners = new Map();
    this.sent = [];
    this.assets = [];
    // Like a live kernel, it answers a view's hello with `ready` (kept out of `sent`, counted).
    this.answerHello = true;
    this.hellos = 0;
  }
  get(name) {
    return this.state[name];
  }
  set(name, value) {
    this.state[name] = value;
    this.trigger(`change:${name}`, value);
  }
  on(name, callback) {
    if (!this.listeners.has(name)) this.listeners.set(name, new Set());
    this.listeners.get(name).add(callback);
  }
  off(name, callback) {
    this.listeners.get(name)?.delete(callback);
  }
  send(msg, _callbacks, buffers) {
    if (msg.type === "hello") {
      this.hellos += 1;
      if (this.answerHello) this.emit({ type: "ready" });
      return;
    }
    if (msg.type === "asset") {
      this.assets.push(msg.name);
      fetch(`../../../co_widget/static/${msg.name}.js`)
        .then((response) => response.arrayBuffer())
        .then((code) =>
          this.emit({ type: "asset", name: msg.name }, [new DataView(code)]),
        );
      return;
    }
    const copy = JSON.parse(JSON.stringify(msg));
    // Binary buffers (attached images) are recorded as their sizes in bytes.
    if (buffers?.length)
      copy.buffers = buffers.map((buffer) => buffer.byteLength);
    this.sent.push(copy);
  }
  emit(msg, buffers = []) {
    this.trigger("msg:custom", msg, buffers);
  }
  trigger(name, ...args) {
    for (const callback of [...(this.listeners.get(name) ?? [])])
      callback(...args);
  }
  listenerCount() {
    let count = 0;
    for (const set of this.listeners.values()) count += set.size;
    return count;
  }
}

// JupyterLab's dark theme values (theme-dark-extension), set on <body> like JupyterLab does.
const DARK = {
  "--jp-layout-color0": "#111",
  "--jp-layout-color1": "#212121",
  "--jp-layout-color2": "#424242",
  "--jp-border-color1": "#616161",
  "--jp-border-color2": "#424242",
  "--jp-ui-font-color0": "#fff",
  "--jp-ui-font-color1": "rgba(255,255,255,.87)",
  "--jp-ui-font-color2": "rgba(255,255,255,.54)",
  "--jp-content-font-color1": "#fff",
  "--jp-brand-color1": "#2196f3",
  "--jp-error-color1": "#f44336",
  "--jp-warn-color0": "#f57c00",
  "--jp-content-link-color": "#64b5f6",
  "--jp-cell-editor-background": "#212121",
  "--jp-mirror-editor-keyword-color": "#4caf50",
  "--jp-mirror-editor-string-color": "#ff7070",
  "--jp-mirror-editor-comment-color": "#408080",
  "--jp-mirror-editor-number-color": "#66bb6a",
  "--jp-mirror-editor-def-color": "#1e88e5",
  "--jp-mirror-editor-builtin-color": "#43a047",
  "--jp-mirror-editor-variable-2-color": "#2196f3",
  "--jp-mirror-editor-operator-color": "#d48fff",
  "--jp-mirror-editor-property-color": "#42a5f5",
};

const out = document.getElementById("out");
const views = [];

window.harness = {
  model: null,
  renderMarkdown,
  // A fresh model and one view of it; returns the model. Unless `answer` is false, the view's
  // hello is answered with `ready`; unless `answer` is false or the model is streaming, the
  // kernel's answer to the view's first snapshot request is played (a live
  // kernel) and the request is left out of `sent`.
  setup(state = {}, { answer = true } = {}) {
    while (views.length) this.unmount(0);
    this.model = new FakeModel(state);
    this.model.answerHello = answer;
    this.mount();
    if (answer && this.model.get("status") !== "streaming") {
      this.model.sent = [];
      this.model.emit({
        type: "snapshot",
        seq: -1,
        reply: null,
        base: this.model.get("messages").length,
        user: null,
        partial: { text: "", thinking: "", tool_plan: "" },
        revision: this.model.get("revision") ?? 0,
      });
    }
    return this.model;
  },
  // Another view of the same model (a cell displayed twice).
  mount() {
    const el = document.createElement("div");
    el.className = "view";
    out.append(el);
    views.push({ el, cleanup: widget.render({ model: this.model, el }) });
    return views.length - 1;
  },
  unmount(index) {
    const [view] = views.splice(index, 1);
    view.cleanup();
    view.el.remove();
  },
  theme(name) {
    // The markers JupyterLab puts on <body>: the stylesheet reads --jp-* only under them.
    document.body.dataset.jpThemeName =
      name === "dark" ? "JupyterLab Dark" : "JupyterLab Light";
    document.body.dataset.jpThemeLight = String(name !== "dark");
    for (const [key, value] of Object.entries(DARK)) {
      if (name === "dark") document.body.style.setProperty(key, value);
      else document.body.style.removeProperty(key);
    }
  },
};
window.harness.theme("light");
window.harnessReady = true;

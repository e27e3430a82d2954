// anywidget entry point of co_widget.Chat (bundled to co_widget/static/widget.js).
import "./view/widget.css";
import "./view/shared-copy.css";
import { ChatView } from "./view/view.js";

/** @typedef {import("./view/view.js").ChatModel} ChatModel */

export default {
  /** @param {{model: import("@anywidget/types").AnyModel<ChatModel>, el: HTMLElement}} props */
  render({ model, el }) {
    const view = new ChatView(model, el);
    return () => view.destroy();
  },
};

// The markdown pipeline on its own, for the browser benchmark's naive baseline and the tests.
export { renderMarkdown } from "./render/markdown.js";

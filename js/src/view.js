// One rendered view of a Chat model. Several views of one model (a cell shown twice, a second
// notebook window) each build their own DOM, follow the stream on their own and release all
// their model listeners in destroy().
//
// Rendering is batched: model events only mark what changed, and at most one animation frame
// renders it. Committed messages are rendered once and cached by index (and content); during a
// reply only the streaming bubble changes, and it renders incrementally (stream.js).
import { Attachments } from "./attachments.js";
import { button, copyText, flashCopied, h, icon } from "./dom.js";
import { renderMessage, renderUser } from "./messages.js";
import { StreamingReply } from "./stream.js";
import { ReplySync } from "./sync.js";

// This close to the bottom counts as "at the bottom": auto-scroll resumes.
const STICKY_PX = 32;
// If the status turns idle but no `end` arrived (dropped by the server's rate limit), ask for a
// snapshot after this long instead of showing a stale bubble forever.
const IDLE_RESYNC_MS = 1000;
const MAX_INPUT_PX = 200;
// Rendering budget per frame for committed messages (a frame is 16.7 ms at 60 Hz).
const SLICE_MS = 8;

export class ChatView {
  constructor(model, el) {
    this.model = model;
    this.cache = new Map(); // message index -> {message, key, el}
    this.stream = null; // StreamingReply of the pending reply
    this.streamIndex = -1; // the index its message will have in `messages`
    this.pendingUser = null; // bubble of the pending reply's user message
    this.finishing = null; // {stream, index}: a reply that just ended, until its commit renders
    this.dirty = { list: true, stream: false };
    this.frameId = 0;
    this.stick = true;
    this.busy = false;
    this.resyncTimer = 0;
    this.sync = new ReplySync(
      (msg) => model.send(msg),
      (kind) => this.onReplyChange(kind),
    );
    this.build(el);
    this.listeners = [
      ["change:messages", () => this.invalidate("list")],
      ["change:status", () => this.onStatus()],
      ["change:model", () => this.renderHeader()],
      ["change:_accepts_images", () => this.attachments.enable(this.acceptsImages())],
      ["msg:custom", (msg) => this.sync.handle(msg)],
    ];
    for (const [name, fn] of this.listeners) model.on(name, fn);
    this.renderHeader();
    this.onStatus();
    this.frame();
    // Opened mid-stream: the begin and earlier deltas went by before this view existed.
    if (this.busy) this.sync.requestSnapshot();
  }

  build(el) {
    this.title = h("span", { cls: "co-model" });
    this.clearBtn = button("clear", "Clear conversation", "clear", {
      text: "Clear",
      cls: "co-clear",
    });
    this.list = h("div", {
      cls: "co-list",
      attrs: { role: "log", "aria-live": "polite", "aria-label": "Conversation" },
    });
    this.input = h("textarea", { cls: "co-input", attrs: { rows: "1", "aria-label": "Message" } });
    this.sendBtn = button("send", "Send message", "send", { cls: "co-send" });
    this.attachments = new Attachments();
    const { tray, pickBtn, picker } = this.attachments;
    const composer = h("div", { cls: "co-composer" }, [
      tray,
      pickBtn,
      picker,
      this.input,
      this.sendBtn,
    ]);
    this.attachments.listen(composer, this.input);
    this.attachments.enable(this.acceptsImages());
    this.root = h("div", { cls: "co-widget" }, [
      h("div", { cls: "co-header" }, [
        h("span", { cls: "co-title" }, [
          h("span", { cls: "co-dot", attrs: { "aria-hidden": "true" } }),
          this.title,
        ]),
        this.clearBtn,
      ]),
      h("div", { cls: "co-body" }, [
        this.list,
        button("jump", "Scroll to the latest message", "down", { cls: "co-jump" }),
      ]),
      composer,
    ]);
    this.root.addEventListener("click", (event) => this.onClick(event));
    this.root.addEventListener("keydown", (event) => this.onKeydown(event));
    this.input.addEventListener("input", () => fitHeight(this.input));
    this.list.addEventListener("scroll", () => this.onScroll(), { passive: true });
    // The view may be built before the notebook attaches it; once it gets a size, show the end.
    this.resizeObserver = new ResizeObserver(() => this.followBottom());
    this.resizeObserver.observe(this.list);
    el.append(this.root);
  }

  destroy() {
    for (const [name, fn] of this.listeners) this.model.off(name, fn);
    cancelAnimationFrame(this.frameId);
    clearTimeout(this.resyncTimer);
    this.resizeObserver.disconnect();
    this.attachments.clear();
    this.root.remove();
  }

  acceptsImages() {
    return this.model.get("_accepts_images") !== false;
  }

  renderHeader() {
    const name = this.model.get("model") || "Cohere";
    this.title.textContent = name;
    this.input.placeholder = `Message ${name}… (Shift+Enter for a new line)`;
  }

  onStatus() {
    this.busy = this.model.get("status") === "streaming";
    this.root.classList.toggle("co-busy", this.busy);
    this.clearBtn.disabled = this.busy;
    const [action, label, iconName] = this.busy
      ? ["stop", "Stop generating", "stop"]
      : ["send", "Send message", "send"];
    this.sendBtn.dataset.coAction = action;
    this.sendBtn.setAttribute("aria-label", label);
    this.sendBtn.title = label;
    this.sendBtn.replaceChildren(icon(iconName));
    clearTimeout(this.resyncTimer);
    if (!this.busy && this.sync.pending) {
      this.resyncTimer = setTimeout(() => {
        if (this.sync.pending && !this.busy) this.sync.requestSnapshot();
      }, IDLE_RESYNC_MS);
    }
  }

  onReplyChange(kind) {
    if (kind === "reset") {
      const pending = this.sync.pending;
      this.finishing =
        !pending && this.stream ? { stream: this.stream, index: this.streamIndex } : null;
      this.stream = pending ? new StreamingReply() : null;
      this.streamIndex = pending ? pending.base + (pending.user ? 1 : 0) : -1;
      this.pendingUser = pending?.user ? renderUser(pending.user) : null;
      this.invalidate("list");
    }
    this.invalidate("stream");
  }

  invalidate(part) {
    this.dirty[part] = true;
    if (!this.frameId) this.frameId = requestAnimationFrame(() => this.frame());
  }

  // All DOM writes happen here, once per animation frame. A page that defines
  // window.__coWidgetStats = {frames: []} gets the milliseconds of each frame (benchmarks).
  frame() {
    this.frameId = 0;
    const stats = globalThis.__coWidgetStats;
    const start = stats ? performance.now() : 0;
    if (this.dirty.list) {
      this.dirty.list = false;
      this.renderList();
    }
    if (this.dirty.stream) {
      this.dirty.stream = false;
      this.stream?.flush(this.sync.pending);
    }
    this.followBottom();
    if (stats) stats.frames.push(performance.now() - start);
  }

  renderList() {
    const messages = this.model.get("messages") ?? [];
    const pending = this.sync.pending;
    const shown = pending ? Math.min(pending.base, messages.length) : messages.length;
    // Newest first and within a time slice, so a long conversation appears over a few frames
    // instead of freezing the page while all of it renders; older messages fill in above.
    const deadline = performance.now() + SLICE_MS;
    const wanted = [];
    for (let i = shown - 1; i >= 0; i--) {
      const el = this.messageElement(messages[i], i, deadline);
      if (!el) {
        this.invalidate("list");
        break;
      }
      wanted.push(el);
    }
    wanted.reverse();
    this.finishing = null;
    for (const index of this.cache.keys()) if (index >= messages.length) this.cache.delete(index);
    if (this.pendingUser) wanted.push(this.pendingUser);
    if (this.stream) wanted.push(this.stream.el);
    reconcile(this.list, wanted);
  }

  // A changed `messages` trait arrives as new objects, so identity only says "unchanged" between
  // two changes; the JSON text is the content identity that survives a new commit.
  // Returns null, rendering nothing, when the message is not cached and `deadline` has passed.
  messageElement(message, index, deadline) {
    const hit = this.cache.get(index);
    if (hit?.message === message) return hit.el;
    const key = JSON.stringify(message);
    if (hit?.key === key) {
      hit.message = message;
      return hit.el;
    }
    if (performance.now() > deadline) return null;
    let el = renderMessage(message, index);
    if (this.finishing?.index === index) el = this.finishing.stream.adopt(el);
    this.cache.set(index, { message, key, el });
    return el;
  }

  onScroll() {
    const list = this.list;
    this.stick = list.scrollHeight - list.scrollTop - list.clientHeight <= STICKY_PX;
    this.root.classList.toggle("co-scrolled-up", !this.stick);
  }

  followBottom() {
    if (this.stick) this.list.scrollTop = this.list.scrollHeight;
  }

  onClick(event) {
    const btn = event.target.closest("[data-co-action]");
    if (!btn || btn.disabled) return;
    const msgEl = btn.closest(".co-msg");
    switch (btn.dataset.coAction) {
      case "send":
        this.submit();
        break;
      case "stop":
        this.model.send({ type: "stop" });
        break;
      case "clear":
        this.model.send({ type: "clear" });
        break;
      case "regenerate":
        if (!this.busy) this.model.send({ type: "regenerate" });
        break;
      case "edit":
        this.startEdit(msgEl);
        break;
      case "edit-send":
        this.submitEdit(msgEl);
        break;
      case "edit-cancel":
        endEdit(msgEl);
        break;
      case "copy":
        this.copy(btn, msgEl.coSource);
        break;
      case "copy-code":
        this.copy(btn, btn.closest(".co-code").querySelector("code").textContent);
        break;
      case "approve":
      case "deny":
        // Both buttons go at once: one answer per call (the card's next state replaces them).
        for (const other of btn.parentNode.querySelectorAll("button")) other.disabled = true;
        this.model.send({
          type: "approve",
          call: btn.dataset.callId,
          approved: btn.dataset.coAction === "approve",
        });
        break;
      case "jump":
        this.stick = true;
        this.root.classList.remove("co-scrolled-up");
        this.followBottom();
        break;
      default:
        break;
    }
  }

  onKeydown(event) {
    const inEditor = event.target.classList.contains("co-edit-input");
    if (event.target !== this.input && !inEditor) return;
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      if (inEditor) this.submitEdit(event.target.closest(".co-msg"));
      else this.submit();
    } else if (event.key === "Escape" && (inEditor || this.busy)) {
      event.preventDefault();
      if (inEditor) endEdit(event.target.closest(".co-msg"));
      else this.model.send({ type: "stop" });
    } else if (event.key !== "Enter") {
      return;
    }
    // Keep the notebook's own Enter / Shift+Enter / Esc shortcuts out of the chat input.
    event.stopPropagation();
  }

  async submit() {
    const text = this.input.value;
    const withImages = this.attachments.count > 0;
    if (this.busy || (!text.trim() && !withImages)) return;
    this.input.value = "";
    fitHeight(this.input);
    if (!withImages) {
      this.model.send({ type: "send", text });
      return;
    }
    // The files' bytes ride as binary buffers of the message, not as base64 in its JSON.
    const { meta, buffers } = await this.attachments.take();
    this.model.send({ type: "send", text, images: meta }, undefined, buffers);
  }

  startEdit(msgEl) {
    if (this.busy || msgEl.classList.contains("co-editing")) return;
    const area = h("textarea", {
      cls: "co-edit-input",
      attrs: { rows: "3", "aria-label": "Edit message" },
    });
    area.value = msgEl.coSource;
    const editor = h("div", { cls: "co-editor" }, [
      area,
      h("div", { cls: "co-edit-bar" }, [
        button("edit-cancel", "Cancel editing", null, { text: "Cancel" }),
        button("edit-send", "Send edited message", "send", { text: "Send", cls: "co-primary" }),
      ]),
    ]);
    msgEl.classList.add("co-editing");
    msgEl.append(editor);
    fitHeight(area);
    area.focus();
  }

  submitEdit(msgEl) {
    const text = msgEl.querySelector(".co-edit-input").value;
    if (this.busy || !text.trim()) return;
    this.model.send({ type: "edit", index: Number(msgEl.dataset.index), text });
    endEdit(msgEl);
  }

  async copy(btn, text) {
    if (await copyText(text ?? "", this.root)) flashCopied(btn);
  }
}

function endEdit(msgEl) {
  msgEl.classList.remove("co-editing");
  msgEl.querySelector(".co-editor")?.remove();
}

function fitHeight(area) {
  area.style.height = "auto";
  area.style.height = `${Math.min(area.scrollHeight, MAX_INPUT_PX)}px`;
}

// Puts `wanted` in order as the children of `parent`, moving only what is out of place.
function reconcile(parent, wanted) {
  let node = parent.firstChild;
  for (const el of wanted) {
    if (node === el) node = node.nextSibling;
    else parent.insertBefore(el, node);
  }
  while (node) {
    const next = node.nextSibling;
    node.remove();
    node = next;
  }
}

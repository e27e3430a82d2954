// One rendered view of a Chat model. Several views of one model (a cell shown twice, a second
// notebook window) each build their own DOM, follow the stream on their own and release all
// their model listeners in destroy().
//
// Rendering is batched: model events only mark what changed, and at most one animation frame
// renders it. Committed messages are rendered once and cached by index (and content, list.js);
// during a reply only the streaming bubble changes, and it renders incrementally (turn.js).
import { addAsker, receive } from "../render/assets.js";
import { Attachments } from "./attachments.js";
import { applyCommit, applySnapshot } from "../state/commits.js";
import { copyText, flashCopied, icon } from "../render/dom.js";
import { focusNotebook, isHostChord, markFocused, passHostChords } from "./keys.js";
import { HeaderControls } from "./header.js";
import { buildLayout, endEdit, fitHeight, openEditor } from "./layout.js";
import { MessageList } from "./list.js";
import { openLightbox } from "./lightbox.js";
import { fitPlaceholder } from "./placeholder.js";
import { isWarm, warmUp } from "../render/markdown.js";
import { toggleConfidence } from "../render/logprobs.js";
import { MapCards } from "../render/map-card.js";
import { renderUser } from "../render/messages.js";
import { brokenTextError, isExportedPage, Notices } from "../render/notices.js";
import { EmbedProgress } from "../render/retrieved.js";
import { TurnView } from "../render/turn.js";
import { ReplySync } from "../state/sync.js";

// If the status turns idle but no `end` arrived (dropped by the server's rate limit), ask for a
// snapshot after this long instead of showing a stale bubble forever.
const IDLE_RESYNC_MS = 1000;
// A view asks its kernel for a snapshot when it renders; with no answer in this time, no live
// kernel is behind it (a notebook reopened with its saved widget state). Generous: the kernel
// answers only between cells, and the cell that displayed the chat may still be running.
const OFFLINE_MS = 5000;

/** @typedef {import("../state/commits.js").ChatModel} ChatModel */

export class ChatView {
  /**
   * @param {import("@anywidget/types").AnyModel<ChatModel>} model
   * @param {HTMLElement} el
   */
  constructor(model, el) {
    this.model = model;
    /** @type {TurnView | null} the pending reply's bubble */
    this.stream = null;
    this.streamIndex = -1; // the index its message will have in `messages`
    /** @type {HTMLElement | null} bubble of the pending reply's user message */
    this.pendingUser = null;
    this.dirty = { list: true, stream: false };
    this.frameId = 0;
    this.busy = false;
    this.resyncTimer = 0;
    this.live = false; // a kernel answered this view
    this.offline = false; // no kernel answers: the view shows what it has, and takes nothing
    /** @type {"connecting" | "live" | "saved" | "restarted"} */
    this.connection = "connecting";

    /** @type {string | null} the composer's text last sent, until the kernel takes or rejects it */
    this.sentText = null;
    /** @type {(() => unknown) | null} */
    this.removeAsker = null;
    this.notices = new Notices();
    this.progress = new EmbedProgress(); // while a corpus embeds (Chat(corpus=...))
    this.notices.el.prepend(this.progress.el);
    this.sync = new ReplySync(
      (msg) => this.post(msg),
      (kind) => this.onReplyChange(kind),
    );
    this.attachments = new Attachments();
    this.attachments.onRefused = (text) => this.notices.showError(text);
    this.controls = new HeaderControls((settings) => this.post({ type: "settings", ...settings }));
    const ui = buildLayout(this.notices, this.attachments, this.controls);
    this.attachments.enable(this.acceptsImages());
    this.root = ui.root;
    this.title = ui.title;
    this.clearBtn = ui.clearBtn;
    this.input = ui.input;
    this.sendBtn = ui.sendBtn;
    this.list = new MessageList(ui.list, ui.root, this.notices);
    this.mapCards = new MapCards(); // chat.map progress, above the notices and the composer
    ui.root.insertBefore(this.mapCards.el, this.notices.el);
    // The view may be built before the notebook attaches it; once it gets a size, show the end.
    this.placeholderName = "";
    this.resizeObserver = new ResizeObserver(() => {
      this.list.followBottom();
      fitPlaceholder(this.input, this.placeholderName);
    });
    this.wire(el);
    // Disabled until the kernel answers (see connect): never enabled but dead.
    this.setConnection("connecting");
    /** @type {[any, (...args: any[]) => void][]} */
    this.listeners = [
      ["change:messages", () => this.invalidate("list")],
      ["change:status", () => this.onStatus()],
      ["change:model", () => this.renderHeader()],
      ["change:title", () => this.renderHeader()],
      ["change:_models", () => this.renderHeader()],
      ["change:_header", () => this.renderHeader()],
      ["change:_accepts_images", () => this.attachments.enable(this.acceptsImages())],
      ["change:autosave_error", () => this.notices.showSaveError(model.get("autosave_error"))],
      ["msg:custom", (msg, buffers) => this.onKernelMsg(msg, buffers)],
      // ipywidgets fires it when the kernel restarts: this view's kernel side is gone.
      ["comm_live_update", () => this.connect("restarted")],
    ];
    for (const [name, fn] of this.listeners) model.on(name, fn);
    this.renderHeader();
    this.notices.showSaveError(model.get("autosave_error"));
    this.onStatus();
    // A cold page first warms the markdown pipeline up in a few short tasks of their own (see
    // warmUp), and renders in the frame after; a warm one renders at once.
    if (isWarm()) this.frame();
    else warmUp().then(() => !this.destroyed && this.invalidate("list"));
    // Always ask: a view opened mid-stream missed the begin and earlier deltas, and a view with
    // no kernel behind it finds out by getting no answer.
    this.offlineTimer = 0;
    this.connect("saved");
    this.sync.requestSnapshot();
  }

  // The hello/ready exchange: the view says hello, the kernel answers `ready` (any kernel
  // message will do). Until then the view is disabled; with no answer in OFFLINE_MS it says why.
  // After a kernel restart the view goes offline at once: the chat it showed lives no more.
  /** @param {"saved" | "restarted"} why */
  connect(why) {
    clearTimeout(this.offlineTimer);
    if (why === "restarted") {
      this.live = false;
      this.setConnection("restarted");
    } else {
      const wait = isExportedPage() ? 0 : OFFLINE_MS; // an exported page has no kernel at all
      this.offlineTimer = setTimeout(() => this.setConnection(why), wait);
    }
    this.post({ type: "hello" });
  }

  // Sends to the kernel; a model restored without a kernel may have no channel at all.
  /** @param {import("../state/protocol.js").ViewMsg} msg @param {ArrayBuffer[]} [buffers] */
  post(msg, buffers) {
    try {
      this.model.send(msg, undefined, buffers);
    } catch {
      clearTimeout(this.offlineTimer);
      if (this.connection === "connecting" || this.connection === "live")
        this.setConnection("saved");
    }
  }

  /** @param {import("../state/protocol.js").KernelMsg} msg @param {DataView[]} [buffers] */
  onKernelMsg(msg, buffers) {
    if (!this.live) {
      this.live = true;
      clearTimeout(this.offlineTimer);
      this.setConnection("live");
      this.removeAsker ??= addAsker((name) => this.post({ type: "asset", name }));
    }
    switch (msg?.type) {
      case "ready":
        break;
      case "asset":
        receive(msg.name, buffers?.[0]);
        break;
      case "rejected":
        this.onRejected(msg);
        break;
      case "dropped":
        this.notices.showUndo(msg);
        break;
      case "progress":
        this.progress.show(msg);
        break;
      case "retrieved":
        if (this.sync.pending?.reply === msg.reply && this.stream) {
          this.stream.showRetrieved(msg);
          this.invalidate("stream");
        }
        break;
      case "map":
        this.mapCards.update(msg);
        break;
      default:
        if (msg?.type === "begin") {
          this.sentText = null;
          this.attachments.settle();
        }
        // Before the stream state moves on: a commit's streamed parts come from it.
        if (msg?.type === "commit" && !applyCommit(this.model, msg, this.sync.streamedFor(msg)))
          this.sync.requestSnapshot(true);
        this.sync.handle(msg);
        if (msg?.type === "snapshot" && !applySnapshot(this.model, msg))
          this.sync.requestSnapshot(true);
    }
  }

  /** @param {import("../state/protocol.js").RejectedMsg} msg */
  onRejected({ action, error }) {
    this.notices.showError(error || "The kernel rejected this action.");
    if (action === "send") {
      this.restoreSentText();
      this.attachments.giveBack();
    }
  }

  // Puts the sent text back in an empty composer: a send that did not happen loses nothing.
  restoreSentText() {
    if (this.sentText != null && !this.input.value) {
      this.input.value = this.sentText;
      fitHeight(this.input);
    }
    this.sentText = null;
  }

  // "connecting": not answered yet; "saved": no kernel answered (a notebook reopened with its
  // widget state); "restarted": the kernel restarted under the view. Only "live" takes input;
  // the others hide Edit and Regenerate too (widget.css), and say so in one notice.
  /** @param {"connecting" | "live" | "saved" | "restarted"} state */
  setConnection(state) {
    const offline = state !== "live";
    this.connection = state;
    this.offline = offline;
    this.root.classList.toggle("co-connecting-view", state === "connecting");
    this.root.classList.toggle("co-offline-view", offline && state !== "connecting");
    this.notices.showConnection(state);
    this.input.disabled = offline;
    this.sendBtn.disabled = offline;
    this.controls.disable(offline);
    this.onStatus();
    if (offline) this.restoreSentText();
  }

  /** @param {HTMLElement} el */
  wire(el) {
    this.root.addEventListener("click", (event) => this.onClick(event));
    this.root.addEventListener("keydown", (event) => this.onKeydown(event));
    this.root.addEventListener("focusin", markFocused);
    /** @type {() => void} */
    this.removeChordPass = passHostChords(this.root);
    this.input.addEventListener("input", () => {
      this.notices.clearError();
      fitHeight(this.input);
      this.controls.setDraft(this.input.value.length);
    });
    this.resizeObserver.observe(this.list.el);
    this.resizeObserver.observe(this.input);
    el.append(this.root);
  }

  destroy() {
    for (const [name, fn] of this.listeners) this.model.off(name, fn);
    cancelAnimationFrame(this.frameId);
    clearTimeout(this.resyncTimer);
    clearTimeout(this.offlineTimer);
    this.destroyed = true; // a warm-up still running must not schedule a frame
    clearTimeout(this.moreTimer);
    this.notices.destroy();
    this.removeAsker?.();
    this.removeChordPass();
    this.resizeObserver.disconnect();
    this.attachments.clear();
    this.root.remove();
  }

  acceptsImages() {
    return this.model.get("_accepts_images") !== false;
  }

  renderHeader() {
    const name = this.model.get("model") || "Cohere";
    this.title.textContent = this.model.get("title") || name;
    this.title.title = name;
    // The chat's title or model, if it fits one line; the keys are in the aria-description.
    this.placeholderName = this.model.get("title") || name;
    fitPlaceholder(this.input, this.placeholderName);
    this.controls.render(this.model.get("_models") ?? [], name, this.model.get("_header") ?? {});
  }

  onStatus() {
    this.busy = this.model.get("status") === "streaming";
    this.root.classList.toggle("co-busy", this.busy);
    this.clearBtn.disabled = this.busy || this.offline;
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

  /** @param {"reset" | "append"} kind */
  onReplyChange(kind) {
    if (kind === "reset") {
      const pending = this.sync.pending;
      // A new reply replaces whatever was being edited (an edit's own begin among them).
      const editing = /** @type {NodeListOf<HTMLElement>} */ (
        this.list.el.querySelectorAll(".co-editing")
      );
      for (const msgEl of editing) {
        const hadFocus = msgEl.contains(document.activeElement);
        endEdit(msgEl);
        if (hadFocus) this.input.focus({ preventScroll: true });
      }
      this.list.replyEnded(
        !pending && this.stream ? { turn: this.stream, index: this.streamIndex } : null,
      );
      this.stream = pending ? new TurnView(true) : null;
      this.streamIndex = pending ? pending.base + (pending.user ? 1 : 0) : -1;
      this.pendingUser = pending?.user ? renderUser(pending.user) : null;
      this.invalidate("list");
    }
    this.invalidate("stream");
  }

  /** @param {"list" | "stream"} part */
  invalidate(part) {
    this.dirty[part] = true;
    if (!this.frameId) this.frameId = requestAnimationFrame((time) => this.frame(time));
  }

  // All DOM writes happen here, once per animation frame. A page that defines
  // window.__coWidgetStats = {frames: []} gets the milliseconds of each frame (benchmarks).
  /** @param {number} [time] the animation frame's timestamp (budget.js) */
  frame(time) {
    this.frameId = 0;
    const stats = /** @type {any} */ (globalThis).__coWidgetStats;
    const start = stats ? performance.now() : 0;
    if (this.dirty.list) {
      this.dirty.list = false;
      this.renderList(time);
    }
    if (this.dirty.stream) {
      this.dirty.stream = false;
      if (this.stream && this.sync.pending) this.stream.flush(this.sync.pending);
    }
    this.list.followBottom();
    if (stats) stats.frames.push(performance.now() - start);
  }

  /** @param {number} [time] */
  renderList(time) {
    const messages = this.model.get("messages") ?? [];
    const pending = this.sync.pending;
    const shown = pending ? Math.min(pending.base, messages.length) : messages.length;
    const tail = [this.pendingUser, this.stream?.el].filter((el) => el != null);
    if (this.list.render(messages, shown, tail, time)) return;
    this.invalidate("list");
    // The frame's slice is short; between two frames the page is idle, and one more slice there
    // (a task of its own, laid out with the next frame) brings the whole list about twice as soon.
    clearTimeout(this.moreTimer);
    this.moreTimer = setTimeout(() => !this.destroyed && this.renderList());
  }

  /** @param {MouseEvent} event */
  onClick(event) {
    const target = /** @type {HTMLElement} */ (event.target);
    const btn = /** @type {HTMLButtonElement | null} */ (target.closest("[data-co-action]"));
    if (!btn || btn.disabled) return;
    const msgEl = /** @type {HTMLElement} */ (btn.closest(".co-msg"));
    const action = btn.dataset.coAction;
    switch (action) {
      case "send":
        this.submit();
        break;
      case "stop":
        this.post({ type: "stop" });
        break;
      case "clear":
        this.post({ type: "clear" });
        break;
      case "undo":
        this.post({ type: "restore", token: btn.dataset.token ?? "" });
        this.notices.hideUndo();
        break;
      case "regenerate":
        if (!this.busy) this.post({ type: "regenerate" });
        break;
      case "edit":
        this.startEdit(msgEl);
        return;
      case "edit-send":
        this.submitEdit(msgEl);
        if (msgEl.classList.contains("co-editing")) return;
        break;
      case "edit-cancel":
        endEdit(msgEl);
        msgEl.focus();
        return;
      case "copy":
        this.copy(btn, msgEl.coSource);
        return;
      case "confidence":
        toggleConfidence(msgEl, btn);
        return;
      case "copy-code":
        this.copy(btn, btn.closest(".co-code")?.querySelector("code")?.textContent ?? "");
        return;
      case "approve":
      case "deny":
        // Both buttons go at once: one answer per call (the card's next state replaces them).
        for (const other of btn.parentElement?.querySelectorAll("button") ?? [])
          other.disabled = true;
        this.post({
          type: "approve",
          call: btn.dataset.callId ?? "",
          approved: btn.dataset.coAction === "approve",
        });
        this.focusNextWaiting();
        return;
      case "jump":
        this.list.jump();
        break;
      case "enlarge":
        openLightbox(/** @type {HTMLImageElement} */ (btn.querySelector("img")), this.root);
        return;
      case "map-stop":
        btn.disabled = true;
        this.post({ type: "map_stop", run: btn.dataset.run ?? "" });
        break;
      default:
        return;
    }
    // The clicked button may be about to disappear or be disabled (Send turns into Stop, an
    // editor closes): focus would fall to the page, and the next keys to the notebook.
    this.input.focus({ preventScroll: true });
  }

  // After Approve or Deny: the next card that waits for an answer, or else the composer (the
  // answered card's buttons are about to go, and focus with them to the page).
  focusNextWaiting() {
    const next = /** @type {HTMLElement | null} */ (
      this.root.querySelector(".co-tool-approve:not(:disabled)")
    );
    (next ?? this.input).focus({ preventScroll: true });
  }

  // Every key typed in the widget stays in it (see keys.js), whatever it does here, except the
  // host's own chords (Ctrl/Cmd+S...), which go on to the host.
  /** @param {KeyboardEvent} event */
  onKeydown(event) {
    if (isHostChord(event)) return;
    event.stopPropagation();
    const target = /** @type {HTMLElement} */ (event.target);
    if (target.closest("dialog")) return; // the lightbox: the browser's Esc closes it
    const msgEl = /** @type {HTMLElement} */ (target.closest(".co-msg"));
    const inEditor = target.classList.contains("co-edit-input");
    const inInput = target === this.input;
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing && (inInput || inEditor)) {
      event.preventDefault();
      if (inEditor) this.submitEdit(msgEl);
      else this.submit();
    } else if (event.key === "Escape" && inEditor) {
      event.preventDefault();
      endEdit(msgEl);
      msgEl.focus();
    } else if (event.key === "Escape" && this.busy) {
      event.preventDefault();
      this.post({ type: "stop" });
    } else if (event.key === "Escape" && inInput && !event.isComposing) {
      // Idle: hand the keyboard back to the notebook, in command mode on this cell.
      if (focusNotebook(this.root)) event.preventDefault();
    } else if (this.list.focus.onKeydown(event)) {
      event.preventDefault();
    }
  }

  // Checks the text before it leaves; on a problem, says so next to the composer and keeps it.
  /** @param {string} text */
  checkText(text) {
    // Offline, the notice above the composer already says why (no second, red one).
    if (this.offline) return false;
    const problem = brokenTextError(text);
    if (problem) this.notices.showError(problem);
    return !problem;
  }

  async submit() {
    const text = this.input.value;
    const withImages = this.attachments.count > 0;
    if (this.busy || (!text.trim() && !withImages) || !this.checkText(text)) return;
    this.notices.clearError();
    this.sentText = text;
    this.input.value = "";
    fitHeight(this.input);
    this.controls.setDraft(0);
    if (!withImages) {
      this.post({ type: "send", text });
      return;
    }
    // The files' bytes ride as binary buffers of the message, not as base64 in its JSON.
    const { meta, buffers } = await this.attachments.take();
    this.post({ type: "send", text, images: meta }, buffers);
  }

  /** @param {HTMLElement} msgEl */
  startEdit(msgEl) {
    if (this.busy || msgEl.classList.contains("co-editing")) return;
    openEditor(msgEl);
  }

  // The editor stays open (with its text) until the kernel begins the new reply or rejects it.
  /** @param {HTMLElement} msgEl */
  submitEdit(msgEl) {
    const area = /** @type {HTMLTextAreaElement} */ (msgEl.querySelector(".co-edit-input"));
    const text = area.value;
    if (this.busy || !text.trim() || !this.checkText(text)) return;
    this.notices.clearError();
    this.post({ type: "edit", index: Number(msgEl.dataset.index), text });
  }

  /** @param {HTMLElement} btn @param {string | undefined} text */
  async copy(btn, text) {
    if (await copyText(text ?? "", this.root)) flashCopied(btn);
  }
}

// The conversation list of a view: which message elements it shows, and where it is scrolled.
//
// Committed messages are rendered once and cached by index (and content), newest first within a
// time slice per frame, so a long conversation appears over a few frames instead of freezing the
// page; older messages fill in above. The reply that just ended draws its committed turn in its
// streamed element (turn.js). The list follows the bottom while the user has not
// scrolled up.
import { demoteControls } from "../render/dom.js";
import { RovingFocus } from "./keys.js";
import { frameDeadline } from "../render/budget.js";
import { reconcile } from "./layout.js";
import { renderTurn, turnStart } from "../render/messages.js";

// This close to the bottom counts as "at the bottom": auto-scroll resumes.
const STICKY_PX = 32;

// The rendering budget of a view's first frame (see render).
const FIRST_FRAME_MS = 2;

/** @typedef {import("../render/turn.js").TurnView} TurnView */

export class MessageList {
  /**
   * @param {HTMLElement} list the scrolling element that holds the messages
   * @param {HTMLElement} root the view's root, marked "co-scrolled-up" while not at the bottom
   * @param {import("../render/notices.js").Notices} notices where a finished reply is announced
   */
  constructor(list, root, notices) {
    this.el = list;
    this.root = root;
    this.notices = notices;
    /** @type {Map<number, {turn: import("../state/parts.js").ChatMessage[], el: HTMLElement}>} index of a turn's first message -> render */
    this.cache = new Map();
    /** @type {{turn: TurnView, index: number} | null} a reply that just ended, until its commit renders */
    this.finishing = null;
    this.announceIndex = -1; // the message to announce once rendered: a reply that just ended
    this.stick = true;
    this.renderedInSlice = 0; // messages rendered in the current frame's slice
    this.typicalMs = 1; // a running mean of what rendering one message costs
    this.focus = new RovingFocus(list);
    list.addEventListener("scroll", () => this.onScroll(), { passive: true });
  }

  // A new reply began (`finished` null) or the streamed one ended (its bubble and the index its
  // committed message will have).
  /** @param {{turn: TurnView, index: number} | null} finished */
  replyEnded(finished) {
    this.finishing = finished;
    if (finished) this.announceIndex = finished.index;
  }

  // Shows `messages[0:shown]` followed by `tail` (the pending reply's bubbles). Returns false
  // when the frame's budget (budget.js; `time` is the animation frame's timestamp) ran out
  // before the oldest messages: render again next frame.
  /** @param {import("../state/parts.js").ChatMessage[]} messages @param {number} shown @param {HTMLElement[]} tail @param {number} [time] */
  render(messages, shown, tail, time) {
    // A view's first frame lays out the whole widget (and the notebook around it) for the first
    // time: it renders only the newest messages, and the next frames fill in the rest.
    const first = this.el.childElementCount === 0;
    const deadline = first
      ? Math.min(frameDeadline(time), performance.now() + FIRST_FRAME_MS)
      : frameDeadline(time);
    this.renderedInSlice = 0;
    const wanted = [];
    let complete = true;
    // Newest first, a turn at a time: a turn that called tools is one element (messages.js).
    for (let end = shown; end > 0;) {
      const start = turnStart(messages, end - 1);
      const el = this.turnElement(messages.slice(start, end), start, deadline);
      if (!el) {
        complete = false;
        break;
      }
      wanted.push(el);
      end = start;
    }
    wanted.reverse();
    this.finishing = null;
    for (const index of this.cache.keys()) if (index >= messages.length) this.cache.delete(index);
    reconcile(this.el, [...wanted, ...tail]);
    this.focus.update();
    this.announceFinished();
    return complete;
  }

  // Once per reply, when its committed message is in the list: never per token.
  announceFinished() {
    const el = this.cache.get(this.announceIndex)?.el;
    if (!el?.isConnected) return;
    this.announceIndex = -1;
    const error = el.querySelector(".co-error")?.textContent;
    const text = el.querySelector(".co-bubble")?.textContent.trim() ?? "";
    this.notices.announce(error ? `Reply failed. ${error}` : `Reply: ${text}`);
  }

  // A commit keeps the objects of the messages it does not change, so identity says
  // "unchanged"; a full snapshot brings new objects, whose JSON text is then compared (only
  // then: a long list renders without encoding every message). A turn is cached by the index of
  // its first message.
  // Returns null, rendering nothing, when the turn is not cached and `deadline` has passed.
  /** @param {import("../state/parts.js").ChatMessage[]} turn @param {number} index @param {number} deadline */
  turnElement(turn, index, deadline) {
    const hit = this.cache.get(index);
    if (hit && sameTurn(hit.turn, turn)) {
      hit.turn = turn;
      return hit.el;
    }
    // A turn is started only if one of typical cost still fits the slice (a message with
    // code, tables and math costs several ms): the frame stays short. One per frame at least.
    const start = performance.now();
    if (this.renderedInSlice && start + this.typicalMs > deadline) return null;
    // The reply that just ended draws its committed turn in its own element (turn.js).
    const live = this.finishing?.index === index ? this.finishing.turn : null;
    const el = live ? live.commit(turn, index) : renderTurn(turn, index);
    demoteControls(el);
    this.cache.set(index, { turn, el });
    this.renderedInSlice++;
    this.typicalMs += (performance.now() - start - this.typicalMs) / 4;
    return el;
  }

  onScroll() {
    const list = this.el;
    this.stick = list.scrollHeight - list.scrollTop - list.clientHeight <= STICKY_PX;
    this.root.classList.toggle("co-scrolled-up", !this.stick);
  }

  followBottom() {
    if (this.stick) this.el.scrollTop = this.el.scrollHeight;
  }

  // The "jump to the latest" button: back to the bottom, and following it again.
  jump() {
    this.stick = true;
    this.root.classList.remove("co-scrolled-up");
    this.followBottom();
  }
}

/** @param {import("../state/parts.js").ChatMessage[]} cached @param {import("../state/parts.js").ChatMessage[]} turn */
function sameTurn(cached, turn) {
  if (cached.length !== turn.length) return false;
  if (cached.every((message, i) => message === turn[i])) return true;
  return JSON.stringify(cached) === JSON.stringify(turn);
}

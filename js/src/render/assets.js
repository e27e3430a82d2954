// Parts of the front end that most chats never need (the math renderer, the code highlighter)
// are not in the base bundle, which every chat sends and every saved notebook stores. A view asks
// its kernel for one with an `asset {name}` message; the kernel answers with an `asset` message
// whose one binary buffer is the module's code (from co_widget/static/), and the module is
// imported from a blob: URL. Nothing is ever fetched from the network. Modules are shared by
// every view on the page and asked for once per page, of the first view with a live kernel.

import { frameDeadline } from "./budget.js";

/** @typedef {"katex" | "highlight"} AssetName */

/** @type {Set<(name: string) => void>} functions that send an asset request to a live kernel */
const askers = new Set();
/** @type {Set<(name: string) => void>} called with the name of each module that arrives */
const listeners = new Set();

/** @typedef {{asked: boolean, arriving: boolean, module: any}} Entry */

/** @type {Map<string, Entry>} */
const entries = new Map();

/** @param {string} name */
function entry(name) {
  let found = entries.get(name);
  if (!found) {
    found = { asked: false, arriving: false, module: null };
    entries.set(name, found);
  }
  return found;
}

/** The module if it is already here; otherwise null, and a kernel is asked for it once.
 *  @param {AssetName} name
 *  @returns {any} */
export function loaded(name) {
  const found = entry(name);
  if (!found.module && !found.asked) {
    const ask = askers.values().next().value;
    if (ask) {
      found.asked = true;
      ask(name);
    }
  }
  return found.module;
}

/** Registers a view's way to ask its kernel; returns the function that unregisters it.
 *  @param {(name: string) => void} ask */
export function addAsker(ask) {
  askers.add(ask);
  // Modules wanted before any kernel answered (the first render of a view comes before its
  // kernel's first message) are asked now.
  for (const [name, found] of entries) {
    if (!found.module && !found.asked) {
      found.asked = true;
      ask(name);
    }
  }
  return () => askers.delete(ask);
}

/** Calls `fn(name)` whenever a module arrives; returns the function that stops it.
 *  @param {(name: string) => void} fn */
export function onLoaded(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** Handles the kernel's `asset` answer: imports the code in `buffer` as an ES module.
 *  @param {string} name
 *  @param {ArrayBuffer | ArrayBufferView | undefined} buffer */
export async function receive(name, buffer) {
  const found = entry(name);
  // Every view of a chat gets the answer; the first to see it imports the module.
  if (found.module || found.arriving || !buffer) return;
  found.arriving = true;
  const url = URL.createObjectURL(
    new Blob([/** @type {BlobPart} */ (buffer)], { type: "text/javascript" }),
  );
  try {
    found.module = await import(/* webpackIgnore: true */ url);
  } finally {
    URL.revokeObjectURL(url);
    found.arriving = false;
  }
  for (const fn of listeners) fn(name);
}

/**
 * Calls `fn` on each of `items` (which it empties), within the frame budget shared with the
 * list (budget.js), starting at the next animation frame: a module arriving for hundreds of
 * waiting blocks must not make a long task, nor add to the task that evaluated the module.
 * @template T
 * @param {Set<T> | Map<any, any>} items
 * @param {(item: any) => void} fn
 */
export function drain(items, fn) {
  const queue = [...items];
  items.clear();
  let next = 0;
  /** @param {number} time */
  const step = (time) => {
    const deadline = frameDeadline(time);
    while (next < queue.length && performance.now() < deadline) fn(queue[next++]);
    if (next < queue.length) requestAnimationFrame(step);
  };
  if (queue.length) requestAnimationFrame(step);
}

// One rendering budget per animation frame, shared by everything that renders in slices: the
// list's committed messages (list.js) and the blocks that wait for an on-demand module (math.js,
// syntax.js through assets.js drain). Each used to take its own 6 ms, so a frame in which KaTeX's
// formulas, highlight.js's blocks and the list all had work ran three slices back to back, and
// then laid out what they added: a 20+ ms task.
//
// The slice adapts: style, layout and paint of what a slice added come after it in the same task
// and cost from half as much again (plain paragraphs) to twice as much (MathML, a first layout).
// Each frame that used the budget is timed to its end (a message posted from inside the frame
// runs after its paint), and the next slices scale so that a frame stays near TARGET_MS, under
// the 16.7 ms of a frame at 60 Hz with room for the rest of the page.
const TARGET_MS = 8;
const MIN_SLICE_MS = 1.5;
const MAX_SLICE_MS = 5;

let slice = 3; // ms of rendering per frame, adapted
let frameTime = NaN; // the animation frame the current deadline belongs to
let deadline = 0;
let frameStart = 0;

const after = new MessageChannel();
after.port1.onmessage = () => {
  const cost = performance.now() - frameStart;
  const next = (slice * TARGET_MS) / Math.max(cost, 1);
  slice = Math.min(MAX_SLICE_MS, Math.max(MIN_SLICE_MS, (slice + next) / 2));
};

// The deadline of the frame whose requestAnimationFrame timestamp is `time` (every callback of
// one frame gets the same timestamp). A caller outside a frame (a task between frames) passes
// nothing and gets a slice of its own. A page that sets window.__coWidgetNaive renders without
// slices (the benchmark's baseline, open_view.py).
/** @param {number} [time] */
export function frameDeadline(time) {
  if (/** @type {any} */ (globalThis).__coWidgetNaive) return Infinity;
  if (time === undefined || time !== frameTime) {
    frameTime = time ?? NaN;
    frameStart = performance.now();
    deadline = frameStart + slice;
    if (time !== undefined) after.port2.postMessage(null);
  }
  return deadline;
}

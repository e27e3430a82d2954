import assert from "node:assert/strict";
import { test } from "node:test";
import { ReplySync } from "../src/state/sync.js";

function setup() {
  const sent = [];
  const changes = [];
  const sync = new ReplySync(
    (msg) => sent.push(msg),
    (kind) => changes.push(kind),
  );
  return { sync, sent, changes };
}

const user = { role: "user", content: "hi" };

test("begin and deltas build the pending reply", () => {
  const { sync, sent, changes } = setup();
  sync.handle({ type: "begin", seq: 0, reply: "r", base: 2, user });
  sync.handle({ type: "delta", seq: 1, reply: "r", text: "Hel" });
  sync.handle({ type: "delta", seq: 2, reply: "r", text: "lo", thinking: "hm" });
  assert.deepEqual(sync.pending, {
    reply: "r",
    base: 2,
    user,
    text: "Hello",
    thinking: "hm",
    tool_plan: "",
    calls: [],
    citations: [],
    spans: [],
  });
  assert.deepEqual(changes, ["reset", "append", "append"]);
  assert.deepEqual(sent, []);
});

test("a seq gap asks for one snapshot and ignores deltas until it comes", () => {
  const { sync, sent } = setup();
  sync.handle({ type: "begin", seq: 0, reply: "r", base: 0, user });
  sync.handle({ type: "delta", seq: 1, reply: "r", text: "a" });
  sync.handle({ type: "delta", seq: 3, reply: "r", text: "c" });
  sync.handle({ type: "delta", seq: 4, reply: "r", text: "d" });
  assert.deepEqual(sent, [{ type: "snapshot" }]);
  assert.equal(sync.pending.text, "a");
  sync.handle({
    type: "snapshot",
    seq: 4,
    reply: "r",
    base: 0,
    user,
    partial: { text: "abcd", thinking: "", tool_plan: "" },
  });
  sync.handle({ type: "delta", seq: 5, reply: "r", text: "e" });
  assert.equal(sync.pending.text, "abcde");
  assert.equal(sent.length, 1);
});

test("a delta for an unknown reply asks for a snapshot", () => {
  const { sync, sent } = setup();
  sync.handle({ type: "delta", seq: 7, reply: "x", text: "late" });
  assert.deepEqual(sent, [{ type: "snapshot" }]);
  assert.equal(sync.pending, null);
});

test("a snapshot with no reply clears the pending bubble", () => {
  const { sync } = setup();
  sync.handle({ type: "begin", seq: 0, reply: "r", base: 0, user });
  sync.requestSnapshot();
  sync.handle({ type: "snapshot", seq: 3, reply: null, base: 1, user: null, partial: null });
  assert.equal(sync.pending, null);
  assert.equal(sync.awaitingSnapshot, false);
});

test("end drops the pending reply", () => {
  const { sync, changes } = setup();
  sync.handle({ type: "begin", seq: 0, reply: "r", base: 0, user: null });
  sync.handle({ type: "end", seq: 1, reply: "r" });
  assert.equal(sync.pending, null);
  assert.deepEqual(changes, ["reset", "reset"]);
});

test("stale deltas already inside a snapshot are skipped", () => {
  const { sync, sent } = setup();
  sync.handle({
    type: "snapshot",
    seq: 5,
    reply: "r",
    base: 0,
    user,
    partial: { text: "abc", thinking: "", tool_plan: "" },
  });
  sync.handle({ type: "delta", seq: 5, reply: "r", text: "c" });
  assert.equal(sync.pending.text, "abc");
  assert.deepEqual(sent, []);
});

test("tool messages are numbered like deltas and replace a call's card", () => {
  const { sync, sent } = setup();
  sync.handle({ type: "begin", seq: 0, reply: "r", base: 0, user });
  sync.handle({ type: "tool", seq: 1, reply: "r", call: { id: "a", status: "streaming" } });
  sync.handle({ type: "tool", seq: 2, reply: "r", call: { id: "b", status: "waiting" } });
  sync.handle({ type: "tool", seq: 3, reply: "r", call: { id: "a", status: "running" } });
  assert.deepEqual(sync.pending.calls, [
    { id: "a", status: "running" },
    { id: "b", status: "waiting" },
  ]);
  // A gap before a card asks for a snapshot, whose calls replace the cards.
  sync.handle({ type: "tool", seq: 5, reply: "r", call: { id: "a", status: "done" } });
  assert.deepEqual(sent, [{ type: "snapshot" }]);
  sync.handle({
    type: "snapshot",
    seq: 6,
    reply: "r",
    base: 0,
    user,
    partial: { text: "", thinking: "", tool_plan: "Plan" },
    calls: [{ id: "a", status: "done" }],
  });
  assert.deepEqual(sync.pending.calls, [{ id: "a", status: "done" }]);
  assert.equal(sync.pending.tool_plan, "Plan");
});

test("citations arrive in deltas and snapshots, appended in order", () => {
  const { sync } = setup();
  const cite = (n) => ({ start: n, end: n + 1, text: "x", sources: [] });
  sync.handle({ type: "begin", seq: 0, reply: "r", base: 0, user });
  sync.handle({ type: "delta", seq: 1, reply: "r", text: "abc", citations: [cite(0)] });
  sync.handle({ type: "delta", seq: 2, reply: "r", citations: [cite(1), cite(2)] });
  assert.deepEqual(sync.pending.citations, [cite(0), cite(1), cite(2)]);
  sync.handle({
    type: "snapshot",
    seq: 3,
    reply: "r",
    base: 0,
    user,
    partial: { text: "abc", thinking: "", tool_plan: "", citations: [cite(0)] },
  });
  sync.handle({ type: "delta", seq: 4, reply: "r", citations: [cite(2)] });
  assert.deepEqual(sync.pending.citations, [cite(0), cite(2)]);
});

test("the kernel's placed spans are kept, each paired with the citation it follows", () => {
  const { sync } = setup();
  const span = (start16) => ({ start: start16, end: start16 + 2, start16, end16: start16 + 2 });
  sync.handle({ type: "begin", seq: 0, reply: "r", base: 0, user });
  // A plan's citation, then (after the tool step, whose model call counts from 0 again) one of
  // the answer: both arrive with `citation: 0`.
  const deltas = [
    { tool_plan: "Look up.", citations: [{ type: "PLAN" }], spans: [{ ...span(0), citation: 0 }] },
    {
      text: "Hi there",
      citations: [{ type: "TEXT_CONTENT" }],
      spans: [{ ...span(3), citation: 0 }],
    },
  ];
  deltas.forEach((delta, i) => sync.handle({ type: "delta", seq: i + 1, reply: "r", ...delta }));
  const paired = sync.pending.spans.map((s) => [s.start16, s.citation]);
  assert.deepEqual(paired, [
    [0, 0],
    [3, 1],
  ]);
});

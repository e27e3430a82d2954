import assert from "node:assert/strict";
import { test } from "node:test";
import { BlockSplitter, visibleCode } from "../src/render/blocks.js";

// Feeds `src` in pieces of `step` characters and records where the stable prefix ends each time.
function stableOffsets(src, step = 1) {
  const splitter = new BlockSplitter();
  const offsets = [];
  for (let end = step; end < src.length + step; end += step) {
    offsets.push(splitter.advance(src.slice(0, Math.min(end, src.length))));
  }
  return { splitter, offsets };
}

test("a blank line followed by an unindented line is a boundary", () => {
  const src = "one\ntwo\n\nthree\n";
  const { splitter } = stableOffsets(src);
  assert.equal(splitter.stable, src.indexOf("three"));
});

test("the stable offset only grows", () => {
  const src = "# Title\n\npara one\n\n- a\n- b\n\n```py\nx = 1\n\ny = 2\n```\n\nend\n";
  const { offsets } = stableOffsets(src, 3);
  for (let i = 1; i < offsets.length; i++) assert.ok(offsets[i] >= offsets[i - 1]);
});

test("an indented line after a blank line continues the block", () => {
  const src = "- item\n\n  more of the item\n";
  const { splitter } = stableOffsets(src);
  assert.equal(splitter.stable, 0);
});

test("blank lines inside a fence are no boundaries, the closing fence is", () => {
  const src = "intro\n```python\na = 1\n\nb = 2\n```\nafter\n";
  const splitter = new BlockSplitter();
  splitter.advance(src.slice(0, src.indexOf("b = 2")));
  assert.equal(splitter.stable, src.indexOf("```python"));
  assert.equal(splitter.openFence.lang, "python");
  assert.equal(splitter.openFence.contentStart, src.indexOf("a = 1"));
  splitter.advance(src);
  assert.equal(splitter.stable, src.indexOf("after"));
  assert.equal(splitter.openFence, null);
});

test("a shorter or different fence does not close the block", () => {
  const src = "````md\n```\n~~~~\n````\n";
  const splitter = new BlockSplitter();
  splitter.advance(src.slice(0, src.indexOf("````\n", 4)));
  assert.notEqual(splitter.openFence, null);
  splitter.advance(src);
  assert.equal(splitter.openFence, null);
  assert.equal(splitter.stable, src.length);
});

test("an indented fence is tracked but is no boundary", () => {
  const src = "1. step\n\n   ```\n   code\n\n   more\n   ```\n";
  const { splitter } = stableOffsets(src);
  assert.equal(splitter.stable, 0);
  assert.equal(splitter.openFence, null);
});

test("a line is only judged once it is complete", () => {
  const splitter = new BlockSplitter();
  assert.equal(splitter.advance("para\n\nnext"), 0);
  assert.equal(splitter.advance("para\n\nnext line\n"), 6);
});

test("visibleCode holds back a closing fence that is still arriving", () => {
  const fence = { char: "`" };
  assert.equal(visibleCode("a = 1\n``", fence), "a = 1\n");
  assert.equal(visibleCode("a = 1\nb", fence), "a = 1\nb");
  assert.equal(visibleCode("a = 1\n~~", fence), "a = 1\n~~");
});

test("the items of a loose list stay one block, as a whole-document render makes one list", () => {
  const src = "Intro.\n\n1. first\n\n2. second\n\n- other\n\nEnd.\n";
  const { splitter } = stableOffsets(src);
  assert.equal(splitter.stable, src.indexOf("End."));
  const early = new BlockSplitter();
  early.advance(src.slice(0, src.indexOf("- other")));
  assert.equal(early.stable, src.indexOf("1. first")); // "2. second" joined the list's block
});

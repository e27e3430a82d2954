import assert from "node:assert/strict";
import { test } from "node:test";
import { codePointIndex, codePointLength, markSource } from "../src/render/cite-spans.js";

// Marks shown as ⟨k and k⟩ so the expectations read like the source.
function shown(marked) {
  return marked.replace(/[\ue000-\uefff]/g, (c) => {
    const code = c.charCodeAt(0);
    return code < 0xe800 ? `⟨${code - 0xe000}` : `${code - 0xe800}⟩`;
  });
}

test("code-point offsets become UTF-16 indexes past astral characters", () => {
  const text = "🥤 Coca-Cola 𝒞 was invented in 1886";
  const at = codePointIndex(text);
  const start = [...text].indexOf("C"); // code points, as Cohere counts
  assert.equal(text.slice(at(start), at(start + 9)), "Coca-Cola");
  const year = [...text].join("").length - 4;
  assert.equal(codePointLength(text), [...text].length);
  assert.equal(text.slice(at(codePointLength(text) - 4)), "1886");
  assert.notEqual(year, codePointLength(text) - 4); // the two counts differ here
});

test("BMP text, CJK and combining marks count the same in both units", () => {
  const text = "東京は日本の首都です。e\u0301tait";
  const at = codePointIndex(text);
  assert.equal(codePointLength(text), text.length);
  assert.equal(at(5), 5);
});

test("marks go around the span, off emphasis delimiters", () => {
  const src = "The **big** dog and _small_ cat";
  const spans = [
    { start: 4, end: 11 }, // "**big**"
    { start: 20, end: 27 }, // "_small_"
  ];
  assert.equal(shown(markSource(src, spans)), "The **⟨0big0⟩** dog and _⟨1small1⟩_ cat");
});

test("a span across bold keeps its marks in the text", () => {
  const src = "a **bold** word";
  assert.equal(shown(markSource(src, [{ start: 4, end: 15 }])), "a **⟨0bold** word0⟩");
});

test("marks skip list bullets and headings at a line start, and never start a line", () => {
  const src = "- item one\n# Title here";
  assert.equal(shown(markSource(src, [{ start: 0, end: 11 }])), "- ⟨0item one0⟩\n# Title here");
  assert.equal(shown(markSource(src, [{ start: 11, end: 23 }])), "- item one\n# ⟨0Title here0⟩");
});

test("a span inside a code fence gets no marks; one around it keeps its marks outside", () => {
  const src = "Run:\n```py\nprint(1)\n```\ndone";
  const inside = src.indexOf("print");
  assert.equal(markSource(src, [{ start: inside, end: inside + 8 }]), src);
  const around = shown(markSource(src, [{ start: 0, end: src.length }]));
  assert.equal(around, "⟨0Run:\n```py\nprint(1)\n```\ndone0⟩");
});

test("marks stay out of link targets", () => {
  const src = "see [the docs](https://x.io/a) now";
  const end = src.indexOf("/a") + 1;
  assert.equal(
    shown(markSource(src, [{ start: 4, end }])),
    "see ⟨0[the docs0⟩](https://x.io/a) now",
  );
});

test("text holding private-use characters is left alone", () => {
  assert.equal(markSource("icon \ue001 here", [{ start: 0, end: 4 }]), null);
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { formatCost } from "../src/render/dom.js";

test("costs keep two significant digits below a cent, cents above", () => {
  assert.equal(formatCost(0), "$0.00");
  assert.equal(formatCost(0.0000375), "$0.000037");
  assert.equal(formatCost(0.00926), "$0.0093");
  assert.equal(formatCost(1.234), "$1.23");
});

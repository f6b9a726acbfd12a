/** streamingSplit's assignment of whole blocks: round robin, or by locality hints with balance kept. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { BlockAssigner } from "../src/split-assign.js";

test("without hints: round robin", () => {
  const a = new BlockAssigner(3, undefined);
  assert.deepEqual(["x", "y", undefined, "x", "x"].map((n) => a.assign(n)), [0, 1, 2, 0, 1]);
});

test("with hints: a block goes to its node's split while that split is at most one block ahead", () => {
  const a = new BlockAssigner(3, ["a", "b", "c"]);
  assert.deepEqual(["b", "c", "a", "a"].map((n) => a.assign(n)), [1, 2, 0, 0]);
  // Every block from node b: split 1 runs one ahead at most, the others take the rest in turn.
  const b = new BlockAssigner(3, ["a", "b", "c"]);
  const splits = Array.from({ length: 10 }, () => b.assign("b"));
  assert.deepEqual(splits, [1, 1, 0, 2, 1, 0, 2, 1, 0, 2]);
  // A node with no split, or none known: the split with fewest blocks.
  const c = new BlockAssigner(2, ["a", "a"]);
  assert.deepEqual(["z", undefined, "a", "a"].map((n) => c.assign(n)), [0, 1, 0, 1]);
});

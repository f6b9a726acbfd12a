import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { checkpointAt } from "../src/checkpoint.js";
import { CheckpointManager, type RegisteredCheckpoint, type RetentionPolicy } from "../src/checkpoint-manager.js";

function entry(index: number, metrics: Record<string, unknown>): RegisteredCheckpoint {
  return { checkpoint: checkpointAt(`/runs/r/checkpoint_00000${index}`), metrics, index, reportIndex: index };
}

/** Registers one checkpoint per score; returns the indexes dropped at each step. */
function run(policy: RetentionPolicy, scores: (number | undefined)[]): { manager: CheckpointManager; dropped: number[][] } {
  const manager = new CheckpointManager(policy);
  const dropped = scores.map((score, i) => manager.register(entry(i, score === undefined ? {} : { score })).map((c) => c.index));
  return { manager, dropped };
}

describe("CheckpointManager", () => {
  test("no numToKeep: everything kept; without a score the latest ranks first", () => {
    const { manager, dropped } = run({ numToKeep: undefined, scoreAttribute: undefined, scoreOrder: "max" }, [5, 1, 3]);
    assert.deepEqual(dropped, [[], [], []]);
    assert.deepEqual(manager.ranked().map((c) => c.index), [2, 1, 0]);
    assert.equal(manager.latest()?.index, 2);
  });

  test("numToKeep without a score: the latest k", () => {
    const { manager, dropped } = run({ numToKeep: 2, scoreAttribute: undefined, scoreOrder: "max" }, [5, 1, 3, 4]);
    assert.deepEqual(dropped, [[], [], [0], [1]]);
    assert.deepEqual(manager.reported().map((c) => c.metrics["score"]), [3, 4]);
  });

  test("min: the lowest scores stay, best first; the latest stays too until a newer one comes", () => {
    const { manager, dropped } = run({ numToKeep: 2, scoreAttribute: "score", scoreOrder: "min" }, [0.5, 0.2, 0.9, 0.1, 0.3]);
    assert.deepEqual(dropped, [[], [], [], [0, 2], []], "0.9 stayed while it was the latest");
    assert.deepEqual(manager.ranked().map((c) => c.metrics["score"]), [0.1, 0.2, 0.3]);
    assert.deepEqual(manager.reported().map((c) => c.metrics["score"]), [0.2, 0.1, 0.3], "report order");
    assert.equal(manager.latest()?.index, 4);
  });

  test("max: the highest scores stay; a tie ranks the later first; a missing score ranks last", () => {
    const { manager } = run({ numToKeep: 3, scoreAttribute: "score", scoreOrder: "max" }, [2, undefined, 7, 7, 1]);
    assert.deepEqual(manager.ranked().map((c) => c.index), [3, 2, 0, 4]);
    const { manager: m2 } = run({ numToKeep: 2, scoreAttribute: "score", scoreOrder: "max" }, [undefined, 1, undefined]);
    assert.deepEqual(m2.ranked().map((c) => c.index), [1, 2], "the unscored latest is kept, last");
  });

  test("numToKeep 1: only the best, and the latest", () => {
    const { manager, dropped } = run({ numToKeep: 1, scoreAttribute: "score", scoreOrder: "max" }, [1, 9, 3, 4]);
    assert.deepEqual(dropped, [[], [0], [], [2]]);
    assert.deepEqual(manager.ranked().map((c) => c.index), [1, 3]);
    assert.ok(manager.keeps(checkpointAt("/runs/r/checkpoint_000001")));
    assert.ok(!manager.keeps(checkpointAt("/runs/r/checkpoint_000002")));
  });
});

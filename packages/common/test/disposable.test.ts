import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type Disposable, closeAll, isDisposable } from "../src/index.js";

function resource(log: string[], name: string, fail = false): Disposable {
  return {
    close: async () => {
      await Promise.resolve();
      log.push(name);
      if (fail) throw new Error(`${name} failed`);
    },
  };
}

describe("disposable", () => {
  test("isDisposable", () => {
    assert.equal(isDisposable({ close: async () => {} }), true);
    assert.equal(isDisposable({ close: 1 }), false);
    assert.equal(isDisposable(null), false);
    assert.equal(isDisposable("close"), false);
  });

  test("closeAll closes in reverse order and skips undefined", async () => {
    const log: string[] = [];
    await closeAll([resource(log, "a"), undefined, resource(log, "b"), resource(log, "c")]);
    assert.deepEqual(log, ["c", "b", "a"]);
  });

  test("closeAll closes everything even when some fail", async () => {
    const log: string[] = [];
    await assert.rejects(closeAll([resource(log, "a"), resource(log, "b", true)]), /^Error: b failed$/);
    assert.deepEqual(log, ["b", "a"]);

    const log2: string[] = [];
    await assert.rejects(
      closeAll([resource(log2, "a", true), resource(log2, "b", true), resource(log2, "c")]),
      (e: unknown) => e instanceof AggregateError && e.errors.length === 2,
    );
    assert.deepEqual(log2, ["c", "b", "a"]);
  });
});

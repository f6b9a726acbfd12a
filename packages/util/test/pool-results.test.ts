/** How a Pool's map call reads its chunks' results: all, in order, as they come; failures named by item. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TaskError } from "@lux/core";
import { ChunkResults, chunksOf } from "../src/pool-results.js";

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const v of it) out.push(v);
  return out;
}

describe("chunksOf", () => {
  it("cuts items into runs with their start", () => {
    assert.deepEqual(chunksOf([1, 2, 3, 4, 5], 2), [
      { start: 0, items: [1, 2] },
      { start: 2, items: [3, 4] },
      { start: 4, items: [5] },
    ]);
    assert.deepEqual(chunksOf([], 3), []);
  });
});

describe("ChunkResults", () => {
  const names = { fn: "square", initializer: "setup" };

  it("all() gives values in input order whatever order chunks arrive in", async () => {
    const r = new ChunkResults(3, names);
    const all = r.all();
    r.settle(2, { values: [5] });
    r.settle(0, { values: [1, 2] });
    r.settle(1, { values: [3, 4] });
    assert.deepEqual(await all, [1, 2, 3, 4, 5]);
  });

  it("ordered() waits for each chunk in turn; unordered() yields as they arrive", async () => {
    const ordered = new ChunkResults(2, names);
    const unordered = new ChunkResults(2, names);
    const o = collect(ordered.ordered());
    const u = collect(unordered.unordered());
    for (const r of [ordered, unordered]) {
      r.settle(1, { values: ["b"] });
      r.settle(0, { values: ["a"] });
    }
    assert.deepEqual(await o, ["a", "b"]);
    assert.deepEqual(await u, ["b", "a"]);
  });

  it("a failed item becomes a TaskError naming the function and the item's index; the initializer's failure names it", async () => {
    const r = new ChunkResults(2, names);
    const all = r.all();
    r.settle(1, { failure: { index: 7, error: new RangeError("boom"), taskId: "t1" } });
    await assert.rejects(all, (e: unknown) => {
      assert.ok(e instanceof TaskError);
      assert.equal(e.message, "task square on item 7 (id t1) failed: RangeError: boom");
      return true;
    });
    const init = new ChunkResults(1, names);
    init.settle(0, { failure: { index: -1, error: new Error("no db"), taskId: "t2" } });
    await assert.rejects(init.all(), /setup \(the pool's initializer\) \(id t2\) failed: Error: no db/);
    const died = new ChunkResults(1, names);
    const cause = new TypeError("actor died");
    died.settle(0, { error: cause });
    await assert.rejects(collect(died.ordered()), (e: unknown) => e === cause);
  });
});

/**
 * lux.ship before lux.init (a library such as @lux/data builds its lazy plan, functions
 * shipped, at import time): the value is exported when first used in a task's arguments,
 * with its module's scope; used without a cluster it fails with NotInitializedError. And a
 * @lux/data pipeline built before init runs after it.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import * as lux from "lux";
import * as data from "@lux/data";
import { addOffset, applyShipped } from "./fixtures/ship-defs.js";
import { doubled } from "./fixtures/data-defs.js";

// Before any cluster: the shipped value and the plan are made, nothing travels yet.
const shipped = lux.ship(addOffset);
const pipeline = data.range(10, { parallelism: 2 }).mapBatches(doubled);

after(async () => {
  await lux.shutdown();
});

test("a value shipped before init names its function; using it needs a cluster", () => {
  assert.equal(shipped.name, "addOffset");
  assert.throws(() => shipped.functionId, lux.NotInitializedError);
});

test("after init, it runs in a task with its module's top-level declarations, and a pipeline built before init runs", async () => {
  await lux.init({ numCpus: 2 });
  assert.equal(await lux.get(applyShipped.remote(shipped, 1)), 101);
  assert.deepEqual(shipped, lux.ship(addOffset), "the same value as shipping it now");
  const rows = await pipeline.takeAll();
  assert.deepEqual(rows.map((r) => r.id).sort((a, b) => a - b), [0, 2, 4, 6, 8, 10, 12, 14, 16, 18]);
});

/**
 * @lux/data's memory bound (issue 18, point 10): 2 GiB of Arrow data through a 512 MiB
 * object store with a slow consumer finishes with stats()' peak within the budget (50% of the
 * store), no ObjectStoreFullError, and a flat driver heap.
 */
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { runInNewContext } from "node:vm";
import { setFlagsFromString } from "node:v8";
import { after, before, test } from "node:test";
import * as lux from "lux";
import * as data from "@lux/data";
import { BLOCK_VALUES, bigBlock } from "./fixtures/data-memory-defs.js";

const STORE = 512 * 1024 * 1024;
const BLOCKS = 32; // of 64 MiB: 2 GiB

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

before(async () => {
  await lux.init({ numCpus: 2, objectStoreMemory: STORE });
  data.DataContext.getCurrent().enableProgressBars = false;
});

after(async () => {
  await lux.shutdown();
});

function heapMiB(): number {
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
}

test("2 GiB through a 512 MiB store, slow consumer: peak within the budget, no store full, flat heap", { timeout: 120_000 }, async () => {
  const ds = data.range(BLOCKS, { parallelism: BLOCKS }).mapBatches(bigBlock);
  let rows = 0;
  let blocks = 0;
  const heap: number[] = [];
  for await (const batch of ds.iterBatches({ batchSize: null })) {
    rows += batch.x.length;
    blocks++;
    assert.equal(batch.x[batch.x.length - 1], batch.x[0], "the block's values");
    if (blocks === 4 || blocks === BLOCKS - 2) heap.push(heapMiB());
    // A slow consumer: the reads must wait for it, not fill the store.
    await sleep(60);
  }
  assert.equal(blocks, BLOCKS);
  assert.equal(rows, BLOCKS * BLOCK_VALUES);
  const stats = ds.stats();
  assert.ok(stats.peakStoreBytes <= STORE / 2, `peak ${stats.peakStoreBytes} over the budget ${STORE / 2}`);
  assert.ok(stats.peakStoreBytes >= 64 * 2 ** 20, "blocks were held");
  const [early, late] = heap as [number, number];
  assert.ok(late - early < 32, `the driver's heap grew from ${early.toFixed(1)} MiB to ${late.toFixed(1)} MiB`);
});

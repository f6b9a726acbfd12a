/**
 * streamingSplit and DataIterator (issue 18, point 7): a coordinator actor hands out blocks to
 * n readers; equal splits drop the remainder, else whole blocks; iterators travel to actors;
 * each epoch is a new execution; two readers of one split, or more readers than splits, is an
 * error at once and not a hang; a split nobody reads fails its readers at the barrier's timeout.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import * as lux from "lux";
import * as data from "@lux/data";
import { SplitReaderActor } from "./fixtures/data-defs.js";

before(async () => {
  await lux.init({ numCpus: 4 });
  data.DataContext.getCurrent().enableProgressBars = false;
});

after(async () => {
  await lux.shutdown();
});

async function countOf(it: data.DataIterator<{ id: number }>): Promise<number> {
  let n = 0;
  for await (const b of it.iterBatches({ batchSize: 100 })) n += b.id.length;
  return n;
}

test("range(1000), 10 blocks, into 3: equal gives [333, 333, 333], whole blocks [300, 300, 400]", async () => {
  const ds = data.range(1000, { parallelism: 10 });
  const equal = await Promise.all(ds.streamingSplit(3, { equal: true }).map(countOf));
  assert.deepEqual(equal, [333, 333, 333]);
  const whole = await Promise.all(ds.streamingSplit(3).map(countOf));
  assert.deepEqual([...whole].sort(), [300, 300, 400]);
});

test("localityHints: the split on the node that made the blocks gets them first (one block ahead at most)", async () => {
  const node = lux.getRuntimeContext().nodeId;
  const ds = data.range(1000, { parallelism: 10 });
  const counts = await Promise.all(ds.streamingSplit(3, { localityHints: ["elsewhere", node, "nowhere"] }).map(countOf));
  assert.deepEqual(counts, [300, 400, 300]);
});

test("every row once across the splits; iterators travel to actors; a second epoch is a new execution", async () => {
  const splits = data.range(500, { parallelism: 5 }).streamingSplit(2);
  const seen: number[] = [];
  await Promise.all(
    splits.map(async (it) => {
      for await (const r of it.iterRows()) seen.push(r.id);
    }),
  );
  assert.deepEqual(seen.sort((a, b) => a - b), Array.from({ length: 500 }, (_, i) => i));
  const readers = [SplitReaderActor.remote(), SplitReaderActor.remote()];
  const counts = await lux.get(readers.map((r, i) => r.countRows.remote(splits[i] as never)));
  assert.equal(counts.reduce((s, x) => s + x, 0), 500, "epoch 2, read by actors");
});

test("two readers of one split at once is an error, at once", async () => {
  const [only] = data.range(100, { parallelism: 4 }).streamingSplit(1);
  const it = only as data.DataIterator<{ id: number }>;
  const first = it.iterBatches({ batchSize: 10 });
  await first.next();
  await assert.rejects(countOf(it), (e: unknown) => e instanceof data.DataIteratorError && e.split === 0 && /another reader/.test(e.message));
  await first.return(undefined);
  assert.equal(await countOf(it), 100, "the split reads again once its reader is done");
});

test("more readers than splits (two given split 0, none split 1) fails every reader at once, naming the split nobody reads", async () => {
  // The barrier's timeout stays at its default (10 minutes): the errors must not wait for it.
  const started = Date.now();
  const [a] = data.range(100, { parallelism: 4 }).streamingSplit(2);
  const it = a as data.DataIterator<{ id: number }>;
  const first = countOf(it);
  first.catch(() => undefined);
  await assert.rejects(countOf(it), (e: unknown) => e instanceof data.DataIteratorError && e.split === 0 && /another reader/.test(e.message));
  await assert.rejects(first, (e: unknown) => {
    assert.ok(e instanceof data.DataIteratorError, String(e));
    assert.equal(e.split, 0);
    assert.match(e.message, /a second reader asked for split 0 while split 1 had no reader for epoch 0/);
    return true;
  });
  assert.ok(Date.now() - started < 60_000, `failed after ${Date.now() - started} ms`);
});

test("a split nobody reads: its barrier fails after splitBarrierTimeoutMs, naming it", async () => {
  const ctx = data.DataContext.getCurrent();
  ctx.splitBarrierTimeoutMs = 1_000;
  try {
    const [a] = data.range(100, { parallelism: 4 }).streamingSplit(2);
    await assert.rejects(countOf(a as data.DataIterator<{ id: number }>), (e: unknown) => {
      assert.ok(e instanceof data.DataIteratorError, String(e));
      assert.match(e.message, /epoch 0 of split 1, which no reader started/);
      return true;
    });
  } finally {
    ctx.splitBarrierTimeoutMs = 600_000;
  }
});

/**
 * streamingSplit and DataIterator (issue 18, point 7): a coordinator actor hands out blocks to
 * n readers; equal splits drop the remainder, else whole blocks; iterators travel to actors;
 * each epoch is a new execution; two readers of one split, or more readers than splits, is an
 * error and not a hang.
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

test("two readers of one split at once is an error; so is waiting for splits nobody reads (more readers than splits)", async () => {
  const [only] = data.range(100, { parallelism: 4 }).streamingSplit(1);
  const it = only as data.DataIterator<{ id: number }>;
  const first = it.iterBatches({ batchSize: 10 });
  await first.next();
  await assert.rejects(countOf(it), (e: unknown) => e instanceof data.DataIteratorError && e.split === 0 && /another reader/.test(e.message));
  await first.return(undefined);
  // Two readers for two splits, but both given split 0 one after the other: the second waits
  // for split 1's epoch, which nobody starts; past the barrier's timeout it fails, naming it.
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

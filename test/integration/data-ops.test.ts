/**
 * @lux/data's all-to-all operators as map/reduce over blocks (issue 18, points 3 and 5: sort,
 * randomShuffle, repartition, groupBy with aggregate/shorthands/mapGroups) and class UDFs on
 * an actor pool (point 4: constructor once per actor, concurrency n or [min, max]).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import * as lux from "lux";
import * as data from "@lux/data";
import { Scale, SlowIdentity, groupSum, keyed } from "./fixtures/data-defs.js";

before(async () => {
  await lux.init({ numCpus: 4 });
  data.DataContext.getCurrent().enableProgressBars = false;
});

after(async () => {
  await lux.shutdown();
});

const upTo = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

describe("all-to-all", () => {
  test("sort ascending and descending, across blocks; explain shows the barrier", async () => {
    const shuffled = data.range(500, { parallelism: 5 }).randomShuffle({ seed: 3 });
    const sorted = shuffled.sort("id");
    assert.equal(sorted.explain(), "ReadRange\nRandomShuffle\nSort(id)");
    assert.deepEqual((await sorted.takeAll()).map((r) => r.id), upTo(500));
    assert.deepEqual((await shuffled.sort("id", { descending: true }).take(3)).map((r) => r.id), [499, 498, 497]);
  });

  test("randomShuffle: every row once, in another order; the same seed gives the same order", async () => {
    const a = (await data.range(300, { parallelism: 3 }).randomShuffle({ seed: 11 }).takeAll()).map((r) => r.id);
    assert.deepEqual([...a].sort((x, y) => x - y), upTo(300));
    assert.notDeepEqual(a, upTo(300));
    const ctx = data.DataContext.getCurrent();
    ctx.preserveOrder = true;
    try {
      const b = (await data.range(300, { parallelism: 3 }).randomShuffle({ seed: 11 }).takeAll()).map((r) => r.id);
      const c = (await data.range(300, { parallelism: 3 }).randomShuffle({ seed: 11 }).takeAll()).map((r) => r.id);
      assert.deepEqual(b, c);
    } finally {
      ctx.preserveOrder = false;
    }
  });

  test("repartition: n blocks, equal cuts in order, or shuffled", async () => {
    const even = await data.range(100, { parallelism: 3 }).repartition(4).materialize();
    assert.equal(even.numBlocks(), 4);
    assert.equal(await even.count(), 100);
    const sizes: number[] = [];
    for await (const b of even.iterBatches({ batchSize: null })) sizes.push(b.id.length);
    assert.deepEqual(sizes.sort(), [25, 25, 25, 25]);
    const shuffled = await data.range(100, { parallelism: 3 }).repartition(2, { shuffle: true }).materialize();
    assert.equal(shuffled.numBlocks(), 2);
    assert.deepEqual((await shuffled.takeAll()).map((r) => r.id).sort((x, y) => x - y), upTo(100));
  });

  test("groupBy().aggregate: count, sum, min, max, mean, std (sample), unique; output columns named as pinned", async () => {
    const rows = upTo(30).map((i) => ({ k: i % 3, v: i, tag: i % 2 === 0 ? "even" : "odd" }));
    const ds = data.fromItems(rows, { parallelism: 4 });
    const out = await ds
      .groupBy("k")
      .aggregate(data.count(), data.sum("v"), data.min("v"), data.max("v"), data.mean("v"), data.std("v"), data.unique("tag"))
      .takeAll();
    out.sort((a, b) => (a["k"] as number) - (b["k"] as number));
    assert.deepEqual(Object.keys(out[0] ?? {}), ["k", "count()", "sum(v)", "min(v)", "max(v)", "mean(v)", "std(v)", "unique(tag)"]);
    for (const [k, row] of out.entries()) {
      const vs = rows.filter((r) => r.k === k).map((r) => r.v);
      const mean = vs.reduce((s, x) => s + x, 0) / vs.length;
      const std = Math.sqrt(vs.reduce((s, x) => s + (x - mean) ** 2, 0) / (vs.length - 1));
      assert.equal(row["count()"], 10);
      assert.equal(row["sum(v)"], vs.reduce((s, x) => s + x, 0));
      assert.equal(row["min(v)"], Math.min(...vs));
      assert.equal(row["max(v)"], Math.max(...vs));
      assert.ok(Math.abs((row["mean(v)"] as number) - mean) < 1e-9);
      assert.ok(Math.abs((row["std(v)"] as number) - std) < 1e-9);
      assert.deepEqual([...(row["unique(tag)"] as string[])].sort(), ["even", "odd"]);
    }
  });

  test("shorthands, several keys, a whole-dataset aggregate, and mapGroups", async () => {
    const ds = data.range(60, { parallelism: 3 }).map(keyed);
    const sums = (await ds.groupBy("k").sum("v").takeAll()).sort((a, b) => a.k - b.k);
    assert.deepEqual(sums, [0, 1, 2].map((k) => ({ k, "sum(v)": upTo(60).filter((i) => i % 3 === k).reduce((s, x) => s + x, 0) })));
    const counts = await ds.groupBy(["k", "id"]).count().count();
    assert.equal(counts, 60);
    assert.deepEqual(await ds.aggregate(data.count(), data.max("v")).takeAll(), [{ "count()": 60, "max(v)": 59 }]);
    const totals = (await ds.groupBy("k").mapGroups(groupSum).takeAll()).sort((a, b) => a.k - b.k);
    assert.deepEqual(totals, sums.map((s) => ({ k: s.k, total: s["sum(v)"] })));
  });
});

describe("class UDFs on an actor pool", () => {
  test("the constructor runs once per actor, with fnConstructorArgs; at most `concurrency` actors", async () => {
    const ds = data.range(200, { parallelism: 10 }).mapBatches(Scale, { concurrency: 2, fnConstructorArgs: [3], batchSize: 10 });
    assert.equal(ds.explain(), "ReadRange\nMapBatches(Scale)");
    const rows = await ds.takeAll();
    assert.deepEqual(rows.map((r) => r.id).sort((a, b) => a - b), upTo(200));
    assert.ok(rows.every((r) => r.scaled === r.id * 3));
    assert.ok(rows.every((r) => r.instance === 1), "each actor built its instance once");
    const pids = new Set(rows.map((r) => r.pid));
    assert.ok(pids.size >= 1 && pids.size <= 2, `actors: ${pids.size}`);
    const op = ds.stats().operators.find((o) => o.name === "MapBatches(Scale)");
    assert.equal(op?.tasks, 10);
  });

  test("concurrency [min, max]: the pool grows while blocks wait; preserveOrder keeps input order", async () => {
    const ctx = data.DataContext.getCurrent();
    ctx.preserveOrder = true;
    try {
      const rows = await data.range(40, { parallelism: 20 }).mapBatches(SlowIdentity, { concurrency: [1, 3] }).takeAll();
      assert.deepEqual(rows.map((r) => r.id), upTo(40));
      const pids = new Set(rows.map((r) => r.pid));
      assert.ok(pids.size > 1 && pids.size <= 3, `actors: ${pids.size}`);
    } finally {
      ctx.preserveOrder = false;
    }
  });
});

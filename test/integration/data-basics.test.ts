/**
 * @lux/data through its public API (issue 18, points 2, 3, 5, 6 and 8): sources, the lazy plan
 * (explain, schema, count), transforms, the streaming executor's fusion, limit pushdown and
 * stats, consumption (batches, rows, take, materialize, Arrow), writes and their round trip,
 * and the errors of bad input.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, test } from "node:test";
import * as lux from "lux";
import * as data from "@lux/data";
import { tableFromArrays } from "apache-arrow";
import { addSquare, doubled, isEven, notABatch, parity, throwsOnSeven, twice, unequalColumns, withLabel } from "./fixtures/data-defs.js";

let dir: string;

before(async () => {
  await lux.init({ numCpus: 4 });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "lux-data-"));
  data.DataContext.getCurrent().enableProgressBars = false;
});

after(async () => {
  await lux.shutdown();
  fs.rmSync(dir, { recursive: true, force: true });
});

const ids = (rows: readonly { id: number }[]): number[] => rows.map((r) => r.id).sort((a, b) => a - b);
const upTo = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

describe("sources and the lazy plan", () => {
  test("range: rows { id }, schema and count without running, explain names the operators", async () => {
    const ds = data.range(1000, { parallelism: 10 });
    assert.deepEqual(ids(await ds.takeAll()), upTo(1000));
    assert.equal(await ds.count(), 1000);
    assert.deepEqual((await ds.schema()).names, ["id"]);
    assert.equal(ds.explain(), "ReadRange");
    const materialized = await ds.materialize();
    assert.equal(materialized.numBlocks(), 10);
    assert.equal(await materialized.count(), 1000);
  });

  test("adjacent map steps fuse into the read's tasks: one operator, one task per read", async () => {
    const ds = data.range(100, { parallelism: 4 }).map(addSquare).filter(isEven).mapBatches(doubled, { batchSize: 10 });
    assert.equal(ds.explain(), "ReadRange->Map(addSquare)->Filter(isEven)->MapBatches(doubled)");
    const rows = await ds.takeAll();
    assert.deepEqual(ids(rows), upTo(50).map((x) => x * 4));
    const stats = ds.stats();
    assert.equal(stats.operators.length, 1);
    assert.deepEqual(stats.operators.map((o) => [o.name, o.rows, o.tasks]), [["ReadRange->Map(addSquare)->Filter(isEven)->MapBatches(doubled)", 50, 4]]);
    assert.ok(stats.peakStoreBytes > 0);
    assert.match(String(stats), /ReadRange->Map\(addSquare\).*\s+50\s+/);
    // A step with its own concurrency is not fused: an operator of its own.
    assert.equal(data.range(10).map(addSquare, { concurrency: 2 }).explain(), "ReadRange\nMap(addSquare)");
  });

  test("fromItems, fromArrow, and the same rows from every consumer", async () => {
    const items = data.fromItems([{ a: 1, b: "x" }, { a: 2, b: "y" }, { a: 3, b: null }], { parallelism: 2 });
    assert.deepEqual(await items.takeAll(), [{ a: 1, b: "x" }, { a: 2, b: "y" }, { a: 3, b: null }]);
    assert.deepEqual(await data.fromItems([5, 6]).takeAll(), [{ item: 5 }, { item: 6 }]);
    const arrow = data.fromArrow(tableFromArrays({ x: Float64Array.from([1, 2, 3]) }));
    assert.deepEqual(await arrow.take(2), [{ x: 1 }, { x: 2 }]);
    const table = await data.range(5).toArrow();
    assert.equal(table.numRows, 5);
    const rows: number[] = [];
    for await (const r of data.range(5).iterRows()) rows.push(r.id);
    assert.deepEqual(rows.sort(), upTo(5));
  });

  test("iterBatches: batch sizes, formats (columns are typed-array views), dropLast, local shuffle", async () => {
    const sizes: number[] = [];
    for await (const b of data.range(1000, { parallelism: 3 }).iterBatches({ batchSize: 300 })) {
      assert.ok(b.id instanceof Int32Array, "a null-free numeric column is a typed array");
      sizes.push(b.id.length);
    }
    assert.deepEqual(sizes, [300, 300, 300, 100]);
    const dropped: number[] = [];
    for await (const b of data.range(1000).iterBatches({ batchSize: 300, dropLast: true, batchFormat: "rows" })) dropped.push(b.length);
    assert.deepEqual(dropped, [300, 300, 300]);
    for await (const t of data.range(10).iterBatches({ batchFormat: "arrow", batchSize: null })) assert.ok(t.numRows > 0);
    const shuffled: number[] = [];
    for await (const b of data.range(200, { parallelism: 1 }).iterBatches({ batchSize: 50, localShuffleBufferSize: 100, localShuffleSeed: 7 })) shuffled.push(...b.id);
    assert.deepEqual([...shuffled].sort((a, b) => a - b), upTo(200));
    assert.notDeepEqual(shuffled, upTo(200), "rows were mixed");
  });

  test("limit(n) stops the reads: 5 rows of 1,000 files start a handful of read tasks", async () => {
    const many = path.join(dir, "many");
    fs.mkdirSync(many);
    for (let i = 0; i < 1000; i++) fs.writeFileSync(path.join(many, `f${String(i).padStart(4, "0")}.json`), `{"i":${i}}\n`);
    const ds = data.readJson(many).limit(5);
    const rows = await ds.takeAll();
    assert.equal(rows.length, 5);
    const read = ds.stats().operators.find((o) => o.name === "ReadJSON");
    assert.ok(read !== undefined && read.tasks <= 10, `read tasks started: ${read?.tasks}`);
    assert.deepEqual(await data.range(100).take(3).then((r) => r.length), 3);
  });
});

describe("transforms", () => {
  test("map, flatMap, filter, addColumn, selectColumns, dropColumns, union", async () => {
    const base = data.range(10, { parallelism: 2 });
    assert.deepEqual((await base.flatMap(twice).takeAll()).length, 20);
    const labeled = base.map(withLabel).addColumn("odd", parity);
    const rows = await labeled.takeAll();
    assert.deepEqual(rows.find((r) => r.id === 3), { id: 3, label: "n3", odd: 1 });
    assert.deepEqual(await labeled.selectColumns(["label"]).take(1).then((r) => Object.keys(r[0] ?? {})), ["label"]);
    assert.deepEqual((await labeled.dropColumns(["label", "odd"]).take(1)).map((r) => Object.keys(r)), [["id"]]);
    const both = base.union(data.range(5));
    assert.equal(await both.count(), 15);
    assert.equal((await both.takeAll()).length, 15);
  });

  test("preserveOrder: output order is input order", async () => {
    const ctx = data.DataContext.getCurrent();
    ctx.preserveOrder = true;
    try {
      assert.deepEqual((await data.range(200, { parallelism: 8 }).map(addSquare).takeAll()).map((r) => r.id), upTo(200));
      assert.deepEqual((await data.range(5).union(data.range(3)).takeAll()).map((r) => r.id), [0, 1, 2, 3, 4, 0, 1, 2]);
    } finally {
      ctx.preserveOrder = false;
    }
  });
});

describe("files", () => {
  test("writeParquet/writeCsv/writeJson: a file per block, by tasks; reading them back gives the same rows", async () => {
    const ds = data.fromItems(
      upTo(30).map((i) => ({ id: i, name: `r${i}`, flag: i % 2 === 0, at: new Date(Date.UTC(2024, 0, 1, 0, 0, i)) })),
      { parallelism: 3 },
    );
    for (const format of ["parquet", "csv", "json"] as const) {
      const out = path.join(dir, `out-${format}`);
      if (format === "parquet") await ds.writeParquet(out);
      else if (format === "csv") await ds.writeCsv(out);
      else await ds.writeJson(out);
      assert.equal(fs.readdirSync(out).length, 3, `${format}: a file per block`);
      const back = format === "parquet" ? data.readParquet(out) : format === "csv" ? data.readCsv(out) : data.readJson(out);
      const rows = (await back.takeAll()) as { id: number; name: string; flag: boolean; at: unknown }[];
      rows.sort((a, b) => a.id - b.id);
      assert.deepEqual(rows.map((r) => [r.id, r.name, r.flag]), upTo(30).map((i) => [i, `r${i}`, i % 2 === 0]), format);
      const first = rows[1]?.at;
      const iso = first instanceof Date ? first.toISOString() : String(first);
      assert.equal(iso, "2024-01-01T00:00:01.000Z", `${format}: the timestamp`);
    }
    const csv = fs.readdirSync(path.join(dir, "out-csv"))[0] as string;
    assert.match(fs.readFileSync(path.join(dir, "out-csv", csv), "utf8"), /^id,name,flag,at\n0,r0,true,2024-01-01T00:00:00.000Z\n/);
  });

  test("readParquet: columns, schema and count from the footers; CSV delimiter and header; JSON arrays", async () => {
    await data.range(100, { parallelism: 4 }).map(withLabel).writeParquet(path.join(dir, "pq"));
    const pq = data.readParquet(path.join(dir, "pq", "*.parquet"), { columns: ["label"] });
    assert.deepEqual((await pq.schema()).names, ["label"]);
    assert.equal(await pq.count(), 100);
    assert.equal((await pq.takeAll()).length, 100);
    fs.writeFileSync(path.join(dir, "semi.txt"), "1;a\n2;b\n");
    assert.deepEqual(await data.readCsv(path.join(dir, "semi.txt"), { delimiter: ";", header: false }).takeAll(), [
      { column0: 1, column1: "a" },
      { column0: 2, column1: "b" },
    ]);
    fs.writeFileSync(path.join(dir, "arr.json"), JSON.stringify([{ a: 1 }, { a: 2 }]));
    assert.deepEqual(await data.readJson(path.join(dir, "arr.json")).takeAll(), [{ a: 1 }, { a: 2 }]);
  });
});

describe("bad input: errors naming the thing", () => {
  test("a missing path, a folder or glob with no file", () => {
    assert.throws(() => data.readCsv(path.join(dir, "nope.csv")), (e: unknown) => e instanceof data.DataPathNotFoundError && /nope\.csv/.test(e.message));
    assert.throws(() => data.readParquet(path.join(dir, "*.nothing")), data.DataPathNotFoundError);
  });

  test("a file whose schema differs from the first names the file and the column", async () => {
    const d = path.join(dir, "mixed");
    fs.mkdirSync(d);
    fs.writeFileSync(path.join(d, "a.csv"), "x,y\n1,2\n");
    fs.writeFileSync(path.join(d, "b.csv"), "x,z\n1,2\n");
    await assert.rejects(data.readCsv(d).takeAll(), (e: unknown) => e instanceof data.SchemaMismatchError && /b\.csv/.test(e.message) && /"[yz]"/.test(e.message));
    await data.fromItems([{ p: 1 }]).writeParquet(path.join(dir, "pq-a"));
    await data.fromItems([{ p: "s" }]).writeParquet(path.join(dir, "pq-b"));
    await assert.rejects(data.readParquet([path.join(dir, "pq-a"), path.join(dir, "pq-b")]).count(), (e: unknown) => e instanceof data.SchemaMismatchError && e.column === "p");
  });

  test("a CSV row with the wrong field count names file:line, unless skipped", async () => {
    const f = path.join(dir, "bad.csv");
    fs.writeFileSync(f, "a,b\n1,2\n3\n4,5\n");
    await assert.rejects(data.readCsv(f).takeAll(), (e: unknown) => e instanceof data.InvalidRowError && e.line === 3 && e.message.includes(`${f}:3`));
    assert.deepEqual(await data.readCsv(f, { invalidRows: "skip" }).takeAll(), [{ a: 1, b: 2 }, { a: 4, b: 5 }]);
  });

  test("bad options throw at the call site", () => {
    const ds = data.range(10);
    const option = (fn: () => unknown, name: string): void =>
      assert.throws(fn, (e: unknown) => e instanceof data.InvalidOptionError && e.option === name, name);
    option(() => ds.mapBatches(doubled, { batchSize: 0 }), "batchSize");
    option(() => ds.mapBatches(doubled, { batchSize: -3 }), "batchSize");
    option(() => ds.mapBatches(doubled, { fnConstructorArgs: [1] }), "fnConstructorArgs");
    class NoPool {
      call(b: data.ColumnsBatch<{ id: number }>): data.ColumnsBatch<{ id: number }> {
        return b;
      }
    }
    option(() => ds.mapBatches(NoPool, {} as never), "concurrency");
    option(() => ds.mapBatches(NoPool, { concurrency: 0 }), "concurrency");
    option(() => ds.mapBatches(NoPool, { concurrency: [3, 2] }), "concurrency");
    option(() => ds.mapBatches(NoPool, { concurrency: [0, 2] }), "concurrency");
    option(() => ds.mapBatches(NoPool, { concurrency: "2" as never }), "concurrency");
  });

  test("a UDF returning a non-batch or columns of unequal lengths names the operator (and the lengths)", async () => {
    await assert.rejects(data.range(10).mapBatches(notABatch).takeAll(), (e: unknown) => e instanceof data.InvalidBatchError && /MapBatches\(notABatch\)/.test(e.message));
    await assert.rejects(
      data.range(10, { parallelism: 1 }).mapBatches(unequalColumns).takeAll(),
      (e: unknown) => e instanceof data.InvalidBatchError && /MapBatches\(unequalColumns\)/.test(e.message) && /a \d+, b 1/.test(e.message),
    );
  });

  test("an unknown column in groupBy, sort or selectColumns lists the columns", async () => {
    const ds = data.range(10);
    for (const call of [() => ds.groupBy("nope" as never), () => ds.sort("nope" as never), () => ds.selectColumns(["nope" as never])]) {
      assert.throws(call, (e: unknown) => e instanceof data.UnknownColumnError && e.column === "nope" && /"id"/.test(e.message));
    }
    // Unknown until run (after a map): the error comes from the execution.
    await assert.rejects(ds.map(withLabel).selectColumns(["nope" as never]).takeAll(), data.UnknownColumnError);
  });

  test("a union of unlike schemas", () => {
    assert.throws(() => data.range(3).union(data.fromItems([{ other: "x" }]) as never), data.SchemaMismatchError);
  });

  test("a UDF throw rejects the consumer with TaskError naming operator and block", async () => {
    await assert.rejects(data.range(20, { parallelism: 2 }).map(throwsOnSeven).takeAll(), (e: unknown) => {
      assert.ok(e instanceof data.TaskError, String(e));
      assert.match(e.message, /ReadRange->Map\(throwsOnSeven\) on block 0/);
      assert.match(e.message, /seven is not allowed/);
      return true;
    });
  });
});

/**
 * The pieces of @lux/data that need no cluster: columns to Arrow and back, batches checked,
 * re-batching with a local shuffle, partial aggregations merged across blocks, sort order and
 * partitions, the plan's explain and its known counts and schemas.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { tableFromArrays } from "apache-arrow";
import { accumulate, finish, merge, newState, std, sum, count, unique } from "../src/aggregate.js";
import { batchToTable, columnsToTable, rowsToTable, tableToColumns, tableToRows } from "../src/batch.js";
import { Batcher } from "../src/batcher.js";
import { decodeBlock, encodeBlock, metaOf } from "../src/block.js";
import { explainPlan } from "../src/explain.js";
import { knownCount, type PlanNode } from "../src/plan.js";
import { checkSameSchema } from "../src/schema.js";
import { rangePartition, sortIndices } from "../src/table-ops.js";
import { takeRows } from "../src/take.js";

describe("columns and batches", () => {
  test("a numeric null-free column comes back as a typed array view; others as plain values", () => {
    const t = columnsToTable({ a: Float64Array.from([1, 2, 3]), s: ["x", null, "z"], b: [true, false, null], d: [new Date(0), null, new Date(1000)], l: [[1], [2, 3], null] }, "test");
    const block = encodeBlock(t);
    const back = decodeBlock(block);
    const cols = tableToColumns(back);
    assert.ok(cols["a"] instanceof Float64Array);
    assert.equal((cols["a"] as Float64Array).buffer, (tableToColumns(t)["a"] as Float64Array).buffer, "a view of the buffer encoded");
    assert.deepEqual(cols["s"], ["x", null, "z"]);
    assert.deepEqual(cols["b"], [true, false, null]);
    assert.deepEqual(cols["d"], [new Date(0), null, new Date(1000)]);
    assert.deepEqual(tableToRows(back)[1], { a: 2, s: null, b: false, d: null, l: [2, 3] });
    assert.deepEqual(metaOf(back, block).schema.map((f) => f.name), ["a", "s", "b", "d", "l"]);
  });

  test("what a function returns is a batch or an InvalidBatchError naming the operator", () => {
    assert.equal(batchToTable([{ a: 1 }, { a: 2, b: "x" }], "op").numRows, 2);
    assert.equal(batchToTable(tableFromArrays({ a: [1] }), "op").numRows, 1);
    assert.throws(() => batchToTable(5, "MapBatches(f)"), (e: unknown) => (e as Error).name === "InvalidBatchError" && /MapBatches\(f\)/.test((e as Error).message));
    assert.throws(() => columnsToTable({ a: [1, 2], b: [1] }, "op"), /a 2, b 1/);
    assert.throws(() => rowsToTable([{ a: 1 }, 3], "op"), /row 1/);
    assert.throws(() => columnsToTable({ a: [1, "x"] }, "op"), /mixes number and string/);
  });

  test("takeRows keeps each column's type", () => {
    const t = tableFromArrays({ i: Int32Array.from([5, 6, 7]), s: ["a", "b", "c"] });
    const picked = takeRows(t, [2, 0]);
    assert.deepEqual(tableToRows(picked), [{ i: 7, s: "c" }, { i: 5, s: "a" }]);
    assert.equal(String(picked.schema.fields[0]?.type), "Int32");
  });
});

describe("re-batching", () => {
  const table = (from: number, n: number) => tableFromArrays({ id: Int32Array.from({ length: n }, (_, i) => from + i) });

  test("batches of batchSize across blocks, the rest at the end, or dropped", () => {
    const b = new Batcher({ batchSize: 4, dropLast: false, shuffleBufferSize: undefined, shuffleSeed: undefined });
    b.add(table(0, 3));
    assert.deepEqual([...b.take(false)].map((t) => t.numRows), []);
    b.add(table(3, 6));
    assert.deepEqual([...b.take(false)].map((t) => t.numRows), [4, 4]);
    assert.deepEqual([...b.take(true)].map((t) => t.numRows), [1]);
    const d = new Batcher({ batchSize: 4, dropLast: true, shuffleBufferSize: undefined, shuffleSeed: undefined });
    d.add(table(0, 6));
    assert.deepEqual([...d.take(false), ...d.take(true)].map((t) => t.numRows), [4]);
  });

  test("a local shuffle mixes rows, the same way for the same seed", () => {
    const run = (): number[] => {
      const b = new Batcher({ batchSize: 10, dropLast: false, shuffleBufferSize: 20, shuffleSeed: 1 });
      b.add(table(0, 40));
      return [...b.take(false), ...b.take(true)].flatMap((t) => Array.from(t.getChild("id")?.toArray() as Int32Array));
    };
    const a = run();
    assert.deepEqual([...a].sort((x, y) => x - y), Array.from({ length: 40 }, (_, i) => i));
    assert.notDeepEqual(a, Array.from({ length: 40 }, (_, i) => i));
    assert.deepEqual(run(), a);
  });
});

describe("aggregations", () => {
  test("partial states merged across blocks equal one pass; std is the sample std", () => {
    const xs = [3, 1, 4, 1, 5, 9, 2, 6];
    for (const spec of [sum("x"), std("x"), count(), unique("x")]) {
      const whole = newState(spec);
      xs.forEach((x) => accumulate(whole, spec, x));
      const left = newState(spec);
      const right = newState(spec);
      xs.slice(0, 3).forEach((x) => accumulate(left, spec, x));
      xs.slice(3).forEach((x) => accumulate(right, spec, x));
      merge(left, right);
      const [a, b] = [finish(whole, spec), finish(left, spec)];
      if (typeof a === "number") assert.ok(Math.abs(a - (b as number)) < 1e-12, spec.name);
      else assert.deepEqual([...(a as unknown[])].sort(), [...(b as unknown[])].sort());
    }
    const s = newState(std("x"));
    [2, 4, 4, 4, 5, 5, 7, 9].forEach((x) => accumulate(s, std("x"), x));
    assert.ok(Math.abs((finish(s, std("x")) as number) - Math.sqrt(32 / 7)) < 1e-12);
    assert.equal(finish(newState(std("x")), std("x")), null);
  });
});

describe("sort and partitions", () => {
  test("sort order and range partitions, ascending and descending", () => {
    const t = tableFromArrays({ k: Float64Array.from([5, 1, 3, 2, 4]) });
    assert.deepEqual(sortIndices(t, "k", false), [1, 3, 2, 4, 0]);
    assert.deepEqual(sortIndices(t, "k", true), [0, 4, 2, 3, 1]);
    assert.deepEqual(Array.from(rangePartition(t, "k", [2, 4], false)), [2, 0, 1, 1, 2]);
    assert.deepEqual(Array.from(rangePartition(t, "k", [4, 2], true)), [0, 2, 1, 1, 0]);
  });
});

describe("the plan", () => {
  const read: PlanNode = { op: "read", source: { name: "ReadRange", format: "range", tasks: [], files: [], columns: undefined, schema: [{ name: "id", type: "Int32" }], numRows: 10 } };
  const fn = { functionId: "f", name: "f" };
  const tasks = { kind: "tasks", numCpus: 1, maxRetries: 3, concurrency: undefined } as const;

  test("explain fuses map steps of equal resources into the read", () => {
    const mapped: PlanNode = { op: "map", input: read, step: { kind: "map", name: "Map(f)", fn }, compute: tasks };
    const filtered: PlanNode = { op: "map", input: mapped, step: { kind: "filter", name: "Filter(g)", fn }, compute: tasks };
    assert.deepEqual(explainPlan(filtered), ["ReadRange->Map(f)->Filter(g)"]);
    const own: PlanNode = { op: "map", input: filtered, step: { kind: "map", name: "Map(h)", fn }, compute: { ...tasks, numCpus: 2 } };
    const limited: PlanNode = { op: "limit", input: own, n: 3 };
    assert.deepEqual(explainPlan(limited), ["ReadRange->Map(f)->Filter(g)", "Map(h)", "Limit(3)"]);
    assert.equal(knownCount(limited), undefined, "a filter's count is not known");
    assert.equal(knownCount({ op: "limit", input: { op: "map", input: read, step: { kind: "map", name: "Map(f)", fn }, compute: tasks }, n: 3 }), 3);
  });

  test("schemas compared name the column", () => {
    assert.throws(
      () => checkSameSchema([{ name: "a", type: "Utf8" }], [{ name: "a", type: "Float64" }], 'file "b"', 'file "a"'),
      (e: unknown) => (e as { column?: string }).column === "a" && /file "b"/.test((e as Error).message),
    );
    assert.doesNotThrow(() => checkSameSchema([{ name: "a", type: "Null" }], [{ name: "a", type: "Float64" }], "x", "y"));
  });
});

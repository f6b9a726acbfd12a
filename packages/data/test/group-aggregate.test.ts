/**
 * groupBy().aggregate() over columns: rows to groups (dense integer index, Map keys, several
 * keys), partial states per part merged across blocks, against a plain per-row computation.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { tableFromArrays, type Table } from "apache-arrow";
import { count, max, mean, min, std, sum, unique, type AggregateSpec } from "../src/aggregate.js";
import { columnsToTable, tableToRows } from "../src/batch.js";
import { compareKeys } from "../src/exchange-tasks.js";
import { finishAggregate, partialAggregate, type PartialPart } from "../src/group-aggregate.js";
import { groupRows } from "../src/grouping.js";

/** The aggregation by a per-row loop over plain rows, sorted by key. */
function expected(rows: Record<string, unknown>[], keys: string[], aggs: AggregateSpec[]): Record<string, unknown>[] {
  const groups = new Map<string, Record<string, unknown>[]>();
  for (const r of rows) {
    const id = JSON.stringify(keys.map((k) => (r[k] instanceof Date ? (r[k] as Date).getTime() : r[k])));
    groups.set(id, [...(groups.get(id) ?? []), r]);
  }
  const out = [...groups.values()].map((g) => {
    const row: Record<string, unknown> = {};
    for (const k of keys) row[k] = (g[0] as Record<string, unknown>)[k];
    for (const a of aggs) {
      const vs = a.column === undefined ? [] : g.map((r) => r[a.column as string]).filter((v) => v !== null && v !== undefined);
      const nums = vs.map(Number);
      const m = nums.reduce((s, x) => s + x, 0) / nums.length;
      const pick = (better: (x: unknown, y: unknown) => boolean): unknown => vs.reduce((best, v) => (best === undefined || better(v, best) ? v : best), undefined as unknown) ?? null;
      row[a.name] = {
        count: g.length,
        sum: nums.reduce((s, x) => s + x, 0),
        mean: nums.length === 0 ? null : m,
        std: nums.length < 2 ? null : Math.sqrt(nums.reduce((s, x) => s + (x - m) ** 2, 0) / (nums.length - 1)),
        min: pick((x, y) => (x as number) < (y as number)),
        max: pick((x, y) => (y as number) < (x as number)),
        unique: [...new Set(vs.map((v) => (v instanceof Date ? v.getTime() : v)))].sort(),
      }[a.kind];
    }
    return row;
  });
  return out.sort((a, b) => compareKeys(keys.map((k) => a[k]), keys.map((k) => b[k])));
}

/** The table's rows in `blocks` blocks, aggregated on the map side into `parts` parts, each part reduced. */
function aggregateInBlocks(table: Table, keys: string[], aggs: AggregateSpec[], blocks: number, parts: number): Record<string, unknown>[] {
  const step = Math.ceil(table.numRows / blocks);
  const partials: PartialPart[][] = [];
  for (let at = 0; at < table.numRows; at += step) partials.push(partialAggregate(table.slice(at, at + step), keys, aggs, parts));
  const out: Record<string, unknown>[] = [];
  for (let p = 0; p < parts; p++) out.push(...tableToRows(finishAggregate(partials.map((b) => b[p] as PartialPart), keys, aggs, compareKeys)));
  return out.sort((a, b) => compareKeys(keys.map((k) => a[k]), keys.map((k) => b[k])));
}

function assertClose(actual: Record<string, unknown>[], wanted: Record<string, unknown>[]): void {
  assert.equal(actual.length, wanted.length);
  actual.forEach((row, i) => {
    for (const [k, v] of Object.entries(wanted[i] as Record<string, unknown>)) {
      const got = row[k];
      if (typeof v === "number" && typeof got === "number") assert.ok(Math.abs(got - v) <= 1e-9 * Math.max(1, Math.abs(v)), `${k}: ${got} vs ${v}`);
      else if (Array.isArray(v)) assert.deepEqual([...(got as unknown[])].sort(), v, k);
      else assert.deepEqual(got, v, k);
    }
  });
}

describe("rows to groups", () => {
  test("integer keys: a dense index for a small range, Map keys for a wide one; first-seen order", () => {
    assert.deepEqual(groupRows([Int32Array.from([5, 3, 5, 9, 3])], 5), { ids: Int32Array.from([0, 1, 0, 2, 1]), firstRows: [0, 1, 3] });
    assert.deepEqual(groupRows([Int32Array.from([2e9, -2e9, 2e9])], 3), { ids: Int32Array.from([0, 1, 0]), firstRows: [0, 1] });
    assert.deepEqual(groupRows([["a", null, "a", null]], 4).firstRows, [0, 1]);
    assert.deepEqual(groupRows([Float64Array.from([1.5, 2, 1.5]), ["x", "x", "y"]], 3), { ids: Int32Array.from([0, 1, 2]), firstRows: [0, 1, 2] });
    assert.deepEqual(groupRows([], 3), { ids: new Int32Array(3), firstRows: [0] });
  });
});

describe("aggregate over columns", () => {
  const n = 5000;
  const aggs = [count(), sum("v"), mean("v"), std("v"), min("v"), max("v"), unique("s")];

  test("a typed integer key and a typed value column, in blocks and parts", () => {
    const t = tableFromArrays({ k: Int32Array.from({ length: n }, (_, i) => (i * 7) % 97), v: Float64Array.from({ length: n }, (_, i) => (i % 13) * 1.5), s: Array.from({ length: n }, (_, i) => `s${i % 4}`) });
    assertClose(aggregateInBlocks(t, ["k"], aggs, 7, 3), expected(tableToRows(t), ["k"], aggs));
  });

  test("string keys with nulls, values with nulls, dates; several keys; no key", () => {
    const t = columnsToTable(
      {
        k: Array.from({ length: n }, (_, i) => (i % 11 === 0 ? null : `k${i % 5}`)),
        j: Array.from({ length: n }, (_, i) => i % 3),
        v: Array.from({ length: n }, (_, i) => (i % 6 === 0 ? null : i % 17)),
        s: Array.from({ length: n }, (_, i) => new Date(Date.UTC(2024, 0, 1 + (i % 3)))),
      },
      "test",
    );
    const rows = tableToRows(t);
    const withDates = [count(), sum("v"), mean("v"), std("v"), min("v"), max("v"), min("s"), max("s"), unique("s")];
    assertClose(aggregateInBlocks(t, ["k"], withDates, 4, 2), expected(rows, ["k"], withDates));
    assertClose(aggregateInBlocks(t, ["k", "j"], aggs.slice(0, 6), 3, 4), expected(rows, ["k", "j"], aggs.slice(0, 6)));
    assertClose(aggregateInBlocks(t, [], aggs.slice(0, 6), 5, 1), expected(rows, [], aggs.slice(0, 6)));
  });
});

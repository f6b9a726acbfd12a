/**
 * The tasks of all-to-all operators (made remote while this module is evaluated): a map task
 * cuts one block into one part per reduce task (by key range, key hash, or at random), and
 * a reduce task makes one output block from its part of every block. Plain tasks with
 * `numReturns`, so core re-creates a lost part from lineage.
 */
import type { Table } from "apache-arrow";
import * as lux from "lux";
import type { AggregateSpec } from "./aggregate.js";
import { batchToTable, toFormat, type BatchFormat } from "./batch.js";
import { concatTables, decodeBlock, encodeBlock, metaOf, type EncodedBlock, type BlockMeta } from "./block.js";
import { columnValues } from "./columns.js";
import { finishAggregate, partialAggregate, type PartialPart } from "./group-aggregate.js";
import { columnsToTable } from "./batch.js";
import { groupIndices, hashPartition, rangePartition, sortIndices, seededRandom } from "./table-ops.js";
import { takeRows } from "./take.js";
import type { ShippedFn } from "./plan.js";

type Fn = (...args: unknown[]) => unknown;

/** How a map task cuts its block. */
export type SplitHow =
  | { readonly kind: "range"; readonly key: string; readonly boundaries: readonly unknown[]; readonly descending: boolean }
  | { readonly kind: "random"; readonly parts: number; readonly seed: number }
  | { readonly kind: "hash"; readonly keys: readonly string[]; readonly parts: number }
  | { readonly kind: "aggregate"; readonly keys: readonly string[]; readonly parts: number; readonly aggs: readonly AggregateSpec[] };

/** How a reduce task makes its block. */
export type ReduceHow =
  | { readonly kind: "concat" }
  | { readonly kind: "sort"; readonly key: string; readonly descending: boolean }
  | { readonly kind: "shuffle"; readonly seed: number }
  | { readonly kind: "aggregate"; readonly keys: readonly string[]; readonly aggs: readonly AggregateSpec[] }
  | { readonly kind: "mapGroups"; readonly keys: readonly string[]; readonly fn: ShippedFn; readonly batchFormat: BatchFormat; readonly name: string };

/** Up to `count` key values of the block, spread over it, for the sort's boundaries. */
export const sampleTask = lux.remote((block: EncodedBlock, key: string, count: number): unknown[] => {
  const values = columnValues(decodeBlock(block).getChild(key) as never);
  const step = Math.max(1, Math.floor(values.length / count));
  const out: unknown[] = [];
  for (let i = 0; i < values.length; i += step) out.push(values[i]);
  return out;
});

export const splitTask = lux.remote((block: EncodedBlock, how: SplitHow): unknown[] => {
  const table = decodeBlock(block);
  if (how.kind === "aggregate") return partialAggregate(table, how.keys, how.aggs, how.parts);
  let assignment: Uint32Array;
  let parts: number;
  if (how.kind === "range") ((assignment = rangePartition(table, how.key, how.boundaries, how.descending)), (parts = how.boundaries.length + 1));
  else if (how.kind === "hash") ((assignment = hashPartition(table, how.keys, how.parts)), (parts = how.parts));
  else {
    const random = seededRandom(how.seed);
    assignment = Uint32Array.from({ length: table.numRows }, () => Math.floor(random() * how.parts));
    parts = how.parts;
  }
  const byPart: number[][] = Array.from({ length: parts }, () => []);
  for (let i = 0; i < assignment.length; i++) (byPart[assignment[i] as number] as number[]).push(i);
  return byPart.map((rows) => encodeBlock(takeRows(table, rows)));
});

export const reduceTask = lux.remote(async (how: ReduceHow, wrapped: boolean, ...parts: unknown[]): Promise<[EncodedBlock, BlockMeta]> => {
  const given = wrapped ? parts.map((p) => (p as unknown[])[0]) : parts;
  const table = how.kind === "aggregate" ? finishAggregate(given as PartialPart[], how.keys, how.aggs, compareKeys) : await reduceTables(concatTables((given as EncodedBlock[]).map(decodeBlock)), how);
  const block = encodeBlock(table);
  return [block, metaOf(table, block)];
});

async function reduceTables(table: Table, how: Exclude<ReduceHow, { kind: "aggregate" }>): Promise<Table> {
  switch (how.kind) {
    case "concat":
      return table;
    case "sort":
      return takeRows(table, sortIndices(table, how.key, how.descending));
    case "shuffle": {
      const random = seededRandom(how.seed);
      const order = Array.from({ length: table.numRows }, (_, i) => i);
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [order[i], order[j]] = [order[j] as number, order[i] as number];
      }
      return takeRows(table, order);
    }
    case "mapGroups":
      return mapGroups(table, how);
  }
}

async function mapGroups(table: Table, how: Extract<ReduceHow, { kind: "mapGroups" }>): Promise<Table> {
  const fn = (await lux.loadShipped(how.fn)) as unknown as Fn;
  const outputs: Table[] = [];
  const groups = groupIndices(table, how.keys).sort((a, b) => compareKeys(a.key, b.key));
  for (const group of groups) {
    let r = fn(toFormat(takeRows(table, group.rows), how.batchFormat));
    if (r instanceof Promise) r = await r;
    outputs.push(batchToTable(r, how.name));
  }
  return concatTables(outputs);
}

export function compareKeys(a: readonly unknown[], b: readonly unknown[]): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    if (x === y) continue;
    if (x === null || x === undefined) return -1;
    if (y === null || y === undefined) return 1;
    return x < y ? -1 : 1;
  }
  return 0;
}


/** Row operations on tables for all-to-all operators: sort order, partitions by key, groups. */
import type { Table, Vector } from "apache-arrow";
import { columnValues, type Column } from "./columns.js";
import { groupRows, hashString, keyId } from "./grouping.js";

/** A deterministic random number generator (mulberry32) for seeded shuffles. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function values(table: Table, column: string): Column {
  return columnValues(table.getChild(column) as Vector);
}

function compare(x: unknown, y: unknown): number {
  if (x === y) return 0;
  if (x === null || x === undefined) return -1;
  if (y === null || y === undefined) return 1;
  if (x instanceof Date && y instanceof Date) return x.getTime() - y.getTime();
  return (x as number) < (y as number) ? -1 : 1;
}

export function sortIndices(table: Table, key: string, descending: boolean): number[] {
  const col = values(table, key);
  const order = Array.from({ length: table.numRows }, (_, i) => i);
  const sign = descending ? -1 : 1;
  order.sort((a, b) => sign * compare(col[a], col[b]) || a - b);
  return order;
}

/** Each row's part: the number of `boundaries` below its key (above, descending). */
export function rangePartition(table: Table, key: string, boundaries: readonly unknown[], descending: boolean): Uint32Array {
  const col = values(table, key);
  const out = new Uint32Array(table.numRows);
  for (let i = 0; i < out.length; i++) {
    let lo = 0;
    let hi = boundaries.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const c = compare(col[i], boundaries[mid]);
      if (descending ? c < 0 : c >= 0) lo = mid + 1;
      else hi = mid;
    }
    out[i] = lo;
  }
  return out;
}

export interface Group {
  readonly key: unknown[];
  readonly hash: number;
  readonly rows: number[];
}

/** The rows of each distinct key (in first-seen order), with the key's hash. */
export function groupIndices(table: Table, keys: readonly string[]): Group[] {
  const cols = keys.map((k) => values(table, k));
  const { ids, firstRows } = groupRows(cols, table.numRows);
  const groups = firstRows.map((row): Group => {
    const key = cols.map((c) => c[row]);
    return { key, hash: hashString(keyId(key)), rows: [] };
  });
  for (let i = 0; i < ids.length; i++) (groups[ids[i] as number] as Group).rows.push(i);
  return groups;
}

export function hashPartition(table: Table, keys: readonly string[], parts: number): Uint32Array {
  const cols = keys.map((k) => values(table, k));
  const { ids, firstRows } = groupRows(cols, table.numRows);
  const partOf = firstRows.map((row) => hashString(keyId(cols.map((c) => c[row]))) % parts);
  const out = new Uint32Array(table.numRows);
  for (let i = 0; i < ids.length; i++) out[i] = partOf[ids[i] as number] as number;
  return out;
}

/** Row operations on tables for all-to-all operators: sort order, partitions by key, groups. */
import type { Table, Vector } from "apache-arrow";
import { columnValues, type Column } from "./columns.js";

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

/** The key values of every row, one array per row. */
export function keysOf(table: Table, keys: readonly string[]): unknown[][] {
  const cols = keys.map((k) => values(table, k));
  return Array.from({ length: table.numRows }, (_, i) => cols.map((c) => c[i]));
}

function hashString(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

function keyId(values: readonly unknown[]): string {
  return values.length === 1 ? String(values[0] instanceof Date ? values[0].getTime() : values[0]) + typeof values[0] : JSON.stringify(values, (_k, v: unknown) => (typeof v === "bigint" ? `${v}n` : v));
}

export interface Group {
  readonly key: unknown[];
  readonly hash: number;
  readonly rows: number[];
}

/** The rows of each distinct key (in first-seen order), with the key's hash. */
export function groupIndices(table: Table, keys: readonly string[]): Map<unknown, Group> {
  if (keys.length === 1) return groupByOne(values(table, keys[0] as string));
  const cols = keys.map((k) => values(table, k));
  const groups = new Map<unknown, Group>();
  for (let i = 0; i < table.numRows; i++) {
    const key = cols.map((c) => c[i]);
    const id = keyId(key);
    let g = groups.get(id);
    if (g === undefined) {
      g = { key, hash: hashString(id), rows: [] };
      groups.set(id, g);
    }
    g.rows.push(i);
  }
  return groups;
}

/** One key column: its values are the map's keys (no key array or string per row). */
function groupByOne(col: Column): Map<unknown, Group> {
  const groups = new Map<unknown, Group>();
  for (let i = 0; i < col.length; i++) {
    const raw = col[i];
    const v = raw instanceof Date ? raw.getTime() : raw;
    let g = groups.get(v);
    if (g === undefined) {
      g = { key: [raw], hash: hashString(keyId([raw])), rows: [] };
      groups.set(v, g);
    }
    g.rows.push(i);
  }
  return groups;
}

export function hashPartition(table: Table, keys: readonly string[], parts: number): Uint32Array {
  const out = new Uint32Array(table.numRows);
  for (const g of groupIndices(table, keys).values()) for (const i of g.rows) out[i] = g.hash % parts;
  return out;
}

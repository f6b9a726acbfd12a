/**
 * Rows to groups by the values of key columns, over columns: each row's group index in one
 * pass, without an object per row. An integer key column with a small range indexes an array;
 * other single keys are Map keys as they are; several keys are one string per row.
 */
import type { Column, TypedArray } from "./columns.js";

/** Each row's group (0..count-1, in order of first appearance) and each group's first row. */
export interface Grouping {
  readonly ids: Int32Array;
  readonly firstRows: readonly number[];
}

/** A dense index is used while the keys' range is at most this many times the rows (and this many slots). */
const DENSE_RANGE_PER_ROW = 4;
const DENSE_RANGE_MIN = 1 << 16;

export function hashString(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** A group's key values as one string (what several keys are grouped by, and what a group's part is hashed from). */
export function keyId(values: readonly unknown[]): string {
  return values.length === 1
    ? String(values[0] instanceof Date ? values[0].getTime() : values[0]) + typeof values[0]
    : JSON.stringify(values, (_k, v: unknown) => (typeof v === "bigint" ? `${v}n` : v));
}

/** What one key value is grouped by: a Date by its time, anything else as it is. */
export function mapKey(v: unknown): unknown {
  return v instanceof Date ? v.getTime() : v;
}

export function groupRows(cols: readonly Column[], rows: number): Grouping {
  if (cols.length === 0) return { ids: new Int32Array(rows), firstRows: rows > 0 ? [0] : [] };
  if (cols.length > 1) return groupBy(rows, (i) => keyId(cols.map((c) => c[i])));
  const col = cols[0] as Column;
  if (isIntegerArray(col)) return groupIntegers(col);
  if (ArrayBuffer.isView(col)) return groupBy(rows, (i) => col[i]);
  return groupBy(rows, (i) => mapKey(col[i]));
}

function isIntegerArray(col: Column): col is Exclude<TypedArray, Float64Array | Float32Array | BigInt64Array | BigUint64Array> {
  return ArrayBuffer.isView(col) && !(col instanceof Float64Array || col instanceof Float32Array || col instanceof BigInt64Array || col instanceof BigUint64Array);
}

function groupBy(rows: number, keyOf: (row: number) => unknown): Grouping {
  const ids = new Int32Array(rows);
  const firstRows: number[] = [];
  const index = new Map<unknown, number>();
  for (let i = 0; i < rows; i++) {
    const key = keyOf(i);
    let g = index.get(key);
    if (g === undefined) {
      g = firstRows.length;
      index.set(key, g);
      firstRows.push(i);
    }
    ids[i] = g;
  }
  return { ids, firstRows };
}

function groupIntegers(col: Exclude<TypedArray, Float64Array | Float32Array | BigInt64Array | BigUint64Array>): Grouping {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < col.length; i++) {
    const v = col[i] as number;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const range = hi - lo + 1;
  if (!(range <= Math.max(DENSE_RANGE_MIN, DENSE_RANGE_PER_ROW * col.length))) return groupBy(col.length, (i) => col[i]);
  const slots = new Int32Array(range).fill(-1);
  const ids = new Int32Array(col.length);
  const firstRows: number[] = [];
  for (let i = 0; i < col.length; i++) {
    const s = (col[i] as number) - lo;
    let g = slots[s] as number;
    if (g < 0) {
      g = firstRows.length;
      slots[s] = g;
      firstRows.push(i);
    }
    ids[i] = g;
  }
  return { ids, firstRows };
}

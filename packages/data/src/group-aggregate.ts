/**
 * groupBy().aggregate() over columns. The map side groups a block's rows once (grouping.ts)
 * and keeps each aggregation's partial state in arrays indexed by group, updated in one loop
 * over the value column (a typed loop when the column is a null-free numeric view); it gives
 * one part per reduce task, a group going to the part its key hashes to. The reduce side
 * merges a part's groups from every block and finishes them into a table sorted by key.
 * The arithmetic is aggregate.ts's: sum by addition, mean and M2 by Welford's updates per
 * value and Chan et al.'s merge.
 */
import type { Table } from "apache-arrow";
import { finish, merge, type AggState, type AggregateSpec } from "./aggregate.js";
import { columnsToTable } from "./batch.js";
import { columnValues, type Column } from "./columns.js";
import { groupRows, hashString, keyId, mapKey } from "./grouping.js";

/** One aggregation's partial states, by group. `n` counts the values taken (rows, for count()). */
export interface StateColumns {
  readonly n: Float64Array;
  readonly sum: Float64Array | undefined;
  readonly mean: Float64Array | undefined;
  readonly m2: Float64Array | undefined;
  /** Undefined where the group has no value. */
  readonly min: unknown[] | undefined;
  readonly max: unknown[] | undefined;
  readonly values: Set<unknown>[] | undefined;
}

/** The partial states of one part: per key column its groups' values, per aggregation its states. */
export interface PartialPart {
  readonly keys: unknown[][];
  readonly states: SentStates[];
}

/** States as they travel: a group's unique values as an array. */
type SentStates = Omit<StateColumns, "values"> & { readonly values: unknown[][] | undefined };

function emptyStates(spec: AggregateSpec, groups: number): StateColumns {
  const needs = (...kinds: AggregateSpec["kind"][]): boolean => kinds.includes(spec.kind);
  return {
    n: new Float64Array(groups),
    sum: needs("sum") ? new Float64Array(groups) : undefined,
    mean: needs("mean", "std") ? new Float64Array(groups) : undefined,
    m2: needs("std") ? new Float64Array(groups) : undefined,
    min: needs("min") ? new Array<unknown>(groups).fill(undefined) : undefined,
    max: needs("max") ? new Array<unknown>(groups).fill(undefined) : undefined,
    values: needs("unique") ? Array.from({ length: groups }, () => new Set<unknown>()) : undefined,
  };
}

/** Adds every row's value to its group's state (null values count for count() only). */
function accumulate(st: StateColumns, ids: Int32Array, col: Column | undefined): void {
  const { n } = st;
  if (col === undefined) {
    for (let i = 0; i < ids.length; i++) (n[ids[i] as number] as number)++;
    return;
  }
  if (ArrayBuffer.isView(col) && !(col instanceof BigInt64Array || col instanceof BigUint64Array) && st.values === undefined) {
    accumulateNumbers(st, ids, col as Float64Array);
    return;
  }
  for (let i = 0; i < ids.length; i++) addValue(st, ids[i] as number, col[i]);
}

/** addValue's arithmetic over a null-free numeric view, without a check or a boxed value per row. */
function accumulateNumbers(st: StateColumns, ids: Int32Array, values: Float64Array): void {
  const { n, sum, mean, m2, min, max } = st;
  for (let i = 0; i < ids.length; i++) {
    const g = ids[i] as number;
    const x = values[i] as number;
    const k = ++(n[g] as number);
    if (sum !== undefined) (sum[g] as number) += x;
    if (mean !== undefined) {
      const delta = x - (mean[g] as number);
      (mean[g] as number) += delta / k;
      if (m2 !== undefined) (m2[g] as number) += delta * (x - (mean[g] as number));
    }
    if (min !== undefined && (k === 1 || x < (min[g] as number))) min[g] = x;
    if (max !== undefined && (k === 1 || (max[g] as number) < x)) max[g] = x;
  }
}

function addValue(st: StateColumns, g: number, value: unknown): void {
  if (value === null || value === undefined) return;
  if (st.values !== undefined) (st.values[g] as Set<unknown>).add(value instanceof Date ? value.getTime() : value);
  if (st.min !== undefined && (st.min[g] === undefined || (value as number) < (st.min[g] as number))) st.min[g] = value;
  if (st.max !== undefined && (st.max[g] === undefined || (st.max[g] as number) < (value as number))) st.max[g] = value;
  const k = ++(st.n[g] as number);
  const x = Number(value);
  if (st.sum !== undefined) (st.sum[g] as number) += x;
  if (st.mean !== undefined) {
    const delta = x - (st.mean[g] as number);
    (st.mean[g] as number) += delta / k;
    if (st.m2 !== undefined) (st.m2[g] as number) += delta * (x - (st.mean[g] as number));
  }
}

/** Groups `pick` of a state, in that order (a part's groups). */
function pickStates(st: StateColumns, pick: readonly number[]): SentStates {
  const typed = (a: Float64Array | undefined): Float64Array | undefined => (a === undefined ? undefined : Float64Array.from(pick, (g) => a[g] as number));
  const plain = <T>(a: T[] | undefined): T[] | undefined => (a === undefined ? undefined : pick.map((g) => a[g] as T));
  const values = st.values === undefined ? undefined : pick.map((g) => [...(st.values?.[g] ?? [])]);
  return { n: typed(st.n) as Float64Array, sum: typed(st.sum), mean: typed(st.mean), m2: typed(st.m2), min: plain(st.min), max: plain(st.max), values };
}

/** The map side: the block's partial states, one part per reduce task. */
export function partialAggregate(table: Table, keys: readonly string[], aggs: readonly AggregateSpec[], parts: number): PartialPart[] {
  const keyCols = keys.map((k) => columnValues(table.getChild(k) as never));
  const { ids, firstRows } = groupRows(keyCols, table.numRows);
  const states = aggs.map((spec) => {
    const st = emptyStates(spec, firstRows.length);
    accumulate(st, ids, spec.column === undefined ? undefined : columnValues(table.getChild(spec.column) as never));
    return st;
  });
  const groupKeys = firstRows.map((row) => keyCols.map((c) => c[row]));
  const byPart: number[][] = Array.from({ length: parts }, () => []);
  groupKeys.forEach((key, g) => (byPart[hashString(keyId(key)) % parts] as number[]).push(g));
  return byPart.map((pick) => ({
    keys: keys.map((_, j) => pick.map((g) => (groupKeys[g] as unknown[])[j])),
    states: states.map((st) => pickStates(st, pick)),
  }));
}

/** Group `g` of a partial state as aggregate.ts's state (for merging and finishing). */
function stateAt(st: SentStates, g: number): AggState {
  return {
    n: st.n[g] as number,
    sum: st.sum?.[g] ?? 0,
    mean: st.mean?.[g] ?? 0,
    m2: st.m2?.[g] ?? 0,
    min: st.min?.[g],
    max: st.max?.[g],
    values: st.values === undefined ? undefined : new Set(st.values[g]),
  };
}

/** The reduce side: a part's states from every block, merged by key, finished, sorted by key. */
export function finishAggregate(parts: readonly PartialPart[], keys: readonly string[], aggs: readonly AggregateSpec[], compare: (a: readonly unknown[], b: readonly unknown[]) => number): Table {
  const merged = new Map<unknown, { key: unknown[]; states: AggState[] }>();
  for (const part of parts) {
    const groups = part.states[0]?.n.length ?? part.keys[0]?.length ?? 0;
    for (let g = 0; g < groups; g++) {
      const key = part.keys.map((column) => column[g]);
      const id = key.length === 1 ? mapKey(key[0]) : keyId(key);
      const states = part.states.map((st) => stateAt(st, g));
      const known = merged.get(id);
      if (known === undefined) merged.set(id, { key, states });
      else known.states.forEach((s, j) => merge(s, states[j] as AggState));
    }
  }
  const groups = [...merged.values()].sort((a, b) => compare(a.key, b.key));
  const columns: Record<string, unknown[]> = {};
  keys.forEach((k, j) => (columns[k] = groups.map((g) => g.key[j])));
  aggs.forEach((spec, j) => (columns[spec.name] = groups.map((g) => finish(g.states[j] as AggState, spec))));
  return columnsToTable(columns, "Aggregate");
}


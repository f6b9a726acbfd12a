/**
 * Aggregations of groupBy(...).aggregate(...): `data.count()`, `sum(x)`, `min(x)`, `max(x)`,
 * `mean(x)`, `std(x)` (sample standard deviation, ddof 1), `unique(x)`. Each is computed in
 * two steps: a partial state per key in each block (map side), merged per key and finished in
 * the reduce task that holds the key. Output columns are named `count()`, `sum(x)`, ….
 */
export type AggregateKind = "count" | "sum" | "min" | "max" | "mean" | "std" | "unique";

/** One aggregation, as plain data. */
export interface AggregateSpec {
  readonly kind: AggregateKind;
  /** The column it reads; none for count. */
  readonly column: string | undefined;
  /** Its output column's name, e.g. `sum(x)`. */
  readonly name: string;
}

export function count(): AggregateSpec {
  return { kind: "count", column: undefined, name: "count()" };
}
export function sum(column: string): AggregateSpec {
  return { kind: "sum", column, name: `sum(${column})` };
}
export function min(column: string): AggregateSpec {
  return { kind: "min", column, name: `min(${column})` };
}
export function max(column: string): AggregateSpec {
  return { kind: "max", column, name: `max(${column})` };
}
export function mean(column: string): AggregateSpec {
  return { kind: "mean", column, name: `mean(${column})` };
}
/** Sample standard deviation (ddof 1): null for a group of one row. */
export function std(column: string): AggregateSpec {
  return { kind: "std", column, name: `std(${column})` };
}
/** The distinct values of the column in each group. */
export function unique(column: string): AggregateSpec {
  return { kind: "unique", column, name: `unique(${column})` };
}

/** A group's running state for one aggregation (Welford's for mean and std). */
export interface AggState {
  n: number;
  sum: number;
  mean: number;
  m2: number;
  min: unknown;
  max: unknown;
  values: Set<unknown> | undefined;
}

export function newState(spec: AggregateSpec): AggState {
  return { n: 0, sum: 0, mean: 0, m2: 0, min: undefined, max: undefined, values: spec.kind === "unique" ? new Set() : undefined };
}

function less(a: unknown, b: unknown): boolean {
  return (a as number) < (b as number);
}

/** Adds one value (null values count for count() only). */
export function accumulate(state: AggState, spec: AggregateSpec, value: unknown): void {
  if (spec.kind === "count") {
    state.n++;
    return;
  }
  if (value === null || value === undefined) return;
  if (state.values !== undefined) state.values.add(value instanceof Date ? value.getTime() : value);
  if (state.min === undefined || less(value, state.min)) state.min = value;
  if (state.max === undefined || less(state.max, value)) state.max = value;
  const x = Number(value);
  state.n++;
  state.sum += x;
  const delta = x - state.mean;
  state.mean += delta / state.n;
  state.m2 += delta * (x - state.mean);
}

/** Merges another block's state for the same key into `into` (Chan et al. for mean and M2). */
export function merge(into: AggState, other: AggState): void {
  if (other.n === 0 && other.values === undefined) return;
  const n = into.n + other.n;
  if (n > 0) {
    const delta = other.mean - into.mean;
    into.m2 += other.m2 + (delta * delta * into.n * other.n) / n;
    into.mean += (delta * other.n) / n;
  }
  into.n = n;
  into.sum += other.sum;
  if (other.min !== undefined && (into.min === undefined || less(other.min, into.min))) into.min = other.min;
  if (other.max !== undefined && (into.max === undefined || less(into.max, other.max))) into.max = other.max;
  if (into.values !== undefined && other.values !== undefined) for (const v of other.values) into.values.add(v);
}

export function finish(state: AggState, spec: AggregateSpec): unknown {
  switch (spec.kind) {
    case "count":
      return state.n;
    case "sum":
      return state.sum;
    case "min":
      return state.min ?? null;
    case "max":
      return state.max ?? null;
    case "mean":
      return state.n === 0 ? null : state.mean;
    case "std":
      return state.n < 2 ? null : Math.sqrt(state.m2 / (state.n - 1));
    case "unique":
      return [...(state.values ?? [])];
  }
}

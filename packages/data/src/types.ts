/**
 * The row types a Dataset carries: what each transform gives, inferred from the user's
 * functions (a `map` returning `{ ...r, y: "a" }` adds `y: string`), and the batch each
 * batch format hands to a function.
 */
import type { Table } from "apache-arrow";
import type { TypedArray } from "./columns.js";

/** A row: a plain object of column values. */
export type Row = object;

/** Columns whose values are numbers may come as typed arrays (views of Arrow buffers). */
export type ColumnOf<T> = [T] extends [number]
  ? Float64Array | Float32Array | Int32Array | Int16Array | Int8Array | Uint32Array | Uint16Array | Uint8Array | T[]
  : [T] extends [bigint]
    ? BigInt64Array | BigUint64Array | T[]
    : T[];

/** A "columns" batch of rows of type R. */
export type ColumnsBatch<R> = { [K in keyof R]: ColumnOf<R[K]> };

export type BatchFormat = "columns" | "arrow" | "rows";

/** The batch a function gets in each format. */
export type BatchOf<R, F extends BatchFormat> = F extends "rows" ? R[] : F extends "arrow" ? Table : ColumnsBatch<R>;

type ElementOf<C> = C extends BigInt64Array | BigUint64Array ? bigint : C extends TypedArray ? number : C extends readonly (infer E)[] ? E : unknown;

/** The row type of what a batch function returns: columns, rows, or an Arrow table (rows of unknown shape). */
export type RowOfBatch<B> = B extends Table
  ? Record<string, unknown>
  : B extends readonly (infer E)[]
    ? E
    : B extends object
      ? { [K in keyof B]: ElementOf<B[K]> }
      : never;

/** What a batch function may return: a batch, a promise of one, or a (async) generator of them. */
export type BatchResult<B> = B | Promise<B> | Iterable<B> | AsyncIterable<B>;

/** The batch type inside a BatchResult. */
export type BatchIn<T> = T extends Promise<infer B> ? B : T extends AsyncIterable<infer B> ? B : T extends Generator<infer B> ? B : T;

/** A class whose instances transform batches with `call` (run on an actor pool). */
export interface BatchClass<A extends unknown[], R> {
  new (...args: A): { call(batch: never): R };
}

/** The row type of `data.fromItems(items)`: objects as they are, other values as `{ item }`. */
export type ItemRow<T> = T extends Row ? T : { item: T };

/** Flattens an intersection for readable hover types. */
export type Simplify<T> = { [K in keyof T]: T[K] } & {};

/**
 * Where datasets come from: `range`, `fromItems`, `fromArrow` (put into the object store
 * now) and `readParquet`, `readCsv`, `readJson` (files, folders or globs; read by tasks, one
 * per file or Parquet row group, when the dataset is consumed).
 */
import { RecordBatch, Table } from "apache-arrow";
import * as lux from "lux";
import { InvalidOptionError } from "lux";
import { isPlainObject, rowsToTable } from "./batch.js";
import { encodeBlock, metaOf, type EncodedBlock } from "./block.js";
import { Dataset } from "./dataset.js";
import type { StoredBlock } from "./plan.js";
import { RANGE_TYPE } from "./read-tables.js";
import { expandPaths } from "./sources/paths.js";
import type { ReadTaskSpec, SourceSpec } from "./sources/source-spec.js";
import type { ItemRow, Row, Simplify } from "./types.js";

/** Default number of read tasks of `range`. */
const DEFAULT_PARALLELISM = 16;

function checkParallelism(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) throw new InvalidOptionError({ option: "parallelism", expected: "an integer >= 1", received: value });
  return value;
}

/** Rows `{ id }` for ids 0 … n-1, read by `parallelism` tasks (16 by default). */
export function range(n: number, options: { parallelism?: number } = {}): Dataset<{ id: number }> {
  if (!Number.isInteger(n) || n < 0) throw new InvalidOptionError({ option: "n", expected: "an integer >= 0", received: n });
  const parallelism = Math.max(1, Math.min(n, checkParallelism(options.parallelism) ?? DEFAULT_PARALLELISM));
  const tasks: ReadTaskSpec[] = Array.from({ length: parallelism }, (_, i) => ({
    kind: "range",
    start: Math.floor((i * n) / parallelism),
    end: Math.floor(((i + 1) * n) / parallelism),
  }));
  const source: SourceSpec = {
    name: "ReadRange",
    format: "range",
    tasks: tasks.filter((t) => t.kind === "range" && t.end > t.start),
    files: [],
    columns: undefined,
    schema: [{ name: "id", type: n <= 2 ** 31 ? RANGE_TYPE : "Float64" }],
    numRows: n,
  };
  return new Dataset({ op: "read", source });
}

function putBlock(table: Table): StoredBlock {
  const block = encodeBlock(table);
  return { ref: lux.put(block) as lux.ObjectRef<EncodedBlock>, meta: metaOf(table, block) };
}

/** The items as rows (objects as they are, other values as `{ item }`), in `parallelism` blocks (16 by default). */
export function fromItems<T>(items: readonly T[], options: { parallelism?: number } = {}): Dataset<Simplify<ItemRow<T>>> {
  if (!Array.isArray(items)) throw new TypeError(`data.fromItems() takes an array of items, got ${typeof items}`);
  const rows = items.map((x) => (isPlainObject(x) ? x : { item: x }));
  const parallelism = Math.max(1, Math.min(rows.length, checkParallelism(options.parallelism) ?? DEFAULT_PARALLELISM));
  const blocks: StoredBlock[] = [];
  for (let i = 0; i < parallelism; i++) {
    const part = rows.slice(Math.floor((i * rows.length) / parallelism), Math.floor(((i + 1) * rows.length) / parallelism));
    blocks.push(putBlock(rowsToTable(part, "fromItems")));
  }
  return new Dataset({ op: "input", name: "FromItems", blocks });
}

/** Arrow tables (or record batches), one block each. */
export function fromArrow(tables: Table | RecordBatch | readonly (Table | RecordBatch)[]): Dataset<Record<string, unknown>> {
  const list = Array.isArray(tables) ? tables : [tables];
  const blocks = list.map((t) => {
    if (!(t instanceof Table) && !(t instanceof RecordBatch)) throw new TypeError("data.fromArrow() takes Arrow tables or record batches");
    return putBlock(t instanceof Table ? t : new Table(t));
  });
  return new Dataset({ op: "input", name: "FromArrow", blocks });
}

function fileSource(name: string, format: "csv" | "json" | "parquet", files: string[], tasks: ReadTaskSpec[] | undefined, columns?: readonly string[]): SourceSpec {
  return { name, format, tasks, files, columns, schema: undefined, numRows: undefined };
}

/** Parquet files: one read task per row group; `columns` reads only those. */
export function readParquet<R extends Row = Record<string, unknown>>(paths: string | readonly string[], options: { columns?: readonly string[] } = {}): Dataset<R> {
  const files = expandPaths(paths, ".parquet");
  return new Dataset<R>({ op: "read", source: fileSource("ReadParquet", "parquet", files, undefined, options.columns) });
}

export interface ReadCsvOptions {
  /** The field separator; default ",". */
  delimiter?: string;
  /** Whether the first line names the columns (default true); else they are column0, column1, …. */
  header?: boolean;
  /** A row whose field count is not the header's: "error" (default, InvalidRowError naming file:line) or "skip". */
  invalidRows?: "error" | "skip";
}

/** CSV files: one read task per file; numbers and true/false are typed per column, an empty field is null. */
export function readCsv<R extends Row = Record<string, unknown>>(paths: string | readonly string[], options: ReadCsvOptions = {}): Dataset<R> {
  const delimiter = options.delimiter ?? ",";
  if (typeof delimiter !== "string" || delimiter.length === 0) throw new InvalidOptionError({ option: "delimiter", expected: "a non-empty string", received: delimiter });
  const invalidRows = options.invalidRows ?? "error";
  if (invalidRows !== "error" && invalidRows !== "skip") throw new InvalidOptionError({ option: "invalidRows", expected: '"error" or "skip"', received: invalidRows });
  const files = expandPaths(paths, ".csv");
  const tasks = files.map((path): ReadTaskSpec => ({ kind: "csv", path, delimiter, header: options.header ?? true, invalidRows }));
  return new Dataset<R>({ op: "read", source: fileSource("ReadCSV", "csv", files, tasks) });
}

/** JSON files: JSON Lines (one object per line) or one array of objects; one read task per file. */
export function readJson<R extends Row = Record<string, unknown>>(paths: string | readonly string[]): Dataset<R> {
  const files = expandPaths(paths, ".json");
  const tasks = files.map((path): ReadTaskSpec => ({ kind: "json", path }));
  return new Dataset<R>({ op: "read", source: fileSource("ReadJSON", "json", files, tasks) });
}

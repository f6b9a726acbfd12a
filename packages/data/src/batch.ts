/**
 * Batches as users' functions see them, and back to Arrow tables: "columns" (an object of
 * columns), "arrow" (an Arrow Table), "rows" (an array of plain objects). Whatever a function
 * returns is checked here: not a batch, or columns of unequal lengths, is InvalidBatchError
 * naming the operator.
 */
import { RecordBatch, Table, type Vector } from "apache-arrow";
import { InvalidBatchError } from "lux";
import { columnValues, columnVector, type Column } from "./columns.js";

export type BatchFormat = "columns" | "arrow" | "rows";
export const BATCH_FORMATS: readonly BatchFormat[] = ["columns", "arrow", "rows"];

/** A "columns" batch: each column an array or a typed array, all of one length. */
export type Columns = Record<string, Column>;

export function tableToColumns(table: Table): Columns {
  const out: Columns = {};
  for (const field of table.schema.fields) out[field.name] = columnValues(table.getChild(field.name) as Vector);
  return out;
}

export function tableToRows(table: Table): Record<string, unknown>[] {
  const columns = tableToColumns(table);
  const names = Object.keys(columns);
  const rows: Record<string, unknown>[] = new Array(table.numRows);
  for (let i = 0; i < table.numRows; i++) {
    const row: Record<string, unknown> = {};
    for (const name of names) row[name] = (columns[name] as Column)[i];
    rows[i] = row;
  }
  return rows;
}

export function toFormat(table: Table, format: BatchFormat): unknown {
  if (format === "arrow") return table;
  if (format === "rows") return tableToRows(table);
  return tableToColumns(table);
}

/** A "columns" batch as a table; unequal lengths or bad values are InvalidBatchError of `operator`. */
export function columnsToTable(columns: Columns, operator: string): Table {
  const names = Object.keys(columns);
  const lengths = names.map((n) => lengthOf(columns[n]));
  if (lengths.some((l) => l === undefined)) {
    const bad = names[lengths.indexOf(undefined)] as string;
    throw new InvalidBatchError({ operator, problem: `column "${bad}" that is not an array or a typed array (${describe(columns[bad])})` });
  }
  if (new Set(lengths).size > 1) {
    const list = names.map((n, i) => `${n} ${lengths[i]}`).join(", ");
    throw new InvalidBatchError({ operator, problem: `columns of unequal lengths: ${list}` });
  }
  const vectors: Record<string, Vector> = {};
  for (const name of names) {
    try {
      vectors[name] = columnVector(name, columns[name] as Column);
    } catch (e) {
      throw new InvalidBatchError({ operator, problem: (e as Error).message, cause: e });
    }
  }
  return new Table(vectors);
}

/** Rows (plain objects) as a table; the columns are the union of the rows' keys, in first-seen order. */
export function rowsToTable(rows: readonly unknown[], operator: string): Table {
  const names: string[] = [];
  const seen = new Set<string>();
  for (const [i, row] of rows.entries()) {
    if (!isPlainObject(row)) throw new InvalidBatchError({ operator, problem: `row ${i} that is not a plain object (${describe(row)})` });
    for (const k of Object.keys(row)) if (!seen.has(k)) (seen.add(k), names.push(k));
  }
  const columns: Columns = {};
  for (const name of names) columns[name] = rows.map((r) => (r as Record<string, unknown>)[name] ?? null);
  if (rows.length === 0) return new Table();
  return columnsToTable(columns, operator);
}

/** What a batch function returned, as a table: a Table, a RecordBatch, an array of rows or a columns object. */
export function batchToTable(value: unknown, operator: string): Table {
  if (value instanceof Table) return value;
  if (value instanceof RecordBatch) return new Table(value);
  if (Array.isArray(value)) return rowsToTable(value, operator);
  if (isPlainObject(value)) return columnsToTable(value as Columns, operator);
  throw new InvalidBatchError({ operator, problem: `${describe(value)}, not a batch` });
}

function lengthOf(c: unknown): number | undefined {
  if (Array.isArray(c)) return c.length;
  if (ArrayBuffer.isView(c) && !(c instanceof DataView)) return (c as Uint8Array).length;
  return undefined;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== "object") return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

export function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === "object") return `an object of class ${(v as object).constructor?.name ?? "none"}`;
  return `a ${typeof v}`;
}

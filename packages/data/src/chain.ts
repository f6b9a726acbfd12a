/**
 * Runs a fused chain of map steps on tables, inside a task or an actor: each step's user
 * function is loaded once (lux.loadShipped), rows and batches are made from the Arrow data
 * as the step asks, and what the function returns is checked and made a table again.
 */
import { Table } from "apache-arrow";
import * as lux from "lux";
import { InvalidBatchError } from "lux";
import { batchToTable, isPlainObject, rowsToTable, tableToColumns, tableToRows, toFormat, describe } from "./batch.js";
import { concatTables, sliceRows } from "./block.js";
import { columnVector, type Column } from "./columns.js";
import type { MapOp } from "./plan.js";
import { checkColumns, schemaOf } from "./schema.js";
import { takeRows } from "./take.js";
import { writeTable } from "./write-files.js";

type Fn = (...args: unknown[]) => unknown;

/** A step with its function loaded. */
interface Loaded {
  readonly op: MapOp;
  readonly fn: Fn | undefined;
}

/** Loads each step's function; a class UDF's step is left to the actor that holds the instance. */
export async function loadChain(chain: readonly MapOp[]): Promise<Loaded[]> {
  return Promise.all(
    chain.map(async (op) => {
      if (!("fn" in op) || (op.kind === "mapBatches" && op.isClass)) return { op, fn: undefined };
      return { op, fn: (await lux.loadShipped(op.fn)) as unknown as Fn };
    }),
  );
}

/** The chain applied to one table: the tables it gives (a step may give several, e.g. small batches). */
export async function applyChain(table: Table, steps: readonly Loaded[], callClass?: Fn, blockId = "0"): Promise<Table> {
  let current = table;
  for (const step of steps) current = await applyStep(current, step, callClass, blockId);
  return current;
}

async function applyStep(table: Table, { op, fn }: Loaded, callClass: Fn | undefined, blockId: string): Promise<Table> {
  switch (op.kind) {
    case "select":
      if (table.numRows > 0) checkColumns(schemaOf(table.schema), op.columns, "selectColumns");
      return table.select([...op.columns]);
    case "drop":
      if (table.numRows > 0) checkColumns(schemaOf(table.schema), op.columns, "dropColumns");
      return table.select(table.schema.names.filter((n) => !op.columns.includes(String(n))) as string[]);
    case "write":
      return writeTable(table, op.spec, blockId);
    case "map":
      return mapRows(table, fn as Fn, op.name);
    case "flatMap":
      return flatMapRows(table, fn as Fn, op.name);
    case "filter":
      return filterRows(table, fn as Fn);
    case "addColumn":
      return addColumn(table, op.column, fn as Fn, op.name);
    case "mapBatches":
      return mapBatches(table, op, (fn ?? callClass) as Fn);
  }
}

async function mapRows(table: Table, fn: Fn, operator: string): Promise<Table> {
  const rows = tableToRows(table);
  const out: unknown[] = new Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    let r = fn(rows[i]);
    if (r instanceof Promise) r = await r;
    if (!isPlainObject(r)) throw new InvalidBatchError({ operator, problem: `${describe(r)} for row ${i}, not a row (a plain object)` });
    out[i] = r;
  }
  return rows.length === 0 ? table : rowsToTable(out, operator);
}

async function flatMapRows(table: Table, fn: Fn, operator: string): Promise<Table> {
  const out: unknown[] = [];
  for (const [i, row] of tableToRows(table).entries()) {
    let r = fn(row);
    if (r instanceof Promise) r = await r;
    if (!Array.isArray(r)) throw new InvalidBatchError({ operator, problem: `${describe(r)} for row ${i}, not an array of rows` });
    for (const x of r) out.push(x);
  }
  return out.length === 0 ? table.slice(0, 0) : rowsToTable(out, operator);
}

async function filterRows(table: Table, fn: Fn): Promise<Table> {
  const keep: number[] = [];
  for (const [i, row] of tableToRows(table).entries()) {
    let r = fn(row);
    if (r instanceof Promise) r = await r;
    if (r) keep.push(i);
  }
  return takeRows(table, keep);
}

async function addColumn(table: Table, column: string, fn: Fn, operator: string): Promise<Table> {
  let values = fn(tableToColumns(table));
  if (values instanceof Promise) values = await values;
  const length = Array.isArray(values) ? values.length : ArrayBuffer.isView(values) ? (values as Uint8Array).length : undefined;
  if (length !== table.numRows) {
    throw new InvalidBatchError({ operator, problem: `${describe(values)} for column "${column}", where the batch has ${table.numRows} rows` });
  }
  const vectors = Object.fromEntries(table.schema.fields.map((f) => [f.name, table.getChild(f.name)]));
  try {
    vectors[column] = columnVector(column, values as Column);
  } catch (e) {
    throw new InvalidBatchError({ operator, problem: (e as Error).message, cause: e });
  }
  return new Table(vectors as never);
}

async function mapBatches(table: Table, op: Extract<MapOp, { kind: "mapBatches" }>, fn: Fn): Promise<Table> {
  const outputs: Table[] = [];
  for (const batch of sliceRows(table, op.batchSize ?? Math.max(1, table.numRows))) {
    let r = fn(toFormat(batch, op.batchFormat));
    if (r instanceof Promise) r = await r;
    if (isIterable(r)) {
      for await (const item of r as AsyncIterable<unknown>) outputs.push(batchToTable(item, op.name));
    } else {
      outputs.push(batchToTable(r, op.name));
    }
  }
  return concatTables(outputs);
}

/** A generator's result (sync or async): the function yields batches. */
function isIterable(v: unknown): boolean {
  if (v === null || typeof v !== "object" || typeof (v as { next?: unknown }).next !== "function") return false;
  return Symbol.asyncIterator in v || Symbol.iterator in v;
}

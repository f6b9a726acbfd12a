/**
 * A block: an Arrow table (one record batch, usually) that travels through the object store
 * as Arrow IPC stream bytes, so a reader on the same node decodes views of the store's pages
 * instead of copies. Its metadata (rows, bytes, schema) travels beside it, small and inline.
 */
import { Table, tableFromIPC, tableToIPC } from "apache-arrow";
import { schemaOf, type SchemaFields } from "./schema.js";

/** The encoded form of a block: Arrow IPC stream bytes. */
export type BlockBytes = Uint8Array;

/** What the executor knows of a block without fetching it. */
export interface BlockMeta {
  readonly numRows: number;
  readonly sizeBytes: number;
  readonly schema: SchemaFields;
  /** For a block read from a CSV or JSON file: the file and its own schema (checked against the first file's). */
  readonly origin?: { readonly file: string; readonly schema: SchemaFields };
}

export function encodeBlock(table: Table): BlockBytes {
  return tableToIPC(table, "stream");
}

export function decodeBlock(bytes: BlockBytes): Table {
  return tableFromIPC(bytes);
}

export function metaOf(table: Table, bytes: BlockBytes): BlockMeta {
  return { numRows: table.numRows, sizeBytes: bytes.byteLength, schema: schemaOf(table.schema) };
}

/** The tables as one (their schemas must match; the caller checked). */
export function concatTables(tables: readonly Table[]): Table {
  const nonEmpty = tables.filter((t) => t.numRows > 0);
  const first = nonEmpty[0] ?? tables[0];
  if (first === undefined) return new Table();
  if (nonEmpty.length <= 1) return first;
  return first.concat(...nonEmpty.slice(1));
}

/** Cuts a table into tables of at most `rows` rows (views, no copy). */
export function* sliceRows(table: Table, rows: number): Generator<Table> {
  if (table.numRows <= rows) {
    yield table;
    return;
  }
  for (let start = 0; start < table.numRows; start += rows) yield table.slice(start, Math.min(table.numRows, start + rows));
}

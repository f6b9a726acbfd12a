/**
 * Parquet with hyparquet: footers read in the driver (one read task per row group, the
 * files' schemas compared with the first's), row groups read in workers, column by column,
 * into Arrow vectors of the columns' own types. ZSTD, gzip, brotli, LZ4 and Snappy pages are
 * read (hyparquet-compressors).
 */
import { asyncBufferFromFile, parquetMetadataAsync, parquetRead, parquetSchema, type FileMetaData, type SchemaElement } from "hyparquet";
import { compressors } from "hyparquet-compressors";
import {
  Bool,
  Float32,
  Float64,
  Int32,
  Int64,
  Table,
  TimestampMicrosecond,
  TimestampMillisecond,
  Utf8,
  makeVector,
  vectorFromArray,
  type DataType,
  type Vector,
} from "apache-arrow";
import { columnVector } from "../columns.js";
import { checkColumns, checkSameSchema, type SchemaFields } from "../schema.js";
import { readFlatColumn, rowGroupAt } from "./parquet-flat.js";
import type { ReadTaskSpec } from "./source-spec.js";

/** The Arrow type a Parquet leaf column is read as (undefined: inferred from its values). */
function arrowType(e: SchemaElement): DataType | undefined {
  const logical = e.logical_type?.type;
  if (e.type === "BYTE_ARRAY" && (e.converted_type === "UTF8" || logical === "STRING" || logical === "JSON")) return new Utf8();
  if (e.type === "INT64" && (logical === "TIMESTAMP" || e.converted_type === "TIMESTAMP_MILLIS" || e.converted_type === "TIMESTAMP_MICROS")) {
    return new TimestampMillisecond();
  }
  switch (e.type) {
    case "BOOLEAN":
      return new Bool();
    case "INT32":
      return plainInteger(e, 32) ? new Int32() : undefined;
    case "INT64":
      return plainInteger(e, 64) ? new Int64() : undefined;
    case "FLOAT":
      return new Float32();
    case "DOUBLE":
      return new Float64();
    default:
      return undefined;
  }
}

/** A signed integer of the physical type's own width: no annotation, or one that says just that (DuckDB writes INT_32). */
function plainInteger(e: SchemaElement, bits: 32 | 64): boolean {
  const logical = e.logical_type;
  const convertedOk = e.converted_type === undefined || e.converted_type === `INT_${bits}`;
  const logicalOk = logical === undefined || (logical.type === "INTEGER" && logical.bitWidth === bits && logical.isSigned);
  return convertedOk && logicalOk;
}

interface FileInfo {
  readonly metadata: FileMetaData;
  readonly schema: SchemaFields;
  readonly rowGroups: readonly { rowStart: number; rowEnd: number }[];
}

export async function readFooter(path: string): Promise<FileInfo> {
  const metadata = await parquetMetadataAsync(await asyncBufferFromFile(path));
  const leaves = parquetSchema(metadata).children;
  const schema = leaves.map((c) => ({ name: c.element.name, type: String(arrowType(c.element) ?? c.element.type ?? "Struct") }));
  let start = 0;
  const rowGroups = metadata.row_groups.map((g) => {
    const rows = Number(g.num_rows);
    const group = { rowStart: start, rowEnd: start + rows };
    start += rows;
    return group;
  });
  return { metadata, schema, rowGroups };
}

/** Read tasks (one per row group) of the files, after checking they share the first file's schema. */
export async function planParquet(files: readonly string[], columns: readonly string[] | undefined): Promise<{ tasks: ReadTaskSpec[]; schema: SchemaFields; numRows: number }> {
  const infos = await Promise.all(files.map(readFooter));
  const first = infos[0] as FileInfo;
  for (const [i, info] of infos.entries()) {
    if (i > 0) checkSameSchema(info.schema, first.schema, `file "${files[i]}"`, `file "${files[0]}" (the first)`);
  }
  if (columns !== undefined) checkColumns(first.schema, columns, "readParquet({ columns })");
  const tasks: ReadTaskSpec[] = [];
  let numRows = 0;
  for (const [i, info] of infos.entries()) {
    for (const g of info.rowGroups) {
      tasks.push({ kind: "parquet", path: files[i] as string, rowStart: g.rowStart, rowEnd: g.rowEnd, columns });
      numRows += g.rowEnd - g.rowStart;
    }
  }
  const schema = columns === undefined ? first.schema : columns.map((c) => first.schema.find((f) => f.name === c) as SchemaFields[number]);
  return { tasks, schema, numRows };
}

/** One row group of a file as a table (run in a read task). */
export async function readParquetRows(spec: Extract<ReadTaskSpec, { kind: "parquet" }>): Promise<Table> {
  const file = await asyncBufferFromFile(spec.path);
  const metadata = await parquetMetadataAsync(file);
  const leaves = parquetSchema(metadata).children;
  const wanted = spec.columns ?? leaves.map((c) => c.element.name);
  const typeOf = (name: string): DataType | undefined => {
    const element = leaves.find((c) => c.element.name === name)?.element;
    return element === undefined ? undefined : arrowType(element);
  };
  const group = rowGroupAt(metadata, spec.rowStart, spec.rowEnd);
  const vectors = new Map<string, Vector>();
  for (const name of wanted) {
    const flat = group < 0 ? undefined : await readFlatColumn(file, metadata, group, name, typeOf(name));
    if (flat !== undefined) vectors.set(name, flat);
  }
  const rest = wanted.filter((name) => !vectors.has(name));
  if (rest.length > 0) {
    const chunks = new Map<string, { rowStart: number; data: ArrayLike<unknown> }[]>();
    await parquetRead({
      file,
      metadata,
      compressors,
      columns: rest,
      rowStart: spec.rowStart,
      rowEnd: spec.rowEnd,
      onChunk: (c) => {
        const list = chunks.get(c.columnName) ?? [];
        list.push({ rowStart: c.rowStart, data: c.columnData as ArrayLike<unknown> });
        chunks.set(c.columnName, list);
      },
    });
    for (const name of rest) vectors.set(name, vectorOf(name, rowsOf(chunks.get(name) ?? [], spec.rowStart, spec.rowEnd), typeOf(name)));
  }
  return new Table(Object.fromEntries(wanted.map((name) => [name, vectors.get(name) as Vector])));
}

/** The column's values for rows [start, end) from its decoded chunks (which may reach outside it). */
function rowsOf(chunks: readonly { rowStart: number; data: ArrayLike<unknown> }[], start: number, end: number): ArrayLike<unknown> {
  const sorted = [...chunks].sort((a, b) => a.rowStart - b.rowStart);
  if (sorted.length === 1) {
    const only = sorted[0] as { rowStart: number; data: ArrayLike<unknown> & { slice?: (a: number, b: number) => ArrayLike<unknown> } };
    const from = start - only.rowStart;
    if (from === 0 && only.data.length === end - start) return only.data;
    if (typeof only.data.slice === "function") return only.data.slice(from, from + end - start);
  }
  const out: unknown[] = [];
  for (const c of sorted) {
    for (let i = 0; i < c.data.length; i++) {
      const row = c.rowStart + i;
      if (row >= start && row < end) out.push(c.data[i]);
    }
  }
  return out;
}

function vectorOf(name: string, values: ArrayLike<unknown>, type: DataType | undefined): Vector {
  if (ArrayBuffer.isView(values) && type !== undefined && !(type instanceof Bool) && !(type instanceof TimestampMillisecond) && !(type instanceof TimestampMicrosecond)) {
    return makeVector(values as Float64Array);
  }
  const list = Array.from(values, (v) => (v === undefined ? null : v));
  if (type instanceof TimestampMillisecond || type instanceof TimestampMicrosecond) {
    return vectorFromArray(list.map((v) => (v instanceof Date ? v.getTime() : v === null ? null : Number(v))), new TimestampMillisecond());
  }
  if (type !== undefined) return vectorFromArray(list, type);
  return columnVector(name, list);
}

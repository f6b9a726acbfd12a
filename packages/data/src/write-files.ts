/**
 * Writing one block to one file, in the task that made it: Parquet (hyparquet-writer),
 * CSV (csv-stringify; booleans as true/false, timestamps as ISO 8601), JSON Lines. The
 * step's output is a one-row table naming the file, so a write's result can be counted.
 */
import { mkdir, writeFile } from "node:fs/promises";
import * as path from "node:path";
import { stringify } from "csv-stringify/sync";
import { Table, Type, type DataType } from "apache-arrow";
import { parquetWriteBuffer } from "hyparquet-writer";
import { tableToColumns, tableToRows } from "./batch.js";
import { columnsToTable } from "./batch.js";
import type { WriteSpec } from "./write-spec.js";

const EXTENSIONS = { parquet: "parquet", csv: "csv", json: "json" } as const;

export async function writeTable(table: Table, spec: WriteSpec, blockId: string): Promise<Table> {
  await mkdir(spec.dir, { recursive: true });
  const file = path.join(spec.dir, `${spec.prefix}_${blockId}.${EXTENSIONS[spec.format]}`);
  await writeFile(file, encode(table, spec.format));
  return columnsToTable({ path: [file], rows: [table.numRows] }, "Write");
}

function encode(table: Table, format: WriteSpec["format"]): Uint8Array | string {
  if (format === "json") return tableToRows(table).map((r) => JSON.stringify(r, jsonValue)).join("\n") + (table.numRows > 0 ? "\n" : "");
  if (format === "csv") return csvOf(table);
  return new Uint8Array(parquetWriteBuffer({ columnData: parquetColumns(table) }));
}

function jsonValue(_key: string, v: unknown): unknown {
  return typeof v === "bigint" ? Number(v) : v;
}

function csvOf(table: Table): string {
  const names = table.schema.names.map(String);
  const rows = tableToRows(table).map((r) => names.map((n) => csvField(r[n])));
  return stringify([names, ...rows]);
}

function csvField(v: unknown): string {
  if (v === null || v === undefined) return "";
  if (v instanceof Date) return v.toISOString();
  if (typeof v === "boolean") return v ? "true" : "false";
  if (typeof v === "object") return JSON.stringify(v, jsonValue);
  return String(v);
}

type ParquetColumn = Parameters<typeof parquetWriteBuffer>[0]["columnData"][number];

function parquetColumns(table: Table): ParquetColumn[] {
  const columns = tableToColumns(table);
  return table.schema.fields.map((f) => {
    const data = columns[f.name] as ArrayLike<unknown>;
    const type = parquetType(f.type as DataType);
    return (type === undefined ? { name: f.name, data: Array.from(data) } : { name: f.name, data: Array.from(data), type }) as ParquetColumn;
  });
}

function parquetType(type: DataType): string | undefined {
  switch (type.typeId) {
    case Type.Float:
      return String(type) === "Float32" ? "FLOAT" : "DOUBLE";
    case Type.Int:
      return String(type) === "Int64" || String(type) === "Uint64" ? "INT64" : "INT32";
    case Type.Bool:
      return "BOOLEAN";
    case Type.Utf8:
    case Type.Dictionary:
      return "STRING";
    case Type.Timestamp:
    case Type.Date:
      return "TIMESTAMP";
    default:
      return undefined;
  }
}

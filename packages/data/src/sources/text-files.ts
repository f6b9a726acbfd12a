/**
 * CSV (csv-parse) and JSON (JSON Lines, or one array of objects) files, read whole by one
 * task each. CSV fields are typed per column: numbers when every non-empty field of the
 * column is one, booleans for true/false, else strings; an empty field is null.
 */
import { readFile } from "node:fs/promises";
import { parse } from "csv-parse/sync";
import type { Table } from "apache-arrow";
import { InvalidRowError } from "lux";
import { columnsToTable, rowsToTable } from "../batch.js";
import type { ReadTaskSpec } from "./source-spec.js";

type CsvSpec = Extract<ReadTaskSpec, { kind: "csv" }>;

export async function readCsvTable(spec: CsvSpec): Promise<Table> {
  const text = await readFile(spec.path, "utf8");
  const records = parse(text, { delimiter: spec.delimiter, relax_column_count: true, skip_empty_lines: true, info: true }) as unknown as { record: string[]; info: { lines: number } }[];
  const first = records[0];
  if (first === undefined) return columnsToTable({}, `ReadCSV(${spec.path})`);
  const header = spec.header ? first.record : first.record.map((_, i) => `column${i}`);
  const body = spec.header ? records.slice(1) : records;
  const columns: Record<string, string[]> = Object.fromEntries(header.map((h) => [h, [] as string[]]));
  for (const { record, info } of body) {
    if (record.length !== header.length) {
      if (spec.invalidRows === "skip") continue;
      throw new InvalidRowError({ file: spec.path, line: info.lines, expected: header.length, found: record.length });
    }
    for (const [i, h] of header.entries()) (columns[h] as string[]).push(record[i] as string);
  }
  const typed = Object.fromEntries(Object.entries(columns).map(([k, v]) => [k, typeColumn(v)]));
  return columnsToTable(typed, `ReadCSV(${spec.path})`);
}

const NUMBER = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;

function typeColumn(fields: readonly string[]): unknown[] {
  const present = fields.filter((f) => f !== "");
  if (present.length > 0 && present.every((f) => NUMBER.test(f))) return fields.map((f) => (f === "" ? null : Number(f)));
  if (present.length > 0 && present.every((f) => f === "true" || f === "false")) return fields.map((f) => (f === "" ? null : f === "true"));
  return fields.map((f) => (f === "" ? null : f));
}

export async function readJsonTable(spec: Extract<ReadTaskSpec, { kind: "json" }>): Promise<Table> {
  const text = await readFile(spec.path, "utf8");
  const trimmed = text.trimStart();
  let rows: unknown[];
  if (trimmed.startsWith("[")) {
    rows = JSON.parse(text) as unknown[];
  } else {
    rows = [];
    for (const [i, line] of text.split("\n").entries()) {
      if (line.trim() === "") continue;
      try {
        rows.push(JSON.parse(line));
      } catch (e) {
        throw new SyntaxError(`${spec.path}:${i + 1}: ${(e as Error).message}`);
      }
    }
  }
  return rowsToTable(rows, `ReadJSON(${spec.path})`);
}

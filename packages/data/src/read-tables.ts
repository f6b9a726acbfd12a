/** The tables a read task reads, in order (worker side). */
import { Int32, Table, makeVector } from "apache-arrow";
import { readParquetRows } from "./sources/parquet.js";
import type { ReadTaskSpec } from "./sources/source-spec.js";
import { readCsvTable, readJsonTable } from "./sources/text-files.js";

/** Rows per block of `range`: 8 bytes a row, so a block stays near the target size. */
export async function* readTables(spec: ReadTaskSpec, targetBytes: number): AsyncGenerator<Table> {
  switch (spec.kind) {
    case "range": {
      const step = Math.max(1, Math.floor(targetBytes / 8));
      for (let start = spec.start; start < spec.end; start += step) yield rangeTable(start, Math.min(spec.end, start + step));
      return;
    }
    case "parquet":
      yield await readParquetRows(spec);
      return;
    case "csv":
      yield await readCsvTable(spec);
      return;
    case "json":
      yield await readJsonTable(spec);
  }
}

/** `{ id }` for ids [start, end): Int32 while they fit (a view-friendly typed array), else Float64. */
function rangeTable(start: number, end: number): Table {
  const n = end - start;
  if (end <= 2 ** 31) {
    const ids = new Int32Array(n);
    for (let i = 0; i < n; i++) ids[i] = start + i;
    return new Table({ id: makeVector(ids) });
  }
  const ids = new Float64Array(n);
  for (let i = 0; i < n; i++) ids[i] = start + i;
  return new Table({ id: makeVector(ids) });
}

export const RANGE_TYPE = String(new Int32());

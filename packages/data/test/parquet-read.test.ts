/**
 * Reading a Parquet row group into Arrow: flat numeric columns page by page into typed arrays
 * (parquet-flat.ts), the rest through hyparquet's reader; both must give what hyparquet gives.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, test } from "node:test";
import { DuckDBInstance } from "@duckdb/node-api";
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from "hyparquet";
import { compressors } from "hyparquet-compressors";
import { parquetWriteFile } from "hyparquet-writer";
import { tableToRows } from "../src/batch.js";
import { planParquet, readParquetRows } from "../src/sources/parquet.js";

let dir: string;

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "lux-parquet-read-"));
});

after(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

async function duckdb(file: string, select: string, options: string): Promise<void> {
  const db = await DuckDBInstance.create(":memory:");
  const c = await db.connect();
  try {
    await c.run(`COPY (${select}) TO '${file}' (FORMAT parquet, ${options})`);
  } finally {
    c.closeSync();
  }
}

/** Every row group through readParquetRows, against hyparquet's rows. */
async function assertSameAsHyparquet(file: string): Promise<Record<string, unknown>[]> {
  const { tasks } = await planParquet([file], undefined);
  assert.ok(tasks.length > 1, "several row groups");
  const ours: Record<string, unknown>[] = [];
  for (const t of tasks) if (t.kind === "parquet") ours.push(...tableToRows(await readParquetRows(t)));
  const file0 = await asyncBufferFromFile(file);
  const theirs = await parquetReadObjects({ file: file0, metadata: await parquetMetadataAsync(file0), compressors });
  assert.equal(ours.length, theirs.length);
  for (let i = 0; i < ours.length; i++) {
    for (const [k, v] of Object.entries(theirs[i] as Record<string, unknown>)) {
      assert.deepEqual(ours[i]?.[k], v === undefined ? null : v, `row ${i} column ${k}`);
    }
  }
  return ours;
}

describe("Parquet row groups to Arrow", () => {
  test("nullable INTEGER, BIGINT, FLOAT and DOUBLE from DuckDB (dictionary and plain pages, nulls): the same values as hyparquet, typed", async () => {
    const file = path.join(dir, "duck.parquet");
    const select =
      "SELECT (range % 100)::INTEGER AS k, CASE WHEN range % 7 = 0 THEN NULL ELSE range::BIGINT * 3 END AS big, " +
      "(range / 4)::FLOAT AS f, CASE WHEN range % 5 = 0 THEN NULL ELSE range / 3 END::DOUBLE AS d, 'r' || (range % 3) AS s, " +
      // Few distinct values, some null: dictionary pages with definition levels.
      "CASE WHEN range % 11 = 0 THEN NULL ELSE (range % 13)::BIGINT END AS dk, CASE WHEN range % 6 = 0 THEN NULL ELSE (range % 9) / 2 END::DOUBLE AS dd FROM range(50000)";
    await duckdb(file, select, "ROW_GROUP_SIZE 12000");
    const rows = await assertSameAsHyparquet(file);
    assert.equal(rows[7]?.["big"], null);
    assert.equal(rows[8]?.["big"], 24n);
    const { tasks } = await planParquet([file], undefined);
    const table = await readParquetRows(tasks[0] as Extract<(typeof tasks)[number], { kind: "parquet" }>);
    assert.deepEqual(table.schema.fields.map((f) => String(f.type)), ["Int32", "Int64", "Float32", "Float64", "Utf8", "Int64", "Float64"]);
    assert.equal(rows[11]?.["dk"], null);
    assert.equal(rows[12]?.["dk"], 12n);
    assert.equal(rows[6]?.["dd"], null);
    assert.equal(rows[7]?.["dd"], 3.5);
    assert.ok(table.getChild("k")?.toArray() instanceof Int32Array);
  });

  test("required columns of hyparquet-writer's files, and a column subset", async () => {
    const file = path.join(dir, "hw.parquet");
    const n = 30000;
    parquetWriteFile({
      filename: file,
      columnData: [
        { name: "i", data: Int32Array.from({ length: n }, (_, j) => j - 7), type: "INT32" },
        { name: "x", data: Float64Array.from({ length: n }, (_, j) => j / 8), type: "DOUBLE" },
        { name: "o", data: Array.from({ length: n }, (_, j) => (j % 3 === 0 ? null : j)), type: "DOUBLE" },
      ],
      rowGroupSize: 10000,
    });
    await assertSameAsHyparquet(file);
    const { tasks } = await planParquet([file], ["o", "i"]);
    const table = await readParquetRows(tasks[1] as Extract<(typeof tasks)[number], { kind: "parquet" }>);
    assert.deepEqual(table.schema.names, ["o", "i"]);
    assert.deepEqual(tableToRows(table.slice(0, 3)), [{ o: 10000, i: 9993 }, { o: 10001, i: 9994 }, { o: null, i: 9995 }]);
  });
});

/**
 * @lux/data (issue 18, point 11): `npx tsx bench/data.ts` (after a build), on a private
 * cluster of the machine's CPUs.
 *
 * (a) mapBatches rows/s over --rows rows (20M) with a CPU-bound function (~1 µs a row) against
 *     a plain loop in this process over the same Arrow column; and the overhead per 1M-row
 *     block of a function that returns its batch (the pipeline's time less the time to read
 *     the same blocks without it, per block; best of three each, after a first execution that
 *     ships the function, whose time is reported apart).
 * (b) groupBy("k") sum and mean over --group-rows rows (10M) and 1,000 keys read from Parquet,
 *     against a plain loop in this process (hyparquet and a Map) and DuckDB (2 threads, the
 *     same file).
 * (c) Parquet read MB/s (the file's bytes over the time to read every row): @lux/data against
 *     hyparquet in this process.
 *
 * --quick: small sizes, for CI's smoke run (checks it runs, never a speed). --json: one line.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { asyncBufferFromFile, parquetMetadataAsync, parquetRead } from "hyparquet";
import { compressors } from "hyparquet-compressors";
import * as lux from "lux";
import * as data from "@lux/data";
import { cpuBound, identity, work } from "./data-udfs.js";
import { flag } from "./flags.js";

const quick = process.argv.includes("--quick");

function seconds(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return seconds(start);
}

async function drain(ds: data.Dataset<object>): Promise<number> {
  let rows = 0;
  for await (const t of ds.iterBatches({ batchFormat: "arrow", batchSize: null })) rows += t.numRows;
  return rows;
}

/** (a) mapBatches against a plain loop over the same column; the per-block overhead of a trivial function. */
async function mapBatchesBench(rows: number, blockRows: number): Promise<Record<string, number>> {
  const blocks = Math.ceil(rows / blockRows);
  const source = await data.range(rows, { parallelism: blocks }).materialize();
  const column = (await source.toArrow()).getChild("id")?.toArray() as Int32Array;
  const plain = await timed(async () => {
    const y = new Float64Array(column.length);
    for (let i = 0; i < column.length; i++) y[i] = work(column[i] as number);
  });
  await drain(source.mapBatches(cpuBound).limit(blockRows)); // warm the workers
  const pipeline = await timed(() => drain(source.mapBatches(cpuBound)));
  const trivialBlocks = Math.max(2, Math.min(blocks, 20));
  const trivialSource = await data.range(trivialBlocks * 1_000_000, { parallelism: trivialBlocks }).materialize();
  // The first execution of a function ships it and has each worker load it: once per function, not per block.
  const firstUse = await timed(() => drain(trivialSource.mapBatches(identity).limit(1_000_000)));
  // Best of three of each, interleaved: the overhead is a difference of two short timings.
  let copyLoop = Infinity;
  let trivial = Infinity;
  for (let i = 0; i < 3; i++) {
    copyLoop = Math.min(copyLoop, await timed(() => drain(trivialSource)));
    trivial = Math.min(trivial, await timed(() => drain(trivialSource.mapBatches(identity))));
  }
  return {
    map_rows: rows,
    map_rows_per_second: rows / pipeline,
    plain_loop_rows_per_second: rows / plain,
    map_speedup_over_plain_loop: plain / pipeline,
    trivial_overhead_ms_per_1m_block: Math.max(0, ((trivial - copyLoop) * 1000) / trivialBlocks),
    trivial_first_block_ms_with_shipping: firstUse * 1000,
  };
}

async function writeGroupFile(file: string, rows: number): Promise<void> {
  const db = await DuckDBInstance.create(":memory:", { threads: "2" });
  const c = await db.connect();
  const rowGroup = Math.max(10_000, Math.ceil(rows / 16));
  await c.run(`COPY (SELECT (range % 1000)::INTEGER AS k, (range % 977)::DOUBLE AS v FROM range(${rows})) TO '${file}' (FORMAT parquet, ROW_GROUP_SIZE ${rowGroup})`);
  c.closeSync();
}

/** (b) groupBy sum + mean from Parquet: @lux/data, a plain loop (hyparquet + Map), DuckDB. */
async function groupByBench(file: string, rows: number): Promise<Record<string, number>> {
  const lux_s = await timed(async () => {
    const out = await data.readParquet(file).groupBy("k").aggregate(data.sum("v"), data.mean("v")).takeAll();
    if (out.length !== Math.min(1000, rows)) throw new Error(`groupBy gave ${out.length} groups`);
  });
  const loop_s = await timed(async () => {
    const sums = new Map<number, { s: number; n: number }>();
    const buffer = await asyncBufferFromFile(file);
    const metadata = await parquetMetadataAsync(buffer);
    let ks: ArrayLike<number> = [];
    await parquetRead({
      file: buffer,
      metadata,
      compressors,
      columns: ["k", "v"],
      onChunk: (chunk) => {
        if (chunk.columnName === "k") ks = chunk.columnData as ArrayLike<number>;
        else {
          const vs = chunk.columnData as ArrayLike<number>;
          for (let i = 0; i < vs.length; i++) {
            const k = ks[i] as number;
            const g = sums.get(k);
            if (g === undefined) sums.set(k, { s: vs[i] as number, n: 1 });
            else ((g.s += vs[i] as number), g.n++);
          }
        }
      },
    });
    if (sums.size !== Math.min(1000, rows)) throw new Error(`the loop found ${sums.size} groups`);
  });
  const db = await DuckDBInstance.create(":memory:", { threads: "2" });
  const c = await db.connect();
  const duck_s = await timed(() => c.run(`SELECT k, sum(v), avg(v) FROM read_parquet('${file}') GROUP BY k`).then((r) => r.getRows()));
  c.closeSync();
  return { group_rows: rows, group_lux_seconds: lux_s, group_plain_loop_seconds: loop_s, group_duckdb_seconds: duck_s, group_speedup_over_plain_loop: loop_s / lux_s, group_lux_over_duckdb: lux_s / duck_s };
}

/** (c) Parquet read MB/s: every row of the file through @lux/data, and through hyparquet in this process. */
async function readBench(file: string): Promise<Record<string, number>> {
  const mb = fs.statSync(file).size / 1e6;
  const lux_s = await timed(() => drain(data.readParquet(file)));
  const hyp_s = await timed(async () => {
    const buffer = await asyncBufferFromFile(file);
    await parquetRead({ file: buffer, compressors, onChunk: () => undefined });
  });
  return { read_file_mb: mb, read_lux_mb_per_second: mb / lux_s, read_hyparquet_mb_per_second: mb / hyp_s };
}

lux.main(async () => {
  const rows = flag("rows", quick ? 200_000 : 20_000_000);
  const blockRows = flag("block-rows", quick ? 50_000 : 1_000_000);
  const groupRows = flag("group-rows", quick ? 100_000 : 10_000_000);
  data.DataContext.getCurrent().enableProgressBars = false;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lux-bench-data-"));
  await lux.init();
  try {
    const file = path.join(dir, "groups.parquet");
    await writeGroupFile(file, groupRows);
    const r = { ...(await mapBatchesBench(rows, blockRows)), ...(await groupByBench(file, groupRows)), ...(await readBench(file)) };
    if (process.argv.includes("--json")) {
      console.log(JSON.stringify(r));
      return;
    }
    for (const [k, v] of Object.entries(r)) console.log(`${k.padEnd(36)} ${v.toFixed(v < 10 ? 3 : 0).padStart(14)}`);
  } finally {
    await lux.shutdown();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * lux.util.Pool (issue 15, point 11): `Pool.map` of N tiny items (default 100,000: x + 1 each)
 * on a private cluster's CPUs, beside piscina with as many worker threads on the same items,
 * once a task per item (its usual use) and once a task per chunk of Pool.map's default size.
 * Each figure is the median of --runs timed runs after a warm-up (actors, threads and code
 * loaded). `npx tsx bench/util-pool.ts` (after a build).
 *
 * Options: --items N, --runs N (default 3), --quick (2,000 items, one run: a smoke test of the
 * harness, not a measurement), --json (one line of JSON instead of the table).
 */
import { Piscina, version as piscinaVersion } from "piscina";
import * as lux from "lux";
import { flag } from "./flags.js";

/** The tiny item: what Pool.map runs (shipped as lux.remote ships a top-level function). */
export function inc(x: number): number {
  return x + 1;
}

const QUICK = process.argv.includes("--quick");

interface UtilPoolResult {
  items: number;
  processes: number;
  chunksize: number;
  lux_pool_map_seconds: number;
  lux_pool_map_items_per_second: number;
  piscina_per_item_items_per_second: number;
  piscina_chunked_items_per_second: number;
  /** Lux's rate over piscina's per-item rate. */
  lux_share_of_piscina_per_item: number;
}

function seconds(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

function median(xs: readonly number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
}

/** Seconds of each of `runs` timed calls of `body`, after one untimed. */
async function timed(runs: number, body: () => Promise<unknown>): Promise<number> {
  await body();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    await body();
    times.push(seconds(start));
  }
  return median(times);
}

async function luxPool(items: number[], processes: number, runs: number): Promise<number> {
  const pool = new lux.util.Pool({ processes });
  try {
    const check = await pool.map(inc, items.slice(0, 10));
    if (check[9] !== 10) throw new RangeError(`Pool.map returned ${JSON.stringify(check)}`);
    return await timed(runs, () => pool.map(inc, items));
  } finally {
    await pool.terminate();
  }
}

async function piscina(items: number[], threads: number, chunksize: number, runs: number): Promise<{ perItem: number; chunked: number }> {
  // execArgv: [] so the threads do not load tsx (this script's loader): the task is plain JS.
  const pool = new Piscina({ filename: new URL("./util-pool-piscina.mjs", import.meta.url).href, minThreads: threads, maxThreads: threads, execArgv: [] });
  try {
    const perItem = await timed(runs, () => Promise.all(items.map((x) => pool.run(x, { name: "inc" }))));
    const chunks: number[][] = [];
    for (let i = 0; i < items.length; i += chunksize) chunks.push(items.slice(i, i + chunksize));
    const chunked = await timed(runs, () => Promise.all(chunks.map((c) => pool.run(c, { name: "incChunk" }))));
    return { perItem, chunked };
  } finally {
    await pool.destroy();
  }
}

const line = (label: string, value: string, unit: string): void => console.log(`${label.padEnd(40)} ${value.padStart(12)} ${unit}`);
const rate = (n: number): string => Math.round(n).toLocaleString("en-US");

function print(r: UtilPoolResult): void {
  console.log(`Pool.map of ${r.items.toLocaleString("en-US")} tiny items (x + 1) on ${r.processes} processes; node ${process.version}, piscina ${piscinaVersion}`);
  line(`lux Pool.map (chunksize ${r.chunksize.toLocaleString("en-US")})`, rate(r.lux_pool_map_items_per_second), `items/s (${r.lux_pool_map_seconds.toFixed(2)} s)`);
  line(`piscina, a task per item (${r.processes} threads)`, rate(r.piscina_per_item_items_per_second), "items/s");
  line(`piscina, a task per chunk of ${r.chunksize.toLocaleString("en-US")}`, rate(r.piscina_chunked_items_per_second), "items/s");
  line("lux / piscina per item", (100 * r.lux_share_of_piscina_per_item).toFixed(0), "%");
}

lux.main(async () => {
  const n = QUICK ? 2_000 : flag("items", 100_000);
  const runs = QUICK ? 1 : flag("runs", 3);
  const items = Array.from({ length: n }, (_, i) => i);
  await lux.init();
  let result: UtilPoolResult;
  try {
    const processes = Math.max(1, Math.floor((await lux.clusterResources())["CPU"] ?? 1));
    // Pool.map's default: the items spread over four calls per process.
    const chunksize = Math.max(1, Math.ceil(n / (processes * 4)));
    const luxSeconds = await luxPool(items, processes, runs);
    const peer = await piscina(items, processes, chunksize, runs);
    result = {
      items: n,
      processes,
      chunksize,
      lux_pool_map_seconds: luxSeconds,
      lux_pool_map_items_per_second: n / luxSeconds,
      piscina_per_item_items_per_second: n / peer.perItem,
      piscina_chunked_items_per_second: n / peer.chunked,
      lux_share_of_piscina_per_item: peer.perItem / luxSeconds,
    };
  } finally {
    await lux.shutdown();
  }
  if (process.argv.includes("--json")) console.log(JSON.stringify(result));
  else print(result);
});

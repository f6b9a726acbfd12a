/**
 * piscina's column of the peers table (bench/peers/run.ts): a plain pool of 2 worker threads
 * on one machine, for the task workloads only (it has no actors or object store).
 * Prints one JSON line (PeerResult) on stdout, progress on stderr.
 *
 *   npx tsx bench/peers/piscina.ts [--runs N] [--startup-runs N]
 */
import { Piscina, version } from "piscina";
import { Results, flag, measure, median, seconds } from "./measure.js";

const THREADS = 2;
const SYNC_OPS = 2000;
const ASYNC_OPS = 1000;
const filename = new URL("./piscina-noop.mjs", import.meta.url).href;

function pool(): Piscina {
  // execArgv: [] so the threads do not load tsx (this script's loader): the task is plain JS.
  return new Piscina({ filename, name: "noop", minThreads: THREADS, maxThreads: THREADS, execArgv: [] });
}

/** A new pool until the first task's result is back; the median of `runs` after a warm-up. */
async function startup(runs: number): Promise<{ median: number; spread: number }> {
  const times: number[] = [];
  for (let i = 0; i <= runs; i++) {
    const start = process.hrtime.bigint();
    const p = pool();
    await p.run(null);
    const s = seconds(start);
    await p.destroy();
    if (i > 0) times.push(s);
  }
  return { median: median(times), spread: Math.max(...times) / Math.min(...times) };
}

async function main(): Promise<void> {
  const runs = flag("runs", 5);
  const out = new Results("piscina");
  out.add("startup_seconds", await startup(flag("startup-runs", 3)));
  const p = pool();
  try {
    out.add(
      "tasks_sync",
      await measure(runs, SYNC_OPS, async () => {
        for (let i = 0; i < SYNC_OPS; i++) await p.run(null);
      }),
    );
    out.add(
      "tasks_async",
      await measure(runs, ASYNC_OPS, () => Promise.all(Array.from({ length: ASYNC_OPS }, () => p.run(null)))),
    );
  } finally {
    await p.destroy();
  }
  out.print(`piscina ${version}, node ${process.version}`, runs);
}

await main();

/**
 * Lux's column of the peers table (bench/peers/run.ts), through the public `lux` API on a
 * private cluster with 2 CPUs. Prints one JSON line (PeerResult) on stdout, progress on stderr.
 *
 *   npx tsx bench/peers/lux.ts [--runs N] [--startup-runs N]
 */
import * as fs from "node:fs";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import * as lux from "lux";
import { QUICK, Results, flag, measure, median, seconds } from "./measure.js";

const noop = lux.remote(function noop(): number {
  return 0;
});

class Counter {
  n = 0;
  incr(): number {
    return ++this.n;
  }
}
const CounterActor = lux.remote(Counter);

const NUM_CPUS = 2;
const SYNC_OPS = 1000;
const ASYNC_OPS = 1000;
const PUT_GET_OPS = 10_000;
const LARGE_BYTES = (QUICK ? 16 : 256) * 1024 * 1024;

/** A full collection, so refs dropped by the previous run free their objects. */
const gc: () => void = (() => {
  setFlagsFromString("--expose-gc");
  return runInNewContext("gc") as () => void;
})();

/** `lux.init()` on a fresh private cluster until the first task's result is back; the median of `runs` after a warm-up. */
async function startup(runs: number): Promise<{ median: number; spread: number }> {
  const times: number[] = [];
  for (let i = 0; i <= runs; i++) {
    const start = process.hrtime.bigint();
    await lux.init({ numCpus: NUM_CPUS });
    await lux.get(noop.remote());
    const s = seconds(start);
    await lux.shutdown();
    if (i > 0) times.push(s);
  }
  return { median: median(times), spread: Math.max(...times) / Math.min(...times) };
}

lux.main(async () => {
  const runs = flag("runs", 5);
  const out = new Results("lux");
  out.add("startup_seconds", await startup(flag("startup-runs", 3)));

  await lux.init({ numCpus: NUM_CPUS });
  out.add(
    "tasks_sync",
    await measure(runs, SYNC_OPS, async () => {
      for (let i = 0; i < SYNC_OPS; i++) await lux.get(noop.remote());
    }),
  );
  out.add(
    "tasks_async",
    await measure(runs, ASYNC_OPS, () => lux.get(Array.from({ length: ASYNC_OPS }, () => noop.remote()))),
  );
  const actor = CounterActor.remote();
  await lux.get(actor.incr.remote());
  out.add(
    "actor_calls_sync",
    await measure(runs, SYNC_OPS, async () => {
      for (let i = 0; i < SYNC_OPS; i++) await lux.get(actor.incr.remote());
    }),
  );
  out.add(
    "actor_calls_async",
    await measure(runs, ASYNC_OPS, () => lux.get(Array.from({ length: ASYNC_OPS }, () => actor.incr.remote()))),
  );
  // Ray's put/get calls: a small value (ray.put(0); ray.get of one put ref).
  out.add(
    "put_calls",
    await measure(runs, PUT_GET_OPS, async () => {
      for (let i = 0; i < PUT_GET_OPS; i++) lux.put(0);
      await Promise.resolve();
    }),
  );
  const small = lux.put(0);
  out.add(
    "get_calls",
    await measure(runs, PUT_GET_OPS, async () => {
      for (let i = 0; i < PUT_GET_OPS; i++) await lux.get(small);
    }),
  );
  out.add("put_gigabytes", await putGigabytes(runs));

  const pkg = JSON.parse(fs.readFileSync(new URL("../../packages/lux/package.json", import.meta.url), "utf8")) as { version: string };
  out.print(`lux ${pkg.version}, node ${process.version}`, runs);
});

/** lux.put of a 256 MiB Float64Array (16 MiB with --quick) (one copy into the node's shared-memory arena), in GB/s. */
async function putGigabytes(runs: number): Promise<{ median: number; spread: number }> {
  const src = new Float64Array(LARGE_BYTES / 8).fill(1.5);
  const rates: number[] = [];
  for (let i = 0; i <= runs; i++) {
    const start = process.hrtime.bigint();
    lux.put(src); // the ref is dropped at once: the next gc() frees the object
    const s = seconds(start);
    if (i > 0) rates.push(LARGE_BYTES / s / 1e9);
    gc();
    await new Promise((r) => setTimeout(r, 50)); // let the store free the object before the next put
  }
  return { median: median(rates), spread: Math.max(...rates) / Math.min(...rates) };
}

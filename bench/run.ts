/**
 * First single-client microbenchmarks: `npm run bench` (or `npx tsx bench/run.ts`).
 *
 * Each case runs once to warm up, then RUNS times; the median rate is printed.
 *   tasks sync          submit one task, get its result, repeat
 *   tasks async         submit 1,000 tasks, then get all results
 *   actor calls sync    call one actor method, get its result, repeat
 *   actor calls async   1,000 calls in flight on one actor, then get all results
 *
 * Then the object store, with a 256 MiB Float64Array, beside memcpy measured in the same run:
 *   memcpy              copy into an already-used array (warm pages)
 *   put                 lux.put (one copy into the node's shared-memory arena)
 *   get                 lux.get on the same node (a mapping of the arena: no copy)
 *
 * Options: --runs N (default 5), --num-cpus N (default: the number of cores).
 */
import * as os from "node:os";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import * as lux from "lux";

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

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} takes a positive number`);
  return v;
}

interface Case {
  name: string;
  /** Operations per run. */
  ops: number;
  run(): Promise<void>;
}

async function measure(c: Case, runs: number): Promise<number> {
  await c.run(); // warm-up: workers started, code loaded, JIT done
  const rates: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    await c.run();
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    rates.push(c.ops / seconds);
  }
  rates.sort((a, b) => a - b);
  return rates[Math.floor(rates.length / 2)] as number;
}

lux.main(async () => {
  const runs = flag("runs", 5);
  const numCpus = flag("num-cpus", os.availableParallelism());
  await lux.init({ numCpus });
  const actor = CounterActor.remote();
  await lux.get(actor.incr.remote());

  const cases: Case[] = [
    {
      name: "tasks sync",
      ops: 500,
      async run() {
        for (let i = 0; i < 500; i++) await lux.get(noop.remote());
      },
    },
    {
      name: "tasks async",
      ops: 1000,
      async run() {
        await lux.get(Array.from({ length: 1000 }, () => noop.remote()));
      },
    },
    {
      name: "actor calls sync",
      ops: 1000,
      async run() {
        for (let i = 0; i < 1000; i++) await lux.get(actor.incr.remote());
      },
    },
    {
      name: "actor calls async",
      ops: 1000,
      async run() {
        await lux.get(Array.from({ length: 1000 }, () => actor.incr.remote()));
      },
    },
  ];

  console.log(`lux bench: node ${process.version}, ${os.availableParallelism()} cores, numCpus ${numCpus}, median of ${runs} runs after a warm-up`);
  for (const c of cases) {
    const rate = await measure(c, runs);
    console.log(`${c.name.padEnd(20)} ${rate.toFixed(0).padStart(8)} ops/s`);
  }
  await objectStore(runs);
});

/** A full collection, so refs dropped by the previous run free their objects (and warm pages are reused). */
const gc: () => void = (() => {
  setFlagsFromString("--expose-gc");
  return runInNewContext("gc") as () => void;
})();

async function objectStore(runs: number): Promise<void> {
  const bytes = 256 * 1024 * 1024;
  const src = new Float64Array(bytes / 8).fill(1.5);
  const dst = new Float64Array(bytes / 8).fill(0);
  const gbps = (seconds: number): number => bytes / seconds / 1e9;
  const time = async (fn: () => unknown): Promise<number> => {
    const start = process.hrtime.bigint();
    await fn();
    return Number(process.hrtime.bigint() - start) / 1e9;
  };
  const median = (xs: number[]): number => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  const memcpy: number[] = [];
  const put: number[] = [];
  const get: number[] = [];
  for (let i = 0; i <= runs; i++) {
    const m = await time(() => dst.set(src));
    let ref: lux.ObjectRef<Float64Array> | undefined;
    const p = await time(() => (ref = lux.put(src)));
    let view: Float64Array | undefined;
    const g = await time(async () => (view = await lux.get(ref as lux.ObjectRef<Float64Array>)));
    if (view?.[bytes / 8 - 1] !== 1.5) throw new Error("object store bench read a wrong value");
    if (i > 0) (memcpy.push(gbps(m)), put.push(gbps(p)), get.push(gbps(g)));
    ref = undefined;
    view = undefined;
    gc();
    await new Promise((r) => setTimeout(r, 50)); // let the store free the object before the next put
  }
  const copy = median(memcpy);
  console.log(`object store, 256 MiB Float64Array (median of ${runs}):`);
  console.log(`${"memcpy".padEnd(20)} ${copy.toFixed(2).padStart(8)} GB/s`);
  console.log(`${"put".padEnd(20)} ${median(put).toFixed(2).padStart(8)} GB/s  (${((median(put) / copy) * 100).toFixed(0)}% of memcpy)`);
  console.log(`${"get (same node)".padEnd(20)} ${median(get).toFixed(2).padStart(8)} GB/s  (${(median(get) / copy).toFixed(0)}x memcpy: a view, no copy)`);
}

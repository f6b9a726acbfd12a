/**
 * lux.util.collective (issue 15, point 11): allreduce (SUM) of a Float32Array of --mib MiB
 * (default 64) over 4 actors on 2 nodes of a LocalCluster (127.0.0.2 and .3, two actors each),
 * in GB/s (the array's bytes / the time from the driver's 4 calls to their 4 results), beside:
 *   - memcpy: copying an array of that size in this process (TypedArray.set), GB/s;
 *   - a put/get allreduce of the same array: each actor puts its array in the object store,
 *     gets the other three (pulled across nodes by the raylets) and adds them into its own.
 * Each figure is the median of --runs timed runs after a warm-up. `npx tsx bench/collective.ts`
 * (after a build).
 *
 * Options: --mib N, --runs N (default 5), --quick (4 MiB, one run: a smoke test of the harness,
 * not a measurement), --json (one line of JSON instead of the table).
 */
import * as lux from "lux";
import { LocalCluster } from "lux/testing";
import { flag } from "./flags.js";

const QUICK = process.argv.includes("--quick");

/** A rank of the benchmark: holds its array, runs both allreduces. */
export class BenchRank {
  private arr = new Float32Array(0);

  prepare(elements: number): void {
    this.arr = new Float32Array(elements).fill(1);
  }

  reset(): void {
    this.arr.fill(1);
  }

  async allreduce(): Promise<number> {
    await lux.util.collective.allreduce(this.arr, { timeoutMs: 600_000 });
    return this.arr[0] as number;
  }

  /** Puts the array in the object store; the ref is returned inside an array, so it is not resolved. */
  putArray(): [lux.ObjectRef<Float32Array>] {
    return [lux.put(this.arr)];
  }

  /** Gets the others' arrays and adds them into this one. */
  async sumOthers(others: lux.ObjectRef<Float32Array>[]): Promise<number> {
    const arrays = await lux.get(others);
    const out = this.arr;
    for (const a of arrays) {
      for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) + (a[i] as number);
    }
    return out[0] as number;
  }
}

const BenchRankActor = lux.remote(BenchRank).options({ numCpus: 0 });

interface CollectiveResult {
  mib: number;
  ranks: number;
  nodes: number;
  runs: number;
  collective_allreduce_seconds: number;
  collective_allreduce_gb_per_second: number;
  putget_allreduce_seconds: number;
  putget_allreduce_gb_per_second: number;
  memcpy_gb_per_second: number;
  /** How many times faster the collective allreduce is than the put/get one. */
  collective_over_putget: number;
}

function seconds(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

function median(xs: readonly number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
}

/** Median seconds of `runs` timed calls of `body` after one untimed; `reset` runs before each, untimed. */
async function timed(runs: number, reset: () => Promise<unknown>, body: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i <= runs; i++) {
    await reset();
    const start = process.hrtime.bigint();
    await body();
    if (i > 0) times.push(seconds(start));
  }
  return median(times);
}

function memcpyGbPerSecond(bytes: number, runs: number): number {
  const src = new Float32Array(bytes / 4).fill(1);
  const dst = new Float32Array(bytes / 4);
  const times: number[] = [];
  for (let i = 0; i <= Math.max(3, runs); i++) {
    const start = process.hrtime.bigint();
    dst.set(src);
    if (i > 0) times.push(seconds(start));
  }
  return bytes / median(times) / 1e9;
}

async function putGetAllreduce(ranks: lux.ActorHandle<BenchRank>[]): Promise<void> {
  const refs = (await lux.get(ranks.map((r) => r.putArray.remote()))).map(([ref]) => ref);
  const sums = await lux.get(ranks.map((r, i) => r.sumOthers.remote(refs.filter((_, j) => j !== i))));
  if (sums.some((s) => s !== sums[0])) throw new RangeError(`put/get allreduce: ranks disagree: ${sums.join(", ")}`);
  await lux.free(refs);
}

const line = (label: string, value: string, unit: string): void => console.log(`${label.padEnd(44)} ${value.padStart(10)} ${unit}`);

function print(r: CollectiveResult): void {
  console.log(`allreduce (SUM) of a ${r.mib} MiB Float32Array over ${r.ranks} actors on ${r.nodes} nodes; median of ${r.runs} runs; node ${process.version}`);
  line("lux.util.collective.allreduce", r.collective_allreduce_gb_per_second.toFixed(2), `GB/s (${(1000 * r.collective_allreduce_seconds).toFixed(0)} ms)`);
  line("put/get allreduce (put, get the others, add)", r.putget_allreduce_gb_per_second.toFixed(2), `GB/s (${(1000 * r.putget_allreduce_seconds).toFixed(0)} ms)`);
  line("memcpy in one process", r.memcpy_gb_per_second.toFixed(2), "GB/s");
  line("collective / put/get", r.collective_over_putget.toFixed(2), "x (issue 15 asks >= 2)");
}

lux.main(async () => {
  const mib = QUICK ? 4 : flag("mib", 64);
  const runs = QUICK ? 1 : flag("runs", 5);
  const bytes = mib * 1024 * 1024;
  // Room for every rank's put and the copies pulled to the other node, with some to spare.
  const objectStoreMemory = Math.max(256, 8 * mib) * 1024 * 1024;
  const cluster = await LocalCluster.start({ head: { numCpus: 1, nodeIp: "127.0.0.2", resources: { a: 2 }, objectStoreMemory } });
  let result: CollectiveResult;
  try {
    await cluster.addNode({ numCpus: 1, nodeIp: "127.0.0.3", resources: { b: 2 }, objectStoreMemory });
    await lux.init({ address: cluster.address });
    const ranks = ["a", "a", "b", "b"].map((r) => BenchRankActor.options({ resources: { [r]: 1 } }).remote());
    await lux.get(ranks.map((r) => r.prepare.remote(bytes / 4)));
    await lux.util.collective.createCollectiveGroup(ranks);
    const reset = (): Promise<unknown> => lux.get(ranks.map((r) => r.reset.remote()));
    const collective = await timed(runs, reset, async () => {
      const firsts = await lux.get(ranks.map((r) => r.allreduce.remote()));
      if (firsts.some((x) => x !== 4)) throw new RangeError(`allreduce: got ${firsts.join(", ")}, expected 4 on every rank`);
    });
    const putget = await timed(runs, reset, () => putGetAllreduce(ranks));
    result = {
      mib,
      ranks: ranks.length,
      nodes: 2,
      runs,
      collective_allreduce_seconds: collective,
      collective_allreduce_gb_per_second: bytes / collective / 1e9,
      putget_allreduce_seconds: putget,
      putget_allreduce_gb_per_second: bytes / putget / 1e9,
      memcpy_gb_per_second: memcpyGbPerSecond(bytes, runs),
      collective_over_putget: putget / collective,
    };
  } finally {
    await lux.shutdown();
    await cluster.shutdown();
  }
  if (process.argv.includes("--json")) console.log(JSON.stringify(result));
  else print(result);
});

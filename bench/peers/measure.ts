/**
 * What the Node peers (bench/peers/lux.ts, bench/peers/piscina.ts) share with run.ts:
 * the workload names, flags, and the measure loop (a 1 s warm-up, then RUNS timed runs of at
 * least 1 s each, the median). `--quick` shortens both to a smoke test of the harness.
 * bench/peers/dask_bench.py follows the same rules in Python.
 */

/** Workloads of the peers table, in table order. A peer reports the ones it can run. */
export const WORKLOADS = [
  { key: "tasks_sync", label: "tasks sync", unit: "/s", ray: 981 },
  { key: "tasks_async", label: "tasks async", unit: "/s", ray: 8041 },
  { key: "actor_calls_sync", label: "actor calls sync", unit: "/s", ray: 2012 },
  { key: "actor_calls_async", label: "actor calls async", unit: "/s", ray: 8664 },
  { key: "put_calls", label: "put calls", unit: "/s", ray: 5173 },
  { key: "get_calls", label: "get calls", unit: "/s", ray: 10620 },
  { key: "put_gigabytes", label: "put GB/s", unit: "GB/s", ray: 19.9 },
  { key: "startup_seconds", label: "startup (s)", unit: "s", ray: undefined },
] as const;

export type WorkloadKey = (typeof WORKLOADS)[number]["key"];

/** What each peer script prints as the last line of its stdout. */
export interface PeerResult {
  peer: string;
  version: string;
  runs: number;
  /** Median per workload: operations per second, GB/s, or seconds (startup). */
  results: Partial<Record<WorkloadKey, number>>;
  /** Max/min of the timed runs, per workload. */
  spread: Partial<Record<WorkloadKey, number>>;
}

export function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} takes a positive number`);
  return v;
}

export function median(xs: readonly number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

export function seconds(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/** `--quick`: runs of a few milliseconds and small data, to check the harness, not to measure. */
export const QUICK = process.argv.includes("--quick");

/** Seconds of warm-up, and the least seconds of one timed run (as `lux microbenchmark`). */
export const WARMUP_SECONDS = QUICK ? 0 : 1;
export const RUN_SECONDS = QUICK ? 0.01 : 1;

/**
 * Repeats `run` for WARMUP_SECONDS, then `runs` times for at least RUN_SECONDS each;
 * returns the median of `ops / seconds` per timed run and max/min of those rates.
 */
export async function measure(runs: number, ops: number, run: () => Promise<unknown>): Promise<{ median: number; spread: number }> {
  const timed = async (least: number): Promise<number> => {
    const start = process.hrtime.bigint();
    let n = 0;
    do {
      await run();
      n++;
    } while (seconds(start) < least);
    return (n * ops) / seconds(start);
  };
  await timed(WARMUP_SECONDS);
  const values: number[] = [];
  for (let i = 0; i < runs; i++) values.push(await timed(RUN_SECONDS));
  return { median: median(values), spread: Math.max(...values) / Math.min(...values) };
}

/** Collects medians and spreads under workload keys, printing progress to stderr. */
export class Results {
  readonly results: Partial<Record<WorkloadKey, number>> = {};
  readonly spread: Partial<Record<WorkloadKey, number>> = {};

  constructor(private readonly peer: string) {}

  add(key: WorkloadKey, m: { median: number; spread: number }): void {
    this.results[key] = m.median;
    this.spread[key] = m.spread;
    console.error(`${this.peer}: ${key} ${m.median.toPrecision(4)} (spread ${m.spread.toFixed(2)}x)`);
  }

  print(version: string, runs: number): void {
    const out: PeerResult = { peer: this.peer, version, runs, results: this.results, spread: this.spread };
    console.log(JSON.stringify(out));
  }
}

/**
 * `lux microbenchmark`: Ray's microbenchmark workloads on a private cluster, beside the
 * machine's limits (plain Node processes), Ray's published figures and this project's
 * targets (issue 6), plus startup time. See BENCHMARKS.md.
 */
import { spawn } from "node:child_process";
import * as os from "node:os";
import { fileURLToPath } from "node:url";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import "../register-launcher.js";
import * as lux from "@lux/core";
import { CliError } from "../errors.js";
import { memcpy, MEMCPY_BYTES, pipelinedMessages, startEchoPeer, syncRoundTrips } from "./limits.js";
import { workloads, type Prepared, type Workload } from "./workloads.js";

export interface MicrobenchmarkOptions {
  json?: boolean;
  filter?: string;
  quick?: boolean;
}

/** Names of the measurements besides the workloads (they match --filter too). */
const SOCKET_SYNC = "machine_unix_socket_sync_round_trips";
const SOCKET_PIPELINED = "machine_unix_socket_pipelined_messages";
const MEMCPY = "machine_memcpy_gigabytes";
const STARTUP = "startup_seconds";

interface Result {
  name: string;
  unit: string;
  median: number;
  min: number;
  max: number;
  runs: number;
}

/** Ray's published figures (ray microbenchmark, m5.16xlarge, 64 vCPU; RAY-REFERENCE.md §4, issue 6). */
const RAY: Record<string, { value: number; text: string }> = {
  single_client_tasks_sync: { value: 981, text: "981" },
  single_client_tasks_async: { value: 8041, text: "8,041" },
  multi_client_tasks_async: { value: 21230, text: "21,230" },
  "1_1_actor_calls_sync": { value: 2012, text: "2,012" },
  "1_1_actor_calls_async": { value: 8664, text: "8,664" },
  "1_1_actor_calls_concurrent": { value: 5800, text: "5.3–5.8k" },
  "1_1_async_actor_calls_sync": { value: 1400, text: "1.4k" },
  "1_1_async_actor_calls_async": { value: 4260, text: "4,260" },
  "1_n_actor_calls_async": { value: 8000, text: "~8k" },
  n_n_actor_calls_async: { value: 27376, text: "27,376" },
  n_n_actor_calls_with_arg_async: { value: 2700, text: "~2.7k" },
  single_client_put_calls_Plasma_Store: { value: 5173, text: "5,173" },
  single_client_get_calls_Plasma_Store: { value: 10620, text: "10,620" },
  multi_client_put_calls_Plasma_Store: { value: 16500, text: "12–16.5k" },
  single_client_put_gigabytes: { value: 19.9, text: "19.9" },
  multi_client_put_gigabytes: { value: 41, text: "38–41" },
  single_client_wait_1k_refs: { value: 5.1, text: "5.1" },
  single_client_get_object_containing_10k_refs: { value: 13.4, text: "13.4" },
};

/** Issue 6's targets for a 2-core machine; a workload without one must beat Ray's figure. */
interface Target {
  text: string;
  met(r: Result, all: Map<string, Result>): boolean | undefined;
}
const atLeast = (n: number): Target => ({ text: `≥ ${n.toLocaleString("en-US")}`, met: (r) => r.median >= n });
const TARGETS: Record<string, Target> = {
  single_client_tasks_sync: {
    text: "≥ 5,000 and ≥ 25% of sync RT",
    met: (r, all) => {
      const rt = all.get(SOCKET_SYNC);
      return r.median >= 5000 && (rt === undefined ? undefined : r.median >= 0.25 * rt.median);
    },
  },
  single_client_tasks_async: atLeast(20_000),
  multi_client_tasks_async: atLeast(20_000),
  "1_1_actor_calls_sync": atLeast(8000),
  "1_1_actor_calls_async": atLeast(30_000),
  "1_1_async_actor_calls_async": atLeast(20_000),
  n_n_actor_calls_async: atLeast(30_000),
  single_client_put_calls_Plasma_Store: atLeast(50_000),
  single_client_get_calls_Plasma_Store: atLeast(50_000),
  single_client_put_gigabytes: {
    text: "≥ ½ memcpy",
    met: (r, all) => {
      const m = all.get(MEMCPY);
      return m === undefined ? undefined : r.median >= m.median / 2;
    },
  },
  single_client_wait_1k_refs: atLeast(50),
  single_client_get_object_containing_10k_refs: atLeast(50),
  [STARTUP]: { text: "< 1 s", met: (r) => r.median < 1 },
};

/** Which machine limit a workload is shown beside. */
function limitOf(name: string): string | undefined {
  if (name.startsWith("machine_")) return undefined;
  if (name.endsWith("_gigabytes")) return MEMCPY;
  if (name.endsWith("_sync")) return SOCKET_SYNC;
  if (/tasks_async|actor_calls_(async|concurrent|with_arg_async)/.test(name)) return SOCKET_PIPELINED;
  return undefined;
}

const gc: () => void = (() => {
  const existing = (globalThis as { gc?: () => void }).gc;
  if (existing !== undefined) return existing;
  setFlagsFromString("--expose-gc");
  return runInNewContext("gc") as () => void;
})();

function summarize(name: string, unit: string, rates: number[]): Result {
  const sorted = [...rates].sort((a, b) => a - b);
  return {
    name,
    unit,
    median: sorted[Math.floor(sorted.length / 2)] as number,
    min: sorted[0] as number,
    max: sorted[sorted.length - 1] as number,
    runs: sorted.length,
  };
}

interface Plan {
  quick: boolean;
  runs: number;
  /** Minimum seconds of one measured run (steps repeat until it passes). */
  runSeconds: number;
  warmupSeconds: number;
}

async function measure(prepared: Prepared, plan: Plan): Promise<number[]> {
  const until = async (seconds: number, minSteps: number): Promise<number> => {
    const start = process.hrtime.bigint();
    let steps = 0;
    let elapsed = 0;
    do {
      await prepared.step();
      steps++;
      elapsed = Number(process.hrtime.bigint() - start) / 1e9;
    } while (elapsed < seconds || steps < minSteps);
    return (steps * prepared.ops) / elapsed;
  };
  await until(plan.warmupSeconds, prepared.warmupSteps ?? 1);
  const rates: number[] = [];
  for (let i = 0; i < plan.runs; i++) rates.push(await until(plan.runSeconds, 1));
  return rates;
}

async function machineLimits(selected: (name: string) => boolean, plan: Plan, progress: (s: string) => void): Promise<Result[]> {
  const results: Result[] = [];
  if (selected(SOCKET_SYNC) || selected(SOCKET_PIPELINED)) {
    const peer = await startEchoPeer();
    try {
      if (selected(SOCKET_SYNC)) {
        const n = plan.quick ? 1000 : 10_000;
        await syncRoundTrips(peer.socket, n); // warm-up
        const rates: number[] = [];
        for (let i = 0; i < plan.runs; i++) rates.push(await syncRoundTrips(peer.socket, n));
        results.push(summarize(SOCKET_SYNC, "round trips/s", rates));
        progress(SOCKET_SYNC);
      }
      if (selected(SOCKET_PIPELINED)) {
        const n = plan.quick ? 20_000 : 300_000;
        await pipelinedMessages(peer.socket, n);
        const rates: number[] = [];
        for (let i = 0; i < plan.runs; i++) rates.push(await pipelinedMessages(peer.socket, n));
        results.push(summarize(SOCKET_PIPELINED, "messages/s", rates));
        progress(SOCKET_PIPELINED);
      }
    } finally {
      await peer.close();
    }
  }
  if (selected(MEMCPY)) {
    results.push(summarize(MEMCPY, "GB/s", memcpy(plan.quick ? MEMCPY_BYTES / 16 : MEMCPY_BYTES, plan.runs)));
    gc();
    progress(MEMCPY);
  }
  return results;
}

/** One startup in a fresh process; resolves with its seconds. */
function startupOnce(): Promise<number> {
  const child = fileURLToPath(new URL("./startup-child.js", import.meta.url));
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [child], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, LUX_ADDRESS: "" } });
    let out = "";
    let err = "";
    p.stdout.on("data", (d: Buffer) => (out += d.toString("utf8")));
    p.stderr.on("data", (d: Buffer) => (err += d.toString("utf8")));
    const timer = setTimeout(() => p.kill("SIGKILL"), 60_000);
    p.once("error", reject);
    p.once("exit", (code, signal) => {
      clearTimeout(timer);
      const m = out.match(/\{"seconds":[^}]*\}/);
      if (code !== 0 || m === null) reject(new CliError(`the startup measurement failed (${signal ?? `exit ${code}`}): ${err.trim()}`));
      else resolve((JSON.parse(m[0]) as { seconds: number }).seconds);
    });
  });
}

async function startup(plan: Plan): Promise<Result> {
  await startupOnce(); // warm-up: the file system cache, not the process
  const times: number[] = [];
  for (let i = 0; i < (plan.quick ? 1 : plan.runs); i++) times.push(await startupOnce());
  return summarize(STARTUP, "s", times);
}

async function runWorkload(w: Workload, plan: Plan): Promise<Result> {
  const prepared = await w.setup({ cores: os.availableParallelism(), quick: plan.quick });
  try {
    return summarize(w.name, w.unit === "GB" ? "GB/s" : "/s", await measure(prepared, plan));
  } finally {
    await prepared.teardown?.();
    gc();
  }
}

export async function microbenchmark(opts: MicrobenchmarkOptions): Promise<void> {
  let pattern: RegExp | undefined;
  try {
    pattern = opts.filter === undefined ? undefined : new RegExp(opts.filter);
  } catch (e) {
    throw new CliError(`--filter: ${(e as Error).message}`);
  }
  const selected = (name: string): boolean => pattern === undefined || pattern.test(name);
  const quick = opts.quick === true;
  const plan: Plan = quick ? { quick, runs: 3, runSeconds: 0, warmupSeconds: 0 } : { quick, runs: 5, runSeconds: 1, warmupSeconds: 1 };
  const chosen = workloads.filter((w) => selected(w.name));
  const progress = (name: string): void => {
    if (opts.json !== true) process.stderr.write(`  measured ${name}\n`);
  };
  const started = Date.now();

  // The limits and startup first, while no cluster of ours runs.
  const results = await machineLimits(selected, plan, progress);
  if (selected(STARTUP)) {
    results.push(await startup(plan));
    progress(STARTUP);
  }
  if (chosen.length > 0) {
    await lux.init({ address: "" });
    try {
      for (const w of chosen) {
        results.push(await runWorkload(w, plan));
        progress(w.name);
      }
    } finally {
      await lux.shutdown();
    }
  }
  if (results.length === 0) throw new CliError(`--filter ${opts.filter ?? ""} matches no workload`);

  if (opts.json === true) {
    process.stdout.write(`${JSON.stringify(Object.fromEntries(results.map((r) => [r.name, r.median])))}\n`);
    return;
  }
  process.stdout.write(report(results, plan, (Date.now() - started) / 1000));
}

function fmt(n: number): string {
  if (n >= 100) return Math.round(n).toLocaleString("en-US");
  if (n >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

function report(results: Result[], plan: Plan, seconds: number): string {
  const all = new Map(results.map((r) => [r.name, r]));
  const header = ["workload", "Lux median", "min–max", "unit", "machine limit", "% of limit", "Ray (64 vCPU)", "target", "met"];
  const rows: string[][] = [];
  for (const r of results) {
    const limit = limitOf(r.name);
    const l = limit === undefined ? undefined : all.get(limit);
    const target = TARGETS[r.name];
    const met = target?.met(r, all);
    rows.push([
      r.name,
      fmt(r.median),
      `${fmt(r.min)}–${fmt(r.max)}`,
      r.unit,
      l === undefined ? "" : `${fmt(l.median)} ${l.unit}`,
      l === undefined ? "" : `${((r.median / l.median) * 100).toFixed(1)}%`,
      RAY[r.name]?.text ?? (r.name === STARTUP ? "seconds" : ""),
      target?.text ?? (RAY[r.name] !== undefined ? "> Ray" : ""),
      met !== undefined
        ? met
          ? "yes"
          : "NO"
        : target === undefined && RAY[r.name] !== undefined
          ? r.median > (RAY[r.name]?.value ?? 0)
            ? "yes"
            : "NO"
          : "",
    ]);
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? "").length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i === 0 || i >= 6 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number)))
      .join("  ")
      .trimEnd();
  const cores = os.availableParallelism();
  return [
    `lux microbenchmark: node ${process.version}, ${cores} cores, load ${os.loadavg().map((x) => x.toFixed(2)).join(" ")}, ` +
      `median of ${plan.runs} runs after a warm-up${plan.quick ? " (--quick)" : ""}, ${seconds.toFixed(0)} s`,
    line(header),
    ...rows.map(line),
    "",
  ].join("\n");
}

/**
 * Task events and the state API at scale (issue 16, points 3 and 9): `npx tsx bench/state.ts`
 * (after a build). One LocalCluster (the machine's CPUs) whose control service keeps
 * `--kept` tasks (taskEventsMax), every task reported (taskEventsRateMax 0: the worst case).
 *
 *   tasks            N tasks in waves of `--wave` (each wave gotten before the next), one in
 *                    `--every` throwing: tasks/s, then the control service's resident memory
 *                    (now and its peak) against the stated bound, and whether `state=FAILED`
 *                    finds every failure
 *   list latency     `lux.state.listTasks({ filters: [["state", "=", "FAILED"]] })` in this
 *                    process (median of 20), and `lux list tasks --filter state=FAILED` as a
 *                    command (median of `--cli-runs`, process start included), with the
 *                    store full (`--kept` tasks)
 *
 * Options: --tasks N (default 1,000,000), --wave N (20,000), --every N (1,000), --kept N
 * (100,000), --cli-runs N (5), --events-off (task events off in the cluster and this driver:
 * the tasks/s to compare; nothing to list), --json (one line of JSON instead of the table).
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import * as lux from "lux";
import { LocalCluster } from "lux/testing";
import { setConfig } from "@lux/common";
import { flag } from "./flags.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const luxBin = path.join(root, "packages/lux/bin/lux.js");

/** The control service's resident memory stays under this with 100,000 tasks kept (they cost ~60 MiB over its ~55 MiB at rest). */
const GCS_RSS_BOUND_MIB = 300;

const failEvery = lux.remote(function failEvery(i: number, every: number): number {
  if (i % every === 0) throw new RangeError(`task ${i} fails`);
  return i;
});

function memoryMiB(pid: number): { rss: number; peak: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (field: string): number => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN);
  return { rss: kb("VmRSS") / 1024, peak: kb("VmHWM") / 1024 };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

async function waitUntil(condition: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

async function runTasks(tasks: number, wave: number, every: number): Promise<{ seconds: number; failures: number }> {
  let failures = 0;
  const started = performance.now();
  for (let start = 0; start < tasks; start += wave) {
    const n = Math.min(wave, tasks - start);
    const refs = Array.from({ length: n }, (_, i) => failEvery.remote(start + i, every));
    const settled = await Promise.allSettled(refs.map((r) => lux.get(r)));
    failures += settled.filter((s) => s.status === "rejected").length;
  }
  return { seconds: (performance.now() - started) / 1000, failures };
}

async function listLatencies(cluster: LocalCluster, cliRuns: number): Promise<{ apiMs: number; cliMs: number }> {
  const filters: lux.state.Filter[] = [["state", "=", "FAILED"]];
  const api: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t = performance.now();
    await lux.state.listTasks({ filters });
    api.push(performance.now() - t);
  }
  const cli: number[] = [];
  const env = { ...process.env, LUX_ADDRESS: cluster.address, LUX_TOKEN: cluster.token };
  for (let i = 0; i < cliRuns; i++) {
    const t = performance.now();
    const r = spawnSync(process.execPath, [luxBin, "list", "tasks", "--filter", "state=FAILED", "--format", "json"], { env, encoding: "utf8" });
    cli.push(performance.now() - t);
    if (r.status !== 0) throw new Error(`lux list tasks failed: ${r.stderr}`);
  }
  return { apiMs: median(api), cliMs: median(cli) };
}

async function main(): Promise<void> {
  const tasks = flag("tasks", 1_000_000);
  const wave = flag("wave", 20_000);
  const every = flag("every", 1_000);
  const kept = flag("kept", 100_000);
  const cliRuns = flag("cli-runs", 5);
  const eventsOff = process.argv.includes("--events-off");
  // Every task reported (no taskEventsRateMax): the store at its fullest, the worst case.
  const config = eventsOff ? { taskEventsReportIntervalMs: 0 } : { taskEventsMax: kept, taskEventsRateMax: 0 };
  if (eventsOff) setConfig("taskEventsReportIntervalMs", 0);
  else setConfig("taskEventsRateMax", 0);
  const cluster = await LocalCluster.start({ head: { numCpus: os.availableParallelism() }, config });
  try {
    await lux.init({ address: cluster.address });
    await lux.get(Array.from({ length: 1000 }, (_, i) => failEvery.remote(i + 1, every * 1e6))); // workers up, code warm
    const { seconds, failures } = await runTasks(tasks, wave, every);
    const results: Record<string, number | boolean> = { tasks, tasks_per_second: tasks / seconds, failures_expected: failures, events_on: !eventsOff };
    if (!eventsOff) {
      const filters: lux.state.Filter[] = [["state", "=", "FAILED"]];
      await waitUntil(async () => (await lux.state.listTasks({ filters, limit: 1 })).total >= failures, 60_000);
      const all = await lux.state.listTasks({ limit: 1 });
      const { rss, peak } = memoryMiB(cluster.gcsPid);
      const { apiMs, cliMs } = await listLatencies(cluster, cliRuns);
      Object.assign(results, {
        failures_found: (await lux.state.listTasks({ filters, limit: 1 })).total,
        tasks_kept: all.total,
        tasks_dropped: all.dropped,
        gcs_rss_mib: rss,
        gcs_peak_rss_mib: peak,
        gcs_rss_bound_mib: GCS_RSS_BOUND_MIB,
        list_failed_api_ms: apiMs,
        list_failed_cli_ms: cliMs,
      });
    }
    print(results);
  } finally {
    await lux.shutdown();
    await cluster.shutdown();
  }
}

function print(r: Record<string, number | boolean>): void {
  if (process.argv.includes("--json")) {
    console.log(JSON.stringify(r));
    return;
  }
  const line = (label: string, value: number | boolean | undefined, unit = ""): void =>
    console.log(`${label.padEnd(44)} ${(typeof value === "number" ? value.toLocaleString("en-US", { maximumFractionDigits: 1 }) : String(value)).padStart(12)} ${unit}`);
  line(`tasks (one in ${flag("every", 1_000)} fails), task events ${r["events_on"] === true ? "on" : "off"}`, r["tasks"]);
  line("tasks per second", r["tasks_per_second"], "/s");
  if (r["events_on"] !== true) return;
  line("failures found by state=FAILED / expected", r["failures_found"], `/ ${String(r["failures_expected"])}`);
  line("tasks kept / dropped", r["tasks_kept"], `/ ${String(r["tasks_dropped"])}`);
  line("control service RSS (peak)", r["gcs_rss_mib"], `MiB (${Number(r["gcs_peak_rss_mib"]).toFixed(1)}; bound ${GCS_RSS_BOUND_MIB})`);
  line("listTasks state=FAILED, in process (median)", r["list_failed_api_ms"], "ms");
  line("lux list tasks --filter state=FAILED (median)", r["list_failed_cli_ms"], "ms");
}

await main();

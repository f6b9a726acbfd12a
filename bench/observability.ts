/**
 * Issue 16's figures in one run (point 9):
 *
 *   npx tsx bench/observability.ts [--runs 3] [--tasks 200000] [--events 100000] [--quick] [--json]
 *
 *   cost         no-op tasks submitted at once and gotten (as the microbenchmark's
 *                single_client_tasks_async), tasks/s on a private cluster of this machine's
 *                CPUs with task events and log streaming on (the defaults) and off
 *                (taskEventsReportIntervalMs 0, logToDriver false), alternating, median of
 *                --runs each: the cost of having them on (target ≤ 10%)
 *   list         `lux.state.listTasks` and `lux list tasks --filter state=FAILED` with
 *                --events tasks stored (bench/state.ts, every task reported)
 *   first rows   chromium's time to the first rows of the dashboard's tasks page with --events
 *                tasks stored (bench/dashboard.ts; target < 1 s)
 *
 * Each part runs in a process of its own (its own cluster). --quick: seconds, for CI's smoke run.
 */
import { spawnSync } from "node:child_process";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import * as lux from "lux";
import { flag } from "./flags.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const quick = process.argv.includes("--quick");
const COST_TARGET = 0.1;

const noop = lux.remote(function noop(): number {
  return 0;
});

/** In a child: tasks/s of no-op tasks in batches, with observability on or off. */
async function measureTasks(on: boolean, tasks: number): Promise<void> {
  await lux.init({
    numCpus: os.availableParallelism(),
    logToDriver: on,
    ...(on ? {} : { systemConfig: { taskEventsReportIntervalMs: 0 } }),
  });
  try {
    const batch = Math.min(10_000, tasks);
    await lux.get(Array.from({ length: batch }, () => noop.remote())); // workers up, code warm
    const start = performance.now();
    for (let done = 0; done < tasks; done += batch) await lux.get(Array.from({ length: batch }, () => noop.remote()));
    console.log(JSON.stringify({ tasks_per_second: tasks / ((performance.now() - start) / 1000) }));
  } finally {
    await lux.shutdown();
  }
}

function child(args: string[], env: Record<string, string> = {}): Record<string, number> {
  const run = spawnSync(process.execPath, ["--import", "tsx", ...args], { encoding: "utf8", env: { ...process.env, ...env }, maxBuffer: 16 * 1024 * 1024 });
  if (run.status !== 0) throw new Error(`${args.join(" ")} exited ${run.status}: ${run.stderr.slice(-2000)}`);
  const last = run.stdout.trim().split("\n").pop() ?? "";
  return JSON.parse(last) as Record<string, number>;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

async function main(): Promise<void> {
  const runs = quick ? 1 : flag("runs", 3);
  const tasks = quick ? 5000 : flag("tasks", 200_000);
  const events = quick ? 3000 : flag("events", 100_000);
  const self = fileURLToPath(import.meta.url);
  const on: number[] = [];
  const off: number[] = [];
  for (let i = 0; i < runs; i++) {
    // LUX_DEDUP_LOGS stays on: the driver prints its workers' output as a user's does.
    on.push(child([self, "--child", "on", "--tasks", String(tasks)])["tasks_per_second"] as number);
    off.push(child([self, "--child", "off", "--tasks", String(tasks)])["tasks_per_second"] as number);
  }
  const state = child([path.join(here, "state.ts"), "--tasks", String(events), "--wave", String(Math.min(20_000, events)), "--kept", String(events), "--cli-runs", quick ? "1" : "5", "--json"]);
  const dashboard = child([path.join(here, "dashboard.ts"), "--events", String(events), "--wave", String(Math.min(20_000, events)), "--runs", quick ? "1" : "5", "--json"]);
  const r = {
    tasks_per_second_on: median(on),
    tasks_per_second_off: median(off),
    cost: 1 - median(on) / median(off),
    events_stored: state["tasks_kept"] as number,
    list_failed_api_ms: state["list_failed_api_ms"] as number,
    list_failed_cli_ms: state["list_failed_cli_ms"] as number,
    dashboard_events: events,
    dashboard_first_rows_ms: dashboard["first_rows_ms"] as number,
    dashboard_failed_first_rows_ms: (dashboard["failed_first_rows_ms"] ?? NaN) as number,
  };
  if (process.argv.includes("--json")) {
    console.log(JSON.stringify(r));
    return;
  }
  const line = (label: string, value: number, unit: string): void =>
    console.log(`${label.padEnd(56)} ${value.toLocaleString("en-US", { maximumFractionDigits: 1 }).padStart(10)} ${unit}`);
  line("no-op tasks async, task events + log streaming on", r.tasks_per_second_on, `/s (median of ${runs})`);
  line("no-op tasks async, both off", r.tasks_per_second_off, `/s (median of ${runs})`);
  line("cost of having them on", r.cost * 100, `% (target ≤ ${COST_TARGET * 100}%)${r.cost <= COST_TARGET ? "" : "  OVER"}`);
  line(`lux.state.listTasks state=FAILED, ${r.events_stored.toLocaleString("en-US")} tasks stored`, r.list_failed_api_ms, "ms (median)");
  line(`lux list tasks --filter state=FAILED, same`, r.list_failed_cli_ms, "ms (median, process start included)");
  line(`dashboard tasks page, first rows, ${events.toLocaleString("en-US")} tasks stored`, r.dashboard_first_rows_ms, "ms (median; target < 1,000)");
  line("dashboard tasks page filtered by State=FAILED, first rows", r.dashboard_failed_first_rows_ms, "ms (median)");
}

const childAt = process.argv.indexOf("--child");
if (childAt >= 0) await measureTasks(process.argv[childAt + 1] === "on", flag("tasks", 200_000));
else await main();

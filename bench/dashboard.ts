/**
 * The dashboard's tasks page with many task events (issue 16, point 9):
 * `npx tsx bench/dashboard.ts` (after a build). One LocalCluster (the machine's CPUs) with
 * its dashboard, whose control service keeps every task (taskEventsMax ≥ --events; no
 * taskEventsRateMax, so every task is reported).
 *
 *   fill             --events cheap tasks in waves of --wave (one in --every throwing), then
 *                    until the control service lists them all
 *   first rows       Debian's chromium (playwright-core), logged in with the cluster token,
 *                    opens /tasks in a fresh browser context (nothing cached): the time from
 *                    navigation to the first rows of the table visible, median and max of
 *                    --runs; then the same for /tasks?state=FAILED (filtered on the server
 *                    over every task). Target: under 1 s.
 *
 * Options: --events N (default 100,000), --wave N (20,000), --every N (1,000), --runs N (5),
 * --json (one line of JSON instead of the table).
 */
import * as os from "node:os";
import * as lux from "lux";
import { LocalCluster } from "lux/testing";
import { setConfig } from "@lux/common";
import { chromium, type Browser } from "playwright-core";
import { flag } from "./flags.js";

/** Debian's chromium, with the flags /work/shared/STACK.md gives (scripts/system-deps.mjs installs it). */
const CHROMIUM = { executablePath: "/usr/bin/chromium", args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"] };
const TARGET_MS = 1000;

const failEvery = lux.remote(function failEvery(i: number, every: number): number {
  if (i % every === 0) throw new RangeError(`task ${i} fails`);
  return i;
});

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

async function fill(events: number, wave: number, every: number): Promise<{ seconds: number; failures: number }> {
  const started = performance.now();
  let failures = 0;
  for (let start = 0; start < events; start += wave) {
    const n = Math.min(wave, events - start);
    const refs = Array.from({ length: n }, (_, i) => failEvery.remote(start + i + 1, every));
    const settled = await Promise.allSettled(refs.map((r) => lux.get(r)));
    failures += settled.filter((s) => s.status === "rejected").length;
  }
  // Every event reported: the control service lists them all.
  const deadline = Date.now() + 120_000;
  while ((await lux.state.listTasks({ limit: 1 })).total < events) {
    if (Date.now() > deadline) throw new Error("the control service did not list every task within 2 minutes");
    await new Promise((r) => setTimeout(r, 250));
  }
  return { seconds: (performance.now() - started) / 1000, failures };
}

/** The session cookie a login with the token gives. */
async function login(cluster: LocalCluster): Promise<{ name: string; value: string; url: string }> {
  const res = await fetch(`${cluster.dashboardUrl as string}/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ token: cluster.token }) });
  const [name, value] = ((res.headers.get("set-cookie") ?? "").split(";")[0] ?? "").split("=");
  if (res.status !== 200 || name === undefined || value === undefined) throw new Error(`logging in to the dashboard failed: ${res.status}`);
  return { name, value, url: cluster.dashboardUrl as string };
}

/** Milliseconds from navigating to `route` until the table's first row is visible, in a fresh context each run. */
async function firstRows(browser: Browser, cookie: { name: string; value: string; url: string }, route: string, runs: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const context = await browser.newContext();
    try {
      await context.addCookies([cookie]);
      const page = await context.newPage();
      const started = performance.now();
      await page.goto(`${cookie.url}${route}`, { waitUntil: "commit" });
      await page.locator("tbody tr").first().waitFor({ state: "visible", timeout: 60_000 });
      times.push(performance.now() - started);
    } finally {
      await context.close();
    }
  }
  return times;
}

async function main(): Promise<void> {
  const events = flag("events", 100_000);
  const wave = flag("wave", 20_000);
  const every = flag("every", 1_000);
  const runs = flag("runs", 5);
  // Every task is reported (no rate limit in this driver, which owns them, nor in the workers).
  setConfig("taskEventsRateMax", 0);
  const cluster = await LocalCluster.start({ head: { numCpus: os.availableParallelism() }, dashboard: true, config: { taskEventsMax: Math.max(100_000, events), taskEventsRateMax: 0 } });
  let browser: Browser | undefined;
  try {
    await lux.init({ address: cluster.address });
    const { seconds, failures } = await fill(events, wave, every);
    const kept = (await lux.state.listTasks({ limit: 1 })).total;
    browser = await chromium.launch(CHROMIUM);
    const cookie = await login(cluster);
    const all = await firstRows(browser, cookie, "/tasks", runs);
    const failed = failures > 0 ? await firstRows(browser, cookie, "/tasks?state=FAILED", runs) : [];
    print({
      events,
      tasks_kept: kept,
      fill_seconds: seconds,
      runs,
      first_rows_ms: median(all),
      first_rows_max_ms: Math.max(...all),
      ...(failed.length > 0 ? { failed_first_rows_ms: median(failed), failed_first_rows_max_ms: Math.max(...failed) } : {}),
      target_ms: TARGET_MS,
    });
  } finally {
    await browser?.close();
    await lux.shutdown();
    await cluster.shutdown();
  }
}

function print(r: Record<string, number>): void {
  if (process.argv.includes("--json")) {
    console.log(JSON.stringify(r));
    return;
  }
  const line = (label: string, value: number | undefined, unit = ""): void =>
    console.log(`${label.padEnd(52)} ${(value ?? NaN).toLocaleString("en-US", { maximumFractionDigits: 1 }).padStart(10)} ${unit}`);
  line("task events kept by the control service", r["tasks_kept"], `(filled in ${(r["fill_seconds"] ?? 0).toFixed(1)} s)`);
  line(`tasks page, navigation → first rows (median of ${r["runs"]})`, r["first_rows_ms"], `ms (max ${(r["first_rows_max_ms"] ?? 0).toFixed(0)}; target < ${TARGET_MS})`);
  if (r["failed_first_rows_ms"] !== undefined) {
    line("tasks page, state=FAILED, → first rows (median)", r["failed_first_rows_ms"], `ms (max ${(r["failed_first_rows_max_ms"] ?? 0).toFixed(0)})`);
  }
}

await main();

/**
 * Lux beside its peers on this machine: one table of the core workloads.
 *
 *   npx tsx bench/peers/run.ts [--runs N] [--startup-runs N] [--markdown] [--quick]
 *
 * Each peer runs alone, one after the other, in its own process, and prints a PeerResult:
 *   Lux      bench/peers/lux.ts        the public `lux` API, private cluster with 2 CPUs
 *   Dask     bench/peers/dask_bench.py distributed.LocalCluster, 2 worker processes x 1 thread
 *                                      (skipped, not failed, when python3-distributed is missing)
 *   piscina  bench/peers/piscina.ts    a pool of 2 worker threads (task workloads only)
 * Ray's column is its published `ray microbenchmark` figures (64 vCPUs, m5.16xlarge), not a
 * run here. Every figure is the median of N runs after a warm-up; startup is the time from
 * starting the cluster (or pool) until the first task's result is back.
 * `--markdown` also prints the table as Markdown, for BENCHMARKS.md. `--quick` runs every
 * workload briefly with small data: a smoke test of the harness (its figures mean nothing).
 */
import { spawn, spawnSync } from "node:child_process";
import * as os from "node:os";
import { fileURLToPath } from "node:url";
import { QUICK, WORKLOADS, flag, type PeerResult, type WorkloadKey } from "./measure.js";

const here = (file: string): string => fileURLToPath(new URL(file, import.meta.url));
const PEER_TIMEOUT_MS = 15 * 60_000;

interface Column {
  title: string;
  result?: PeerResult;
  /** Why there is no result (not installed, failed). */
  missing?: string;
}

/** Runs one peer; its progress (stderr) goes to ours, its last stdout line is its PeerResult. */
function runPeer(command: string, args: string[]): Promise<PeerResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "inherit"] });
    let stdout = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => (stdout += chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), PEER_TIMEOUT_MS);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      const last = stdout.trim().split("\n").at(-1) ?? "";
      if (code !== 0) return reject(new Error(`${command} ${args.join(" ")} exited with ${signal ?? code}`));
      try {
        resolve(JSON.parse(last) as PeerResult);
      } catch {
        reject(new Error(`${command} ${args.join(" ")} printed no result: ${last.slice(0, 200)}`));
      }
    });
  });
}

/** A Python 3 that can import distributed: LUX_BENCH_PYTHON if set, else python3 on PATH or Debian's. */
function findDaskPython(): string | undefined {
  const chosen = process.env["LUX_BENCH_PYTHON"];
  const candidates = chosen !== undefined && chosen !== "" ? [chosen] : ["python3", "/usr/bin/python3"];
  for (const python of candidates) {
    const r = spawnSync(python, ["-c", "import distributed"], { stdio: "ignore", timeout: 60_000 });
    if (r.status === 0) return python;
  }
  return undefined;
}

function format(key: WorkloadKey, value: number | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (key === "put_gigabytes") return value < 1 ? value.toFixed(3) : value.toFixed(1);
  if (key === "startup_seconds") return value.toFixed(2);
  return Math.round(value).toLocaleString("en-US");
}

function cell(column: Column, key: WorkloadKey): string {
  if (column.result === undefined) return column.missing ?? "n/a";
  return format(key, column.result.results[key]) ?? "—";
}

function machine(): string {
  const cpus = os.cpus();
  const model = cpus[0]?.model.trim() ?? "unknown CPU";
  const gib = (os.totalmem() / 2 ** 30).toFixed(0);
  return `${os.availableParallelism()} cores (${model}), ${gib} GiB RAM, ${os.type()} ${os.release()}`;
}

const loadAverage = (): string => os.loadavg().map((x) => x.toFixed(2)).join(", ");

async function main(): Promise<void> {
  const runs = flag("runs", 5);
  const startupRuns = flag("startup-runs", 3);
  const markdown = process.argv.includes("--markdown");
  const common = ["--runs", String(runs), "--startup-runs", String(startupRuns), ...(QUICK ? ["--quick"] : [])];
  // This script runs under tsx: its loader flags (process.execArgv) let the Node peers run as .ts too.
  const node = (file: string): [string, string[]] => [process.execPath, [...process.execArgv, here(file), ...common]];

  const date = new Date().toISOString();
  const loadBefore = loadAverage();
  const lux: Column = { title: "Lux" };
  const dask: Column = { title: "Dask" };
  const piscina: Column = { title: "piscina" };
  let failed = false;
  const run = async (column: Column, command: string, args: string[]): Promise<void> => {
    console.error(`peers: running ${column.title}`);
    try {
      column.result = await runPeer(command, args);
    } catch (e) {
      failed = true;
      column.missing = "failed";
      console.error(`peers: ${column.title} failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  };

  await run(lux, ...node("./lux.ts"));
  const python = findDaskPython();
  if (python === undefined) {
    dask.missing = "not installed";
    console.error("peers: Dask is not installed (no python3 that can import distributed; on Debian: apt-get install python3-distributed); skipping its column");
  } else {
    await run(dask, python, [here("./dask_bench.py"), ...common]);
  }
  await run(piscina, ...node("./piscina.ts"));
  const loadAfter = loadAverage();

  const columns = [lux, dask, piscina];
  const header = ["workload", ...columns.map((c) => c.title), "Ray (published)"];
  const rows = WORKLOADS.map((w) => [
    w.label,
    ...columns.map((c) => cell(c, w.key)),
    w.ray === undefined ? "—" : (format(w.key, w.ray) as string),
  ]);

  console.log(`\npeers: ${date}; ${machine()}`);
  console.log(`load average (1, 5, 15 min): ${loadBefore} before, ${loadAfter} after`);
  for (const c of columns) if (c.result !== undefined) console.log(`${c.title}: ${c.result.version}`);
  console.log(`median of ${runs} runs after a warm-up (startup: median of ${startupRuns}); rates per second unless noted\n`);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: string[]): string =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join("  ");
  console.log(line(header));
  for (const r of rows) console.log(line(r));

  if (markdown) {
    console.log(`\n| ${header.join(" | ")} |`);
    console.log(`|${header.map((_, i) => (i === 0 ? " --- " : " ---: ")).join("|")}|`);
    for (const r of rows) console.log(`| ${r.join(" | ")} |`);
  }
  if (failed) process.exitCode = 1;
}

await main();

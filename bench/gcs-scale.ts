/**
 * The control service at 1,000 nodes, by simulation (issue 25, point 5):
 *
 *   npx tsx bench/gcs-scale.ts [--nodes 1000] [--procs 4] [--death-timeout-ms 5000] [--probes 20] [--json]
 *
 * Starts the real control service and `--procs` processes of simulated nodes (bench/gcs-sim.ts:
 * each node registers, answers health checks, takes the cluster view pushed to it, and
 * subscribes to node deaths as a core worker does). Then measures, against the bounds:
 *
 *   steady state   the control service's CPU (share of one core over 10 s) and RSS, all nodes idle
 *   view           resource changes reported by random nodes: ms until every other node's view shows
 *                  each (p50, p99, max over every node and change; bound p99 < 1 s)
 *   death          a node stops answering health checks: ms until its death is first heard
 *                  (bound nodeDeathTimeoutMs + 1 s), and until every subscriber heard it (bound 1 s more)
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as readline from "node:readline";
import { fileURLToPath } from "node:url";
import { startControlService } from "@lux/launcher";
import { flag } from "./flags.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const CPU_BOUND = 0.5;
const RSS_BOUND_MIB = 512;
const VIEW_P99_BOUND_MS = 1000;

interface Sim {
  child: ChildProcess;
  first: number;
  nodeIds: string[];
  send(msg: object): void;
  /** The next JSON line it prints. */
  next(): Promise<Record<string, unknown>>;
}

function startSim(gcs: string, token: string, first: number, nodes: number): Sim {
  const child = spawn(process.execPath, ["--import", "tsx", path.join(here, "gcs-sim.ts"), "--gcs", gcs, "--nodes", String(nodes), "--first", String(first)], {
    env: { ...process.env, LUX_TOKEN: token },
    stdio: ["pipe", "pipe", "inherit"],
  });
  const waiting: ((v: Record<string, unknown>) => void)[] = [];
  const queued: Record<string, unknown>[] = [];
  readline.createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (line) => {
    const msg = JSON.parse(line) as Record<string, unknown>;
    const w = waiting.shift();
    if (w !== undefined) w(msg);
    else queued.push(msg);
  });
  return {
    child,
    first,
    nodeIds: [],
    send: (msg) => child.stdin?.write(`${JSON.stringify(msg)}\n`),
    next: () => {
      const q = queued.shift();
      return q !== undefined ? Promise.resolve(q) : new Promise((resolve) => waiting.push(resolve));
    },
  };
}

/** Seconds of CPU (user + system) the process used so far. */
function cpuSeconds(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100; // clock ticks (USER_HZ = 100)
}

function rssMiB(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN) / 1024;
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function collect(sims: Sim[]): Promise<{ probes: Record<string, number[]>; deaths: Record<string, number[]> }> {
  const out = { probes: {} as Record<string, number[]>, deaths: {} as Record<string, number[]> };
  for (const s of sims) {
    s.send({ cmd: "collect" });
    const r = (await s.next()) as { probes: Record<string, number[]>; deaths: Record<string, number[]> };
    for (const [k, v] of Object.entries(r.probes)) (out.probes[k] ??= []).push(...v);
    for (const [k, v] of Object.entries(r.deaths)) (out.deaths[k] ??= []).push(...v);
  }
  return out;
}

async function main(): Promise<void> {
  const nodes = flag("nodes", 1000);
  const procs = Math.min(flag("procs", 4), nodes);
  const deathTimeoutMs = flag("death-timeout-ms", 5000);
  const probeCount = flag("probes", 20);
  const token = randomBytes(24).toString("hex");
  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), "lux-gcs-scale-"));
  const gcs = await startControlService({ token, exitWithParent: true, logFile: path.join(logDir, "gcs.log"), config: { nodeDeathTimeoutMs: deathTimeoutMs } });
  const sims: Sim[] = [];
  try {
    const per = Math.ceil(nodes / procs);
    const started = Date.now();
    const registerCpu0 = cpuSeconds(gcs.pid);
    for (let first = 0; first < nodes; first += per) sims.push(startSim(gcs.address, token, first, Math.min(per, nodes - first)));
    for (const s of sims) s.nodeIds = ((await s.next()) as { nodeIds: string[] }).nodeIds;
    const registerSeconds = (Date.now() - started) / 1000;
    const registerCpu = cpuSeconds(gcs.pid) - registerCpu0;

    await sleep(3000); // settle: registrations' views pushed, nothing pending
    const cpu0 = cpuSeconds(gcs.pid);
    await sleep(10_000);
    const cpuShare = (cpuSeconds(gcs.pid) - cpu0) / 10;
    const rss = rssMiB(gcs.pid);

    // Resource changes from random nodes, one every 300 ms.
    for (let p = 1; p <= probeCount; p++) {
      const sentAt = Date.now();
      for (const s of sims) s.send({ cmd: "probe", probe: p, sentAt });
      const node = Math.floor(Math.random() * nodes);
      const sim = sims.find((s) => node >= s.first && node < s.first + s.nodeIds.length) as Sim;
      sim.send({ cmd: "report", node, probe: p, sentAt });
      await sleep(300);
    }
    await sleep(2000);
    const { probes } = await collect(sims);
    const latencies = Object.values(probes).flat();
    const seenByAll = Object.values(probes).filter((v) => v.length >= nodes - 1).length;

    // A node hangs: no answer to health checks.
    const victim = sims[0] as Sim;
    const victimId = victim.nodeIds[0] as string;
    const hungAt = Date.now();
    victim.send({ cmd: "hang", node: victim.first });
    let heard: number[] = [];
    while (Date.now() - hungAt < deathTimeoutMs + 10_000) {
      await sleep(500);
      heard = (await collect(sims)).deaths[victimId] ?? [];
      if (heard.length >= nodes) break; // every subscriber (its own node's included)
    }
    const firstHeard = Math.min(...heard) - hungAt;
    const spread = Math.max(...heard) - Math.min(...heard);
    const results = {
      nodes,
      register_seconds: registerSeconds,
      register_gcs_cpu_seconds: registerCpu,
      gcs_cpu_share_idle: cpuShare,
      gcs_rss_mib: rss,
      view_p50_ms: percentile(latencies, 50),
      view_p99_ms: percentile(latencies, 99),
      view_max_ms: Math.max(...latencies),
      view_changes_seen_by_all: seenByAll,
      view_changes: probeCount,
      death_first_heard_ms: firstHeard,
      death_heard_by: heard.length,
      death_spread_ms: spread,
      death_timeout_ms: deathTimeoutMs,
    };
    print(results);
  } finally {
    for (const s of sims) s.child.stdin?.end();
    await Promise.all(sims.map((s) => new Promise((r) => (s.child.exitCode !== null ? r(null) : s.child.once("exit", r)))));
    await gcs.stop();
    fs.rmSync(logDir, { recursive: true, force: true });
  }
}

function print(r: Record<string, number>): void {
  if (process.argv.includes("--json")) {
    console.log(JSON.stringify(r));
    return;
  }
  const ok = (good: boolean): string => (good ? "ok" : "OVER");
  const line = (label: string, value: number, unit: string, verdict = ""): void =>
    console.log(`${label.padEnd(48)} ${value.toLocaleString("en-US", { maximumFractionDigits: 1 }).padStart(10)} ${unit.padEnd(26)} ${verdict}`);
  line(`${r["nodes"]} simulated nodes registered, all at once`, r["register_seconds"] as number, `s (control service CPU ${(r["register_gcs_cpu_seconds"] as number).toFixed(1)} s)`);
  line("control service CPU, all idle", (r["gcs_cpu_share_idle"] as number) * 100, `% of a core (bound ${CPU_BOUND * 100})`, ok((r["gcs_cpu_share_idle"] as number) < CPU_BOUND));
  line("control service RSS", r["gcs_rss_mib"] as number, `MiB (bound ${RSS_BOUND_MIB})`, ok((r["gcs_rss_mib"] as number) < RSS_BOUND_MIB));
  line("resource change in every view, p50", r["view_p50_ms"] as number, "ms");
  line("resource change in every view, p99", r["view_p99_ms"] as number, `ms (bound ${VIEW_P99_BOUND_MS})`, ok((r["view_p99_ms"] as number) < VIEW_P99_BOUND_MS));
  line("resource changes seen by every other node", r["view_changes_seen_by_all"] as number, `of ${r["view_changes"]}`, ok(r["view_changes_seen_by_all"] === r["view_changes"]));
  const deathBound = (r["death_timeout_ms"] as number) + 1000;
  line("hung node's death first heard after", r["death_first_heard_ms"] as number, `ms (bound ${deathBound})`, ok((r["death_first_heard_ms"] as number) <= deathBound));
  line("death heard by subscribers", r["death_heard_by"] as number, `of ${r["nodes"]}`, ok(r["death_heard_by"] === r["nodes"]));
  line("death heard by all within", r["death_spread_ms"] as number, "ms (bound 1000)", ok((r["death_spread_ms"] as number) <= 1000));
}

await main();

/**
 * Every benchmark, one after the other (`npm run bench` builds first):
 *
 *   npm run bench                      full settings, for BENCHMARKS.md (on a quiet machine)
 *   npm run bench -- --quick           each one's smoke setting, seconds each: checks that it
 *                                      runs and prints a complete, well-formed table or JSON
 *                                      (bench/checks.ts), never a speed; CI runs this
 *   npm run bench -- [--quick] NAME…   only those (names below)
 *
 * Each benchmark runs on clusters of its own (LUX_ADDRESS is cleared for it). With --quick,
 * rpc-messages (a development benchmark of the RPC layer, not in the full run) is smoke-tested
 * too, sessions go to a temporary folder, and a process a benchmark leaves running fails it.
 * Exits 1 when a benchmark fails; the last line is "bench: N passed, N failed".
 */
import { spawn, spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import * as check from "./checks.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const luxBin = path.join(root, "packages/lux/bin/lux.js");
/** A smoke run that takes longer than this is stuck. */
const QUICK_TIMEOUT_MS = 5 * 60_000;
const CLUSTER_TASKS_QUICK = 200;
const DASHBOARD_EVENTS_QUICK = 2000;

interface Run {
  /** Node flags and script, then its arguments. */
  argv: string[];
  /** Checks the run's stdout (quick runs only). */
  check?: (stdout: string) => void;
}

interface Benchmark {
  name: string;
  full?: Run[];
  quick: Run[];
}

const ts = (file: string, ...args: string[]): string[] => ["--import", "tsx", path.join(root, file), ...args];
const lux = (...args: string[]): string[] => [luxBin, ...args];

const BENCHMARKS: Benchmark[] = [
  {
    name: "microbenchmark",
    full: [{ argv: lux("microbenchmark") }],
    quick: [
      { argv: lux("microbenchmark", "--quick"), check: check.microbenchmarkTable },
      {
        argv: lux("microbenchmark", "--json", "--quick", "--filter", "single_client_tasks_sync|single_client_put_calls|startup_seconds"),
        check: check.microbenchmarkJson(["single_client_put_calls_Plasma_Store", "single_client_tasks_sync", "startup_seconds"]),
      },
    ],
  },
  {
    name: "object-store",
    full: [{ argv: ts("bench/object-store.ts") }],
    quick: [{ argv: ts("bench/object-store.ts", "--runs", "1"), check: check.objectStore }],
  },
  {
    name: "transfer",
    full: [{ argv: ts("bench/transfer.ts") }],
    quick: [
      { argv: ts("bench/transfer.ts", "--quick"), check: check.transfer },
      { argv: ts("bench/transfer.ts", "--quick", "--json"), check: check.transferJsonLine },
    ],
  },
  {
    name: "cluster",
    full: [{ argv: ts("bench/cluster.ts") }],
    quick: [
      { argv: ts("bench/cluster.ts", "--runs", "1", "--tasks", String(CLUSTER_TASKS_QUICK)), check: check.cluster(CLUSTER_TASKS_QUICK) },
    ],
  },
  {
    name: "scale",
    full: [{ argv: ts("bench/scale.ts") }],
    quick: [
      {
        argv: ts("bench/scale.ts", "--quick", "--json"),
        check: check.scale,
      },
    ],
  },
  {
    // Issue 15's four figures in one table: a smoke check of the aggregator only (each of
    // the four runs in full on its own below).
    name: "advanced-api",
    quick: [{ argv: ts("bench/advanced-api.ts", "--quick", "--json"), check: check.advancedApi }],
  },
  {
    name: "data",
    full: [{ argv: ts("bench/data.ts") }],
    quick: [{ argv: ts("bench/data.ts", "--quick", "--json"), check: check.data }],
  },
  {
    name: "serve",
    full: [{ argv: ts("bench/serve.ts") }],
    quick: [{ argv: ts("bench/serve.ts", "--quick", "--json"), check: check.serve }],
  },
  {
    name: "rl",
    full: [{ argv: ts("bench/rl.ts") }],
    quick: [{ argv: ts("bench/rl.ts", "--quick", "--json"), check: check.rl }],
  },
  {
    name: "train",
    full: [{ argv: ts("bench/train.ts") }],
    quick: [{ argv: ts("bench/train.ts", "--quick", "--json"), check: check.train }],
  },
  {
    name: "tune",
    full: [{ argv: ts("bench/tune.ts") }],
    quick: [{ argv: ts("bench/tune.ts", "--quick", "--json"), check: check.tune }],
  },
  {
    name: "generators",
    full: [{ argv: ts("bench/generators.ts") }],
    quick: [{ argv: ts("bench/generators.ts", "--items", "500", "--tasks", "200", "--runs", "1", "--json"), check: check.generators }],
  },
  {
    name: "placement-groups",
    full: [{ argv: ts("bench/placement-groups.ts") }],
    quick: [{ argv: ts("bench/placement-groups.ts", "--groups", "20", "--tasks", "200", "--json"), check: check.placementGroups }],
  },
  {
    name: "autoscaler",
    full: [{ argv: ts("bench/autoscaler.ts") }],
    quick: [{ argv: ts("bench/autoscaler.ts", "--runs", "1", "--interval-ms", "1000", "--idle-s", "2", "--instances", "50", "--json"), check: check.autoscaler }],
  },
  {
    name: "worker-start",
    full: [{ argv: ts("bench/worker-start/run.ts") }],
    quick: [{ argv: ts("bench/worker-start/run.ts", "--tasks", "2", "--runs", "1", "--json"), check: check.workerStart }],
  },
  {
    name: "peers",
    full: [{ argv: ts("bench/peers/run.ts") }],
    quick: [{ argv: ts("bench/peers/run.ts", "--quick", "--runs", "1", "--startup-runs", "1", "--markdown"), check: check.peers }],
  },
  {
    name: "util-pool",
    full: [{ argv: ts("bench/util-pool.ts") }],
    quick: [{ argv: ts("bench/util-pool.ts", "--quick", "--json"), check: check.utilPool }],
  },
  {
    name: "runtime-env-npm",
    full: [{ argv: ts("bench/runtime-env-npm.ts") }],
    quick: [{ argv: ts("bench/runtime-env-npm.ts", "--quick", "--json"), check: check.runtimeEnvNpm }],
  },
  {
    name: "collective",
    full: [{ argv: ts("bench/collective.ts") }],
    quick: [{ argv: ts("bench/collective.ts", "--quick", "--json"), check: check.collective }],
  },
  {
    name: "state",
    full: [{ argv: ts("bench/state.ts") }, { argv: ts("bench/state.ts", "--events-off", "--tasks", "200000") }],
    quick: [{ argv: ts("bench/state.ts", "--tasks", "20000", "--wave", "5000", "--kept", "5000", "--cli-runs", "1", "--json"), check: check.state(20_000, 5_000) }],
  },
  {
    // Issue 16's figures in one table: a smoke check of the aggregator (state and dashboard run on their own below too).
    name: "observability",
    full: [{ argv: ts("bench/observability.ts") }],
    quick: [{ argv: ts("bench/observability.ts", "--quick", "--json"), check: check.observability }],
  },
  {
    // Issue 17's figures: TLS against plaintext (transfer beside openssl's AES-GCM, tasks sync), and tasks sync under idle connections.
    name: "security",
    full: [{ argv: ts("bench/security.ts") }],
    quick: [{ argv: ts("bench/security.ts", "--quick", "--json"), check: check.security }],
  },
  {
    // Issue 25: "CI runs 1 minute" of the soak.
    name: "soak",
    full: [{ argv: ["--expose-gc", ...ts("bench/soak.ts")] }],
    quick: [{ argv: ["--expose-gc", ...ts("bench/soak.ts", "--minutes", "1", "--json")], check: check.soak }],
  },
  {
    name: "many-nodes",
    full: [{ argv: ts("bench/many-nodes.ts") }],
    quick: [{ argv: ts("bench/many-nodes.ts", "--nodes", "3", "--tasks", "300", "--json"), check: check.manyNodes(3) }],
  },
  {
    name: "gcs-scale",
    full: [{ argv: ts("bench/gcs-scale.ts") }],
    quick: [{ argv: ts("bench/gcs-scale.ts", "--nodes", "40", "--procs", "2", "--probes", "3", "--death-timeout-ms", "2000", "--json"), check: check.gcsScale(40) }],
  },
  {
    name: "dashboard",
    full: [{ argv: ts("bench/dashboard.ts") }],
    quick: [{ argv: ts("bench/dashboard.ts", "--events", String(DASHBOARD_EVENTS_QUICK), "--wave", "1000", "--every", "100", "--runs", "1", "--json"), check: check.dashboard(DASHBOARD_EVENTS_QUICK) }],
  },
  {
    name: "rpc-messages",
    quick: [{ argv: ts("bench/rpc-messages.ts", "--n", "2000", "--window", "100", "--runs", "1"), check: check.rpcMessages }],
  },
];

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const unknownFlags = args.filter((a) => a.startsWith("--") && a !== "--quick");
const names = args.filter((a) => !a.startsWith("--"));
const unknownNames = names.filter((n) => !BENCHMARKS.some((b) => b.name === n));
if (unknownFlags.length > 0 || unknownNames.length > 0) {
  console.error(`bench: unknown ${[...unknownFlags, ...unknownNames].join(", ")}; usage: npm run bench -- [--quick] [${BENCHMARKS.map((b) => b.name).join("|")}…]`);
  process.exit(2);
}
const chosen = BENCHMARKS.filter((b) => (names.length === 0 ? (quick ? true : b.full !== undefined) : names.includes(b.name)));

const RUN_ID = randomUUID();
const sessionRoot = quick ? mkdtempSync(path.join(tmpdir(), "lux-bench-")) : undefined;
const env: NodeJS.ProcessEnv = {
  ...process.env,
  LUX_ADDRESS: "",
  LUX_TOKEN: "",
  LUX_BENCH_RUN_ID: RUN_ID,
  ...(sessionRoot !== undefined ? { LUX_SESSION_DIR_ROOT: sessionRoot } : {}),
};

/** The command as one would type it, for the log. */
function commandLine(argv: string[]): string {
  const [first, second, ...rest] = argv;
  const shown = first === "--import" && second === "tsx" ? ["tsx", ...rest] : argv;
  return shown.map((a) => (path.isAbsolute(a) ? path.relative(root, a) : a)).join(" ");
}

/** Runs one command: its stdout is passed through and kept, its stderr passed through. */
function execute(argv: string[]): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, argv, { cwd: root, env, stdio: ["ignore", "pipe", "inherit"] });
    let stdout = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      stdout += chunk;
      process.stdout.write(chunk);
    });
    const timer = quick ? setTimeout(() => child.kill("SIGKILL"), QUICK_TIMEOUT_MS) : undefined;
    child.on("error", (e) => {
      clearTimeout(timer);
      resolve({ code: null, stdout: `${stdout}\n${e.message}` });
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout });
    });
  });
}

/** Processes a benchmark started that are still running (they carry LUX_BENCH_RUN_ID). */
function leftRunning(): { pid: number; args: string }[] {
  const ps = spawnSync("ps", ["-eo", "pid=,args="], { encoding: "utf8" }).stdout ?? "";
  const found: { pid: number; args: string }[] = [];
  for (const line of ps.split("\n")) {
    const m = /^\s*(\d+)\s+(.*)$/.exec(line);
    if (m === null || Number(m[1]) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${m[1]}/environ`, "latin1").split("\0").includes(`LUX_BENCH_RUN_ID=${RUN_ID}`)) {
        found.push({ pid: Number(m[1]), args: m[2] as string });
      }
    } catch {
      // ended meanwhile, or not ours to read
    }
  }
  return found;
}

async function leaks(): Promise<string | undefined> {
  let left = leftRunning();
  for (const deadline = Date.now() + 5_000; left.length > 0 && Date.now() < deadline; left = leftRunning()) {
    await new Promise((r) => setTimeout(r, 200));
  }
  if (left.length === 0) return undefined;
  for (const p of left) {
    try {
      process.kill(p.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  return `left ${left.length} process(es) running:\n${left.map((p) => `  pid ${p.pid}  ${p.args}`).join("\n")}`;
}

const outcomes: { name: string; seconds: number; error?: string }[] = [];
try {
  for (const b of chosen) {
    const runs = quick ? b.quick : (b.full ?? []);
    const started = Date.now();
    let error: string | undefined;
    for (const run of runs) {
      console.log(`\n## ${b.name}: ${commandLine(run.argv)}`);
      const { code, stdout } = await execute(run.argv);
      if (code !== 0) error = `exited with ${code ?? "a signal"}`;
      else if (quick && run.check !== undefined) {
        try {
          run.check(stdout);
        } catch (e) {
          error = `malformed output: ${(e as Error).message}`;
        }
      }
      if (error === undefined && quick) error = await leaks();
      if (error !== undefined) break;
    }
    outcomes.push({ name: b.name, seconds: (Date.now() - started) / 1000, ...(error !== undefined ? { error } : {}) });
    if (error !== undefined) console.error(`\nbench: ${b.name} FAILED: ${error}`);
  }
} finally {
  if (sessionRoot !== undefined) rmSync(sessionRoot, { recursive: true, force: true });
}

console.log("");
for (const o of outcomes) console.log(`# ${o.name.padEnd(16)} ${o.seconds.toFixed(1).padStart(6)} s  ${o.error === undefined ? "ok" : "FAILED"}`);
const failed = outcomes.filter((o) => o.error !== undefined).length;
console.log(`bench: ${outcomes.length - failed} passed, ${failed} failed`);
process.exitCode = failed > 0 ? 1 : 0;

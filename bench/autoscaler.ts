/**
 * The autoscaler (issue 23, point 8): `npx tsx bench/autoscaler.ts` (after a build). One run
 * on a cluster started with `lux up` (local provider: each node a `lux start --address`
 * process here), figures in one table (or --json):
 *
 *   scale-up latency     from submitting a task no node can run to the task running on the
 *                        node the autoscaler launched for it (median of --runs), beside the
 *                        same for a node started directly with `lux start --address` at the
 *                        moment of submission; the overhead must stay within one reconcile
 *                        interval + 1 s
 *   nodes launched       10 × {CPU:1} on a 4-CPU type: nodes launched (must be 3); mixed
 *                        shapes: the planner's node count against the optimal bin count over
 *                        --instances random demands (must stay within +1)
 *   scale-down           from the last task's end to the last worker gone, against
 *                        idleTimeoutS + 2 intervals
 *
 * Options: --runs N (default 3), --interval-ms MS (reconcileIntervalMs, default 5000),
 * --idle-s S (idleTimeoutS, default 10), --instances N (default 300), --json.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import * as lux from "lux";
import { expandDemand, parseClusterConfig, plan } from "lux/autoscaler";
import { flag } from "./flags.js";
import { optimalBins, randomShapes } from "./autoscaler-bins.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const luxBin = path.join(root, "packages/lux/bin/lux.js");
const runs = flag("runs", 3);
const intervalMs = flag("interval-ms", 5000);
const idleS = flag("idle-s", 10);
const instances = flag("instances", 300);
const json = process.argv.includes("--json");
const sessionRoot = fs.mkdtempSync(path.join(os.tmpdir(), "lux-bench-autoscaler-"));
const env = { ...process.env, LUX_SESSION_DIR_ROOT: sessionRoot, LUX_ADDRESS: "", LUX_TOKEN: "" };
const STORE = String(64 * 1024 ** 2);
const yaml = path.join(sessionRoot, "cluster.yaml");
fs.writeFileSync(
  yaml,
  `clusterName: bench
maxWorkers: 8
idleTimeoutS: ${idleS}
reconcileIntervalMs: ${intervalMs}
provider: { type: local }
headNodeType: head
availableNodeTypes:
  head: { resources: { CPU: 0 }, maxWorkers: 0 }
  cpu4: { resources: { CPU: 4 }, maxWorkers: 8, nodeConfig: { objectStoreMemory: ${STORE} } }
`,
);

function cli(...args: string[]): string {
  const r = spawnSync(process.execPath, [luxBin, ...args], { env, encoding: "utf8", timeout: 120_000 });
  if (r.status !== 0) throw new Error(`lux ${args.join(" ")} failed: ${r.stderr}`);
  return r.stdout;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const workers = async (): Promise<lux.NodeView[]> => (await lux.nodes()).filter((n) => n.alive && n.labels["lux.io/node-type"] === "cpu4");

async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 180_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** When the task started running (epoch ms), on a node with `resource`. */
const startedAt = lux.remote(() => Date.now());

/** Autoscaled: submit, then the task's start. Waits for the node to be ended after. */
async function autoscaledLatency(): Promise<number> {
  const t0 = Date.now();
  const started = await lux.get(startedAt.options({ numCpus: 1 }).remote(), { timeoutMs: 180_000 });
  await until("the idle node to be ended", async () => (await workers()).length === 0);
  return started - t0;
}

/** Direct: `lux start --address` at the moment of submission, the task needing what only it has. */
async function directLatency(address: string, token: string): Promise<number> {
  const t0 = Date.now();
  const child: ChildProcess = spawn(process.execPath, [luxBin, "start", "--address", address, "--block", "--num-cpus", "1", "--num-gpus", "0", "--resources", '{"direct":1}', "--object-store-memory", STORE], {
    env: { ...env, LUX_TOKEN: token },
    stdio: "ignore",
  });
  try {
    const started = await lux.get(startedAt.options({ numCpus: 1, resources: { direct: 1 } }).remote(), { timeoutMs: 180_000 });
    return started - t0;
  } finally {
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    await exited;
  }
}

/** 10 × {CPU:1}: nodes the autoscaler launches, and the scale-down time after the last task. */
async function tenTasks(): Promise<{ launched: number; scaleDownS: number }> {
  const seen = new Set<string>();
  const watch = setInterval(() => void workers().then((ns) => ns.forEach((n) => seen.add(n.nodeId)), () => undefined), 50);
  const work = lux.remote(async () => {
    await new Promise((r) => setTimeout(r, 2000));
    return Date.now();
  });
  let ended: number;
  try {
    ended = Math.max(...(await lux.get(Array.from({ length: 10 }, () => work.options({ numCpus: 1 }).remote()), { timeoutMs: 180_000 })));
  } finally {
    clearInterval(watch);
  }
  for (const n of await workers()) seen.add(n.nodeId);
  await until("every worker to be ended", async () => (await workers()).length === 0);
  return { launched: seen.size, scaleDownS: (Date.now() - ended) / 1000 };
}

/** The planner on random mixed shapes against the optimal bin count (exact, small instances). */
function mixedShapes(): { worstExcess: number; withinOne: number } {
  const types = parseClusterConfig(fs.readFileSync(yaml, "utf8")).availableNodeTypes;
  let worst = 0;
  let within = 0;
  for (let i = 0; i < instances; i++) {
    const sizes = randomShapes(i);
    const demand = expandDemand(sizes.map((cpu) => ({ resources: { CPU: cpu }, count: 1, infeasible: true, kind: "task" as const })));
    const launched = plan({ types, bins: [], demand, counts: {}, workers: 0, maxWorkers: 1000, maxLaunch: 1000, blocked: new Set() }).launch.get("cpu4") ?? 0;
    const excess = launched - optimalBins(sizes, 4);
    worst = Math.max(worst, excess);
    if (excess <= 1) within++;
  }
  return { worstExcess: worst, withinOne: within / instances };
}

async function main(): Promise<void> {
  const up = cli("up", yaml, "--yes", "--port", "0", "--dashboard-port", "0", "--object-store-memory", STORE);
  const address = /Control service: (\S+)/.exec(up)?.[1] ?? "";
  const token = /LUX_TOKEN=(\S+)/.exec(up)?.[1] ?? "";
  process.env["LUX_TOKEN"] = token;
  await lux.init({ address });
  try {
    const auto: number[] = [];
    const direct: number[] = [];
    for (let r = 0; r < runs; r++) {
      direct.push(await directLatency(address, token));
      auto.push(await autoscaledLatency());
    }
    const ten = await tenTasks();
    const mixed = mixedShapes();
    report({
      scale_up_autoscaled_ms: median(auto),
      scale_up_direct_join_ms: median(direct),
      scale_up_overhead_ms: median(auto) - median(direct),
      scale_up_overhead_limit_ms: intervalMs + 1000,
      nodes_launched_10_cpu1_on_cpu4: ten.launched,
      mixed_shapes_instances: instances,
      mixed_shapes_worst_excess_over_optimal: mixed.worstExcess,
      mixed_shapes_share_within_one: mixed.withinOne,
      scale_down_s: ten.scaleDownS,
      scale_down_limit_s: idleS + (2 * intervalMs) / 1000,
    });
  } finally {
    await lux.shutdown();
    cli("down", yaml);
    fs.rmSync(sessionRoot, { recursive: true, force: true });
  }
}

function report(r: Record<string, number>): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(r)}\n`);
    return;
  }
  const ok = (good: boolean): string => (good ? "ok" : "OVER");
  const lines = [
    `autoscaler (local provider; reconcileIntervalMs ${intervalMs}, idleTimeoutS ${idleS}, ${runs} run(s))`,
    `scale-up latency        ${r["scale_up_autoscaled_ms"]} ms   direct lux start --address ${r["scale_up_direct_join_ms"]} ms   overhead ${r["scale_up_overhead_ms"]} ms (limit ${r["scale_up_overhead_limit_ms"]}: ${ok((r["scale_up_overhead_ms"] ?? 0) <= (r["scale_up_overhead_limit_ms"] ?? 0))})`,
    `nodes launched          10 × {CPU:1} on a 4-CPU type: ${r["nodes_launched_10_cpu1_on_cpu4"]} (must be 3: ${ok(r["nodes_launched_10_cpu1_on_cpu4"] === 3)})`,
    `mixed shapes            worst ${r["mixed_shapes_worst_excess_over_optimal"]} over the optimal bin count over ${instances} demands; ${((r["mixed_shapes_share_within_one"] ?? 0) * 100).toFixed(1)}% within +1 (${ok((r["mixed_shapes_worst_excess_over_optimal"] ?? 9) <= 1)})`,
    `scale-down              ${r["scale_down_s"]?.toFixed(1)} s after the last task (limit ${r["scale_down_limit_s"]} s: ${ok((r["scale_down_s"] ?? 0) <= (r["scale_down_limit_s"] ?? 0))})`,
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
}

await main();

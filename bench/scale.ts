/**
 * Scale (Ray's `single_node` release test, ported; issue 25): `npx tsx bench/scale.ts`
 * (after a build). One run on a private cluster (`lux.init`, the machine's CPUs).
 *
 *   queued tasks     a batch of 10,000 no-op tasks (its rate is the reference), then N no-op
 *                    tasks submitted at once from this driver and all gotten: the total time,
 *                    the rate over the last 10% of them beside the batch's rate (a queue that
 *                    slows as it grows shows here), and the driver's RSS per queued task
 *                    (RSS right after submitting, less RSS before, over N)
 *
 *   actors           N actors of 0.1 CPU (bench/idle-actor.ts) created at once (Ray's `many_actors`) on a node
 *                    declaring enough CPUs for all (N / 10, at least 16), each until it
 *                    answered one call: actors/s, actors lost (none may be), the mean
 *                    RSS of an idle actor's process, the machine's CPU busy share and the
 *                    driver's CPU per actor, and the median timeline of an actor's start
 *                    (the performance marks its worker sets: node ready, Lux loaded, the
 *                    job's preloads run, registered, class loaded, constructed, first call)
 *                    with its process's CPU until then
 *
 *   transfer         point 3 (bench/transfer-figures.ts): a --transfer-mib MiB object (1024)
 *                    pulled to another node beside a raw TCP stream between two Node
 *                    processes in the same run, read by an actor on each of
 *                    --transfer-nodes nodes (8) against the single pull (--transfer-runs
 *                    timed reads of each, 3), and pulled over TLS against AES-128-GCM and a
 *                    raw TLS stream (issue 17 point 8)
 *
 *   single node      the rest of Ray's `single_node` test (bench/single-node.ts): a task with
 *                    --args N ref arguments (10,000), a task with --returns N returns (3,000),
 *                    a get of --objects N put objects (10,000), and --put-gib G of objects of
 *                    --object-mib M put and gotten back through a store of --store-gib S
 *                    (16 through 8, objects of 256 MiB: they spill to disk)
 *
 * Options: --tasks N (default 1,000,000), --actors N (default 200), --only
 * queued|actors|single|transfer, --json (one line of JSON instead of the table), --quick
 * (smoke settings for CI, seconds each, figures not meaningful: 20,000 tasks, 4 actors,
 * single node's 200 args, 100 returns, 200 objects, 0.25 GiB of 32 MiB objects through
 * 0.125 GiB, the transfer's as bench/transfer.ts --quick); a flag given still wins.
 */
import * as fs from "node:fs";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import * as lux from "lux";
import { flag } from "./flags.js";
import { IdleActor, type IdleReport } from "./idle-actor.js";
import { getMany, largePutGet, manyArgs, manyReturns } from "./single-node.js";
import { printTransfer, transferFigures, transferOptions, type TransferFigures } from "./transfer-figures.js";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

const noop = lux.remote(function noop(): number {
  return 0;
});


const BATCH = 10_000;
const quick = process.argv.includes("--quick");

function seconds(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

interface QueuedTasks {
  tasks: number;
  total_seconds: number;
  batch_tasks_per_second: number;
  last_tenth_tasks_per_second: number;
  last_tenth_share_of_batch_rate: number;
  driver_rss_bytes_per_queued_task: number;
  /** Of that, the JS heap (after a full GC): what the queued tasks' objects take. */
  driver_heap_bytes_per_queued_task: number;
}

async function queuedTasks(tasks: number): Promise<QueuedTasks> {
  await lux.get(Array.from({ length: BATCH }, () => noop.remote())); // workers up, code warm
  let start = process.hrtime.bigint();
  await lux.get(Array.from({ length: BATCH }, () => noop.remote()));
  const batchRate = BATCH / seconds(start);

  gc();
  const before = process.memoryUsage();
  start = process.hrtime.bigint();
  const refs = Array.from({ length: tasks }, () => noop.remote());
  const rssPerTask = (process.memoryUsage.rss() - before.rss) / tasks;
  const gcStart = process.hrtime.bigint();
  gc(); // not timed: only to see what the queued tasks hold
  const heapPerTask = (process.memoryUsage().heapUsed - before.heapUsed) / tasks;
  start += process.hrtime.bigint() - gcStart;
  // Tasks of one shape run in submission order: got a tenth at a time, each tenth's get
  // ends about when its last task does (and costs the same), so the last tenth's rate shows
  // whether the queue slowed down as it was drained.
  const tenth = Math.ceil(tasks / 10);
  let lastStart = start;
  let lastCount = 0;
  for (let from = 0; from < tasks; from += tenth) {
    lastStart = process.hrtime.bigint();
    lastCount = Math.min(tenth, tasks - from);
    await lux.get(refs.slice(from, from + lastCount));
  }
  const lastRate = lastCount / seconds(lastStart);
  return {
    tasks,
    total_seconds: seconds(start),
    batch_tasks_per_second: batchRate,
    last_tenth_tasks_per_second: lastRate,
    last_tenth_share_of_batch_rate: lastRate / batchRate,
    driver_rss_bytes_per_queued_task: rssPerTask,
    driver_heap_bytes_per_queued_task: heapPerTask,
  };
}

interface ManyActors {
  actors: number;
  seconds: number;
  actors_per_second: number;
  actors_lost: number;
  idle_actor_rss_bytes: number;
  idle_actor_private_bytes: number;
  /** Share of the machine's CPU time busy during the burst (every process, ours or not). */
  machine_cpu_busy_share: number;
  /** The machine's busy CPU time during the burst per actor (ms; USER_HZ 100 assumed), and the driver's share of it. */
  machine_cpu_ms_per_actor: number;
  driver_cpu_ms_per_actor: number;
  /** Medians over the actors, ms: from the burst's start until each actor's process started (negative: started ahead, before it). */
  start_wait_ms: number;
  /** Medians over the actors, ms from its process's start: the steps of a worker's start, to the first call. */
  start_node_ready_ms: number;
  start_lux_loaded_ms: number;
  start_preloads_done_ms: number;
  start_registered_ms: number;
  start_class_loaded_ms: number;
  start_constructed_ms: number;
  start_first_call_ms: number;
  /** Median CPU time of an actor's process up to its first call (all its threads). */
  start_cpu_ms: number;
}

/** [busy, total] jiffies of the machine so far (/proc/stat). */
function machineCpu(): [number, number] {
  const fields = (/^cpu\s+(.*)$/m.exec(fs.readFileSync("/proc/stat", "utf8"))?.[1] ?? "").split(/\s+/).map(Number);
  const total = fields.reduce((a, b) => a + b, 0);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  return [total - idle, total];
}

function median(values: number[]): number {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

async function manyActors(actors: number): Promise<ManyActors> {
  const [busy0, total0] = machineCpu();
  const cpu0 = process.cpuUsage();
  const origin = performance.timeOrigin + performance.now();
  const start = process.hrtime.bigint();
  const handles = Array.from({ length: actors }, () => IdleActor.remote());
  const answers = await Promise.allSettled(handles.map((h) => lux.get(h.report.remote())));
  const time = seconds(start);
  const cpu = process.cpuUsage(cpu0);
  const [busy1, total1] = machineCpu();
  const reports = answers.flatMap((a) => (a.status === "fulfilled" ? [a.value] : []));
  const mean = (f: (r: IdleReport) => number): number => reports.reduce((a, r) => a + f(r), 0) / Math.max(1, reports.length);
  const mark = (i: number): number => median(reports.map((r) => r.marks[i] ?? NaN));
  return {
    actors,
    seconds: time,
    actors_per_second: reports.length / time,
    actors_lost: actors - reports.length,
    idle_actor_rss_bytes: mean((r) => r.rss),
    idle_actor_private_bytes: mean((r) => r.private),
    machine_cpu_busy_share: (busy1 - busy0) / Math.max(1, total1 - total0),
    machine_cpu_ms_per_actor: ((busy1 - busy0) * 10) / actors,
    driver_cpu_ms_per_actor: (cpu.user + cpu.system) / 1000 / actors,
    start_wait_ms: median(reports.map((r) => r.origin - origin)),
    start_node_ready_ms: median(reports.map((r) => r.nodeReady)),
    start_lux_loaded_ms: mark(0),
    start_preloads_done_ms: mark(1),
    start_registered_ms: mark(2),
    start_class_loaded_ms: mark(3),
    start_constructed_ms: mark(4),
    start_first_call_ms: median(reports.map((r) => r.call)),
    start_cpu_ms: median(reports.map((r) => r.cpuMs)),
  };
}

const line = (label: string, value: string, unit: string): void => console.log(`${label.padEnd(34)} ${value.padStart(12)} ${unit}`);

function printQueued(q: QueuedTasks): void {
  console.log(`queued tasks: ${q.tasks.toLocaleString("en-US")} no-op tasks submitted at once from one driver`);
  line("total", q.total_seconds.toFixed(1), "s");
  line("batch of 10,000", q.batch_tasks_per_second.toFixed(0), "tasks/s");
  line("last 10%", q.last_tenth_tasks_per_second.toFixed(0), `tasks/s (${(100 * q.last_tenth_share_of_batch_rate).toFixed(0)}% of the batch's)`);
  line("driver RSS per queued task", q.driver_rss_bytes_per_queued_task.toFixed(0), "bytes");
  line("  of which JS heap", q.driver_heap_bytes_per_queued_task.toFixed(0), "bytes");
}

function printActors(a: ManyActors): void {
  console.log(`many actors: ${a.actors} actors of 0.1 CPU created at once, each until it answered a call`);
  line("total", a.seconds.toFixed(1), "s");
  line("rate", a.actors_per_second.toFixed(1), "actors/s");
  line("lost", String(a.actors_lost), "actors");
  line("RSS per idle actor process", (a.idle_actor_rss_bytes / 2 ** 20).toFixed(1), "MiB");
  line("  of which its own (private)", (a.idle_actor_private_bytes / 2 ** 20).toFixed(1), "MiB (the rest: node's binary, shared by every process)");
  line("machine CPU busy during the burst", (100 * a.machine_cpu_busy_share).toFixed(0), "% (every process, ours or not)");
  line("machine CPU per actor", a.machine_cpu_ms_per_actor.toFixed(0), "ms (all processes)");
  line("  of which the driver's", a.driver_cpu_ms_per_actor.toFixed(1), "ms");
  console.log("an actor's start (medians; ms from its process's start, unless said)");
  line("  process started", a.start_wait_ms.toFixed(0), "ms after the burst began");
  line("  node ready", a.start_node_ready_ms.toFixed(0), "ms");
  line("  Lux loaded", a.start_lux_loaded_ms.toFixed(0), "ms");
  line("  the job's preloads run (its loader)", a.start_preloads_done_ms.toFixed(0), "ms");
  line("  registered with its raylet", a.start_registered_ms.toFixed(0), "ms");
  line("  actor's class loaded", a.start_class_loaded_ms.toFixed(0), "ms");
  line("  constructed", a.start_constructed_ms.toFixed(0), "ms");
  line("  first call", a.start_first_call_ms.toFixed(0), "ms");
  line("  its CPU until then (all threads)", a.start_cpu_ms.toFixed(0), "ms");
}

interface SingleNode {
  many_args: Awaited<ReturnType<typeof manyArgs>>;
  many_returns: Awaited<ReturnType<typeof manyReturns>>;
  get_many: Awaited<ReturnType<typeof getMany>>;
  large_put_get: Awaited<ReturnType<typeof largePutGet>>;
}

const GIB = 2 ** 30;

async function singleNode(): Promise<SingleNode> {
  const storeBytes = flag("store-gib", quick ? 0.125 : 8) * GIB;
  const rest = await onCluster(undefined, async () => ({
    warm: await manyArgs(10), // workers started, code loaded: the figures below are not a cold start
    many_args: await manyArgs(flag("args", quick ? 200 : 10_000)),
    many_returns: await manyReturns(flag("returns", quick ? 100 : 3000)),
    get_many: await getMany(flag("objects", quick ? 200 : 10_000)),
  }));
  const large = await onCluster(undefined, () => largePutGet(flag("put-gib", quick ? 0.25 : 16) * GIB, flag("object-mib", quick ? 32 : 256) * 2 ** 20), { objectStoreMemory: storeBytes });
  const { warm: _warm, ...figures } = rest;
  return { ...figures, large_put_get: large };
}

function printSingle(s: SingleNode): void {
  console.log("single node (Ray's single_node test; Ray's figures on 64 vCPUs)");
  line(`task with ${s.many_args.args.toLocaleString("en-US")} ref args`, s.many_args.seconds.toFixed(2), "s (Ray: 17.2 s)");
  line(`task with ${s.many_returns.returns.toLocaleString("en-US")} returns`, s.many_returns.seconds.toFixed(2), "s (Ray: 5.7 s)");
  line(`get of ${s.get_many.objects.toLocaleString("en-US")} objects`, s.get_many.seconds.toFixed(2), "s (Ray: 23.5 s)");
  const gib = (s.large_put_get.bytes / GIB).toFixed(1);
  line(`${gib} GiB put and gotten, spilling`, s.large_put_get.seconds.toFixed(1), `s, ${s.large_put_get.gigabytes_per_second.toFixed(2)} GB/s (Ray: 100 GiB in 29.7 s)`);
}

/** Runs `body` on a private cluster of its own, shut down after. */
async function onCluster<T>(numCpus: number | undefined, body: () => Promise<T>, more: { objectStoreMemory?: number } = {}): Promise<T> {
  await lux.init({ ...(numCpus === undefined ? {} : { numCpus }), ...more });
  try {
    return await body();
  } finally {
    await lux.shutdown();
  }
}

lux.main(async () => {
  const tasks = flag("tasks", quick ? 20_000 : 1_000_000);
  const actors = flag("actors", quick ? 4 : 200);
  const i = process.argv.indexOf("--only");
  const only = i >= 0 ? process.argv[i + 1] : undefined;
  const results: { queued_tasks?: QueuedTasks; many_actors?: ManyActors; single_node?: SingleNode; transfer?: TransferFigures } = {};
  if (only === undefined || only === "queued") results.queued_tasks = await onCluster(undefined, () => queuedTasks(tasks));
  if (only === undefined || only === "actors") results.many_actors = await onCluster(Math.max(16, Math.ceil(actors / 10)), () => manyActors(actors));
  if (only === undefined || only === "single") results.single_node = await singleNode();
  if (only === undefined || only === "transfer") {
    results.transfer = await transferFigures(transferOptions(flag, "transfer-"));
  }
  if (process.argv.includes("--json")) console.log(JSON.stringify(results));
  else {
    if (results.queued_tasks !== undefined) printQueued(results.queued_tasks);
    if (results.many_actors !== undefined) printActors(results.many_actors);
    if (results.single_node !== undefined) printSingle(results.single_node);
    if (results.transfer !== undefined) printTransfer(results.transfer);
  }
});

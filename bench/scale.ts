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
 *   actors           N actors of 0.1 CPU created at once (Ray's `many_actors`) on a node
 *                    declaring enough CPUs for all (N / 10, at least 16), each until it
 *                    answered one call: actors/s, actors lost (none may be), and the mean
 *                    RSS of an idle actor's process
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
import { getMany, largePutGet, manyArgs, manyReturns } from "./single-node.js";
import { printTransfer, transferFigures, transferOptions, type TransferFigures } from "./transfer-figures.js";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

const noop = lux.remote(function noop(): number {
  return 0;
});

class Idle {
  /** [RSS, private bytes]: RSS counts the pages of the node binary every process shares; private ones are this actor's own. */
  memory(): [number, number] {
    const rollup = fs.readFileSync("/proc/self/smaps_rollup", "utf8");
    const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(rollup)?.[1] ?? NaN);
    return [process.memoryUsage.rss(), (kb("Private_Clean") + kb("Private_Dirty")) * 1024];
  }
}
const IdleActor = lux.remote(Idle).options({ numCpus: 0.1 });

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
}

async function manyActors(actors: number): Promise<ManyActors> {
  const start = process.hrtime.bigint();
  const handles = Array.from({ length: actors }, () => IdleActor.remote());
  const answers = await Promise.allSettled(handles.map((h) => lux.get(h.memory.remote())));
  const time = seconds(start);
  const memory = answers.flatMap((a) => (a.status === "fulfilled" ? [a.value] : []));
  const mean = (i: 0 | 1): number => memory.reduce((a, m) => a + m[i], 0) / Math.max(1, memory.length);
  return {
    actors,
    seconds: time,
    actors_per_second: memory.length / time,
    actors_lost: actors - memory.length,
    idle_actor_rss_bytes: mean(0),
    idle_actor_private_bytes: mean(1),
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

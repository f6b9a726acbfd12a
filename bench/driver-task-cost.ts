/**
 * The driver's cost per no-op task (issue 25 points 1 and 7): `npx tsx bench/driver-task-cost.ts`
 * (after a build). One private cluster (`lux.init`, the machine's CPUs).
 *
 *   queued     --queued N no-op tasks (100,000) submitted at once: the driver's JS heap per
 *              queued task (after a full GC, before and after), as bench/scale.ts's 1M line
 *   cpu        --rounds R (200) rounds of 1,000 no-op tasks submitted and gotten (as the
 *              microbenchmark's tasks_async): the driver process's CPU (user + system) per
 *              task, and of that the time in GC pauses (perf_hooks "gc" entries); the
 *              young-generation collections per 1,000 tasks, which with a fixed new space
 *              (NODE_OPTIONS="--min-semi-space-size=16 --max-semi-space-size=16": daemons do
 *              not take NODE_OPTIONS) count what a task allocates, unlike times on a
 *              loaded machine
 *   --actor    the cpu rounds are 1,000 calls of one actor's method instead of tasks (as the
 *              microbenchmark's 1_1_actor_calls_async), figures per call
 *
 * --json prints one line of JSON. Figures from a loaded machine move by ±10%: compare runs
 * taken back to back.
 */
import { PerformanceObserver, constants } from "node:perf_hooks";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import * as lux from "lux";
import { flag } from "./flags.js";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

const noop = lux.remote(function noop(): number {
  return 0;
});

class Counter {
  n = 0;
  inc(): number {
    return ++this.n;
  }
}
const CounterActor = lux.remote(Counter);

const BATCH = 1000;

/** What one unit of a round submits: a no-op task, or (`--actor`) a call of one actor's method. */
let submit: () => lux.ObjectRef<number> = () => noop.remote();

async function round(): Promise<void> {
  const refs = new Array<lux.ObjectRef<number>>(BATCH);
  for (let i = 0; i < BATCH; i++) refs[i] = submit();
  await lux.get(refs);
}

async function heapPerQueuedTask(tasks: number): Promise<number> {
  gc();
  const before = process.memoryUsage().heapUsed;
  const refs = Array.from({ length: tasks }, () => noop.remote());
  gc();
  const perTask = (process.memoryUsage().heapUsed - before) / tasks;
  await lux.get(refs);
  return perTask;
}

interface CpuFigures {
  cpu_us_per_task: number;
  gc_us_per_task: number;
  minor_gcs_per_1000_tasks: number;
  other_gcs: number;
  tasks_per_second: number;
}

async function cpuPerTask(rounds: number): Promise<CpuFigures> {
  let gcMs = 0;
  let minor = 0;
  let major = 0;
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gcMs += e.duration;
      if ((e as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR) minor++;
      else major++;
    }
  });
  observer.observe({ entryTypes: ["gc"] });
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  for (let r = 0; r < rounds; r++) await round();
  const wall = Number(process.hrtime.bigint() - start) / 1e9;
  const used = process.cpuUsage(cpu);
  await new Promise((resolve) => setImmediate(resolve)); // the last gc entries are delivered
  observer.disconnect();
  const tasks = rounds * BATCH;
  return {
    cpu_us_per_task: (used.user + used.system) / tasks,
    gc_us_per_task: (gcMs * 1000) / tasks,
    minor_gcs_per_1000_tasks: (minor * 1000) / tasks,
    other_gcs: major,
    tasks_per_second: tasks / wall,
  };
}

lux.main(async () => {
  const queued = flag("queued", 100_000);
  const rounds = flag("rounds", 200);
  const actor = process.argv.includes("--actor");
  await lux.init();
  try {
    for (let i = 0; i < 20; i++) await round(); // workers up, code warm
    const heap = await heapPerQueuedTask(queued);
    if (actor) {
      const counter = CounterActor.remote();
      submit = () => counter.inc.remote();
    }
    for (let i = 0; i < 20; i++) await round();
    const cpu = await cpuPerTask(rounds);
    const result = { queued, heap_bytes_per_queued_task: heap, rounds, unit: actor ? "actor call" : "task", ...cpu };
    if (process.argv.includes("--json")) console.log(JSON.stringify(result));
    else {
      console.log(`driver JS heap per queued task (${queued.toLocaleString("en-US")} queued): ${heap.toFixed(0)} bytes`);
      console.log(`driver CPU per no-op ${result.unit} (${rounds} rounds of ${BATCH}): ${cpu.cpu_us_per_task.toFixed(2)} µs, of which GC pauses ${cpu.gc_us_per_task.toFixed(2)} µs; ${cpu.tasks_per_second.toFixed(0)} tasks/s`);
      console.log(`young-generation GCs per 1,000 ${result.unit}s: ${cpu.minor_gcs_per_1000_tasks.toFixed(2)}; other GC events (full, incremental marking, weak callbacks): ${cpu.other_gcs}`);
    }
  } finally {
    await lux.shutdown();
  }
});

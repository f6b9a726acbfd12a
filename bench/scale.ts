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
 * Options: --tasks N (default 1,000,000), --json (one line of JSON instead of the table).
 */
import * as lux from "lux";
import { flag } from "./flags.js";

const noop = lux.remote(function noop(): number {
  return 0;
});

const BATCH = 10_000;

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
}

async function queuedTasks(tasks: number): Promise<QueuedTasks> {
  await lux.get(Array.from({ length: BATCH }, () => noop.remote())); // workers up, code warm
  let start = process.hrtime.bigint();
  await lux.get(Array.from({ length: BATCH }, () => noop.remote()));
  const batchRate = BATCH / seconds(start);

  const rssBefore = process.memoryUsage.rss();
  start = process.hrtime.bigint();
  const refs = Array.from({ length: tasks }, () => noop.remote());
  const perTask = (process.memoryUsage.rss() - rssBefore) / tasks;
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
    driver_rss_bytes_per_queued_task: perTask,
  };
}

lux.main(async () => {
  const tasks = flag("tasks", 1_000_000);
  const json = process.argv.includes("--json");
  await lux.init();
  try {
    const q = await queuedTasks(tasks);
    if (json) {
      console.log(JSON.stringify({ queued_tasks: q }));
      return;
    }
    const line = (label: string, value: string, unit: string): void => console.log(`${label.padEnd(34)} ${value.padStart(12)} ${unit}`);
    console.log(`queued tasks: ${tasks.toLocaleString("en-US")} no-op tasks submitted at once from one driver`);
    line("total", q.total_seconds.toFixed(1), "s");
    line("batch of 10,000", q.batch_tasks_per_second.toFixed(0), "tasks/s");
    line("last 10%", q.last_tenth_tasks_per_second.toFixed(0), `tasks/s (${(100 * q.last_tenth_share_of_batch_rate).toFixed(0)}% of the batch's)`);
    line("driver RSS per queued task", q.driver_rss_bytes_per_queued_task.toFixed(0), "bytes");
  } finally {
    await lux.shutdown();
  }
});

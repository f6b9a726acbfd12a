/**
 * Streaming generators (issue 15): `npx tsx bench/generators.ts` (after a build). On a private
 * cluster of the machine's CPUs: items per second that one remote generator task delivers to
 * a `for await` consumer (each item a small object, its ref then gotten), from a function and
 * from an actor method, beside no-op tasks per second submitted in batches and gotten (the
 * microbenchmark's tasks async). Median of --runs runs (3) each, after a warm-up.
 *
 * Options: --items N per generator run (default 100,000), --tasks N per batch (default
 * 10,000), --runs N, --json.
 */
import * as lux from "lux";
import { flag } from "./flags.js";

const noop = lux.remote(function noop(): number {
  return 0;
});

const count = lux.remote(function* count(n: number) {
  for (let i = 0; i < n; i++) yield i;
});

class Counter {
  *count(n: number) {
    for (let i = 0; i < n; i++) yield i;
  }
}
const CounterActor = lux.remote(Counter);

function seconds(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

/** Items of one generator run, consumed in order, each ref gotten. */
async function drain(gen: lux.ObjectRefGenerator<number>, n: number): Promise<number> {
  const start = process.hrtime.bigint();
  let seen = 0;
  for await (const ref of gen) {
    const v = await lux.get(ref);
    if (v !== seen) throw new Error(`generator bench: item ${seen} was ${v}`);
    seen++;
  }
  if (seen !== n) throw new Error(`generator bench: ${seen} items of ${n}`);
  return n / seconds(start);
}

async function rates(runs: number, once: () => Promise<number>): Promise<number> {
  await once(); // warm
  const out: number[] = [];
  for (let i = 0; i < runs; i++) out.push(await once());
  return median(out);
}

lux.main(async () => {
  const items = flag("items", 100_000);
  const tasks = flag("tasks", 10_000);
  const runs = flag("runs", 3);
  await lux.init();
  try {
    const taskRate = await rates(runs, async () => {
      const start = process.hrtime.bigint();
      await lux.get(Array.from({ length: tasks }, () => noop.remote()));
      return tasks / seconds(start);
    });
    const fnRate = await rates(runs, () => drain(count.remote(items), items));
    const actor = CounterActor.remote();
    const actorRate = await rates(runs, () => drain(actor.count.remote(items), items));
    const r = {
      items,
      tasks_async_per_second: taskRate,
      generator_items_per_second: fnRate,
      actor_generator_items_per_second: actorRate,
      generator_share_of_tasks_async: fnRate / taskRate,
    };
    if (process.argv.includes("--json")) {
      console.log(JSON.stringify(r));
      return;
    }
    const line = (label: string, value: string, unit: string): void => console.log(`${label.padEnd(36)} ${value.padStart(10)} ${unit}`);
    console.log(`streaming generators: ${items.toLocaleString("en-US")} items per run, median of ${runs}`);
    line("no-op tasks async", taskRate.toFixed(0), "tasks/s");
    line("items of a generator task", fnRate.toFixed(0), `items/s (${(100 * r.generator_share_of_tasks_async).toFixed(0)}% of tasks async)`);
    line("items of an actor generator method", actorRate.toFixed(0), "items/s");
  } finally {
    await lux.shutdown();
  }
});

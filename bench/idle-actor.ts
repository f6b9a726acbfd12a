/**
 * The actor of bench/scale.ts's many-actors figure, in a module of its own: a worker imports the
 * module that defines its actor (by reference), and this one needs only `lux` (defined in
 * scale.ts, every actor's worker also loaded the whole bench: the CLI, lux/testing, ...).
 */
import * as fs from "node:fs";
import * as lux from "lux";

/** Marks a worker sets as it starts (packages/core/src/worker-main.ts, task-executor.ts), in order. */
const START_MARKS = ["lux.worker.modules", "lux.worker.preloads", "lux.worker.registered", "lux.actor.class-loaded", "lux.actor.constructed"] as const;

/** What an actor's process says of itself at its first call. */
export interface IdleReport {
  rss: number;
  /** Private bytes: RSS counts the pages of the node binary every process shares; private ones are this actor's own. */
  private: number;
  /** When the process started (epoch ms) and its CPU time up to this call, all threads (ms). */
  origin: number;
  cpuMs: number;
  /** Milliseconds from the process's start: Node's bootstrap done, each start mark, this call. */
  nodeReady: number;
  marks: number[];
  call: number;
}

export class Idle {
  report(): IdleReport {
    const call = performance.now();
    const rollup = fs.readFileSync("/proc/self/smaps_rollup", "utf8");
    const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(rollup)?.[1] ?? NaN);
    const cpu = process.cpuUsage();
    return {
      rss: process.memoryUsage.rss(),
      private: (kb("Private_Clean") + kb("Private_Dirty")) * 1024,
      origin: performance.timeOrigin,
      cpuMs: (cpu.user + cpu.system) / 1000,
      nodeReady: performance.nodeTiming.bootstrapComplete,
      marks: START_MARKS.map((m) => performance.getEntriesByName(m, "mark")[0]?.startTime ?? NaN),
      call,
    };
  }
}
export const IdleActor = lux.remote(Idle).options({ numCpus: 0.1 });

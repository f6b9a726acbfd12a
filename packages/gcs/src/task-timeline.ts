/**
 * `lux timeline`: every run of every kept task as a Chrome trace event (Perfetto and
 * chrome://tracing open it): a complete event ("X") per run, on a row per worker
 * (`tid`) grouped by node (`pid`), named after the function, with its task id and status.
 */
import type { TraceEvent } from "@lux/protocol";
import { functionNameOf } from "./task-entry.js";
import type { TaskEventStore } from "./task-event-store.js";

export function taskTimeline(store: TaskEventStore, jobId: string | undefined, actorClass: (actorId: string) => string | undefined, nowMs: number): TraceEvent[] {
  const events: TraceEvent[] = [];
  for (const e of store.values()) {
    if (e.executions === undefined || (jobId !== undefined && e.jobId !== jobId)) continue;
    const name = functionNameOf(e, actorClass) ?? e.taskId;
    for (const run of e.executions) {
      const running = Number.isNaN(run.end);
      const end = running ? Math.max(nowMs, run.start) : run.end;
      events.push({
        name,
        cat: e.actorId === "" ? "task" : "actor_task",
        ph: "X",
        ts: Math.round(run.start * 1000),
        dur: Math.max(0, Math.round((end - run.start) * 1000)),
        pid: run.nodeId,
        tid: run.workerId,
        args: { taskId: e.taskId, status: running ? "RUNNING" : run.failed ? "FAILED" : "FINISHED", jobId: e.jobId === "" ? null : e.jobId, workerPid: run.pid },
      });
    }
  }
  return events.sort((a, b) => a.ts - b.ts);
}

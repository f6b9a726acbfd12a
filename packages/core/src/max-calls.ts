/**
 * maxCalls on the worker side (Ray's max_calls): a worker that started a function's maxCalls-th
 * call runs nothing after it. Its reply says so (`workerExiting`): its owner returns the lease
 * with `workerExiting`, which frees the lease's resources at once, and the raylet ends the
 * process once it owns no objects in use, so later tasks get a fresh worker.
 */
import type { TaskReply, TaskReplyWire, TaskSpec } from "@lux/protocol";
import { fullReply } from "./task-replies.js";

/** Calls started per function, of the functions with maxCalls. */
export class MaxCalls {
  private readonly started = new Map<string, number>();

  /** Counts a call of `functionId` starting; true if it is the last this worker may start. */
  last(functionId: string, maxCalls: number): boolean {
    const n = (this.started.get(functionId) ?? 0) + 1;
    this.started.set(functionId, n);
    return n >= maxCalls;
  }
}

/** The reply of a worker's last call (to `spec`): it says that the worker is exiting. */
export function exitingAfter(spec: TaskSpec, reply: TaskReplyWire | Promise<TaskReplyWire>): TaskReply | Promise<TaskReply> {
  if (reply instanceof Promise) return reply.then((r) => ({ ...fullReply(spec, r), workerExiting: true }));
  return { ...fullReply(spec, reply), workerExiting: true };
}

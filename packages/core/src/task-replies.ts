/** Small pure helpers of TaskExecutor: a task's reply from its return values, and checks of what a call returned. */
import { decodeTaskReply, encodeTaskReply, type ReturnValue, type TaskReply, type TaskReplyWire, type TaskSpec } from "@lux/protocol";
import { objectIdFor } from "@lux/common";

/** The reply carrying `returns`, the return values of a task of `numReturns`, in its wire form. */
export function replyOf(returns: ReturnValue[], numReturns: number): TaskReplyWire {
  // Left off when false: one field less to encode and decode per task.
  if (returns.some((r) => r.contained !== undefined)) return { returns, hasContained: true };
  return encodeTaskReply({ returns }, numReturns);
}

/** The TaskReply that `reply`, a reply to `spec`, stands for (to add a flag to it). */
export function fullReply(spec: TaskSpec, reply: TaskReplyWire): TaskReply {
  return decodeTaskReply(reply, () => objectIdFor(spec.taskId, 0));
}

/** Whether a function returned a promise (or another thenable). */
export function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== null && (typeof v === "object" || typeof v === "function") && typeof (v as { then?: unknown }).then === "function";
}

/** A result of `numReturns: n` as its n values; a TypeError saying what it returned otherwise. */
export function splitReturns(result: unknown, n: number, name: string): unknown[] {
  if (!Array.isArray(result) || result.length !== n) {
    throw new TypeError(`${name} was declared with numReturns: ${n} but returned ${describe(result)}; return an array of exactly ${n} values`);
  }
  return result;
}

function describe(v: unknown): string {
  return Array.isArray(v) ? `an array of ${v.length}` : typeof v;
}

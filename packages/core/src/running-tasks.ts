import type { TaskSpec } from "@lux/protocol";
import { TaskCancelledError } from "@lux/common";
import { newTaskContext, type TaskContext } from "./task-context.js";

/** Cancels remembered for tasks not seen (yet): enough for every call a worker can have queued. */
const EARLY_CANCELS_KEPT = 1024;

/**
 * The tasks a worker is running, so `lux.cancel` reaches the one it names: its signal
 * (`lux.getRuntimeContext().signal`) aborts with TaskCancelledError. A cancel for a task that
 * has not started (its push is still on its way, or an actor call waits for its turn) is
 * remembered, and that task is then not run.
 */
export class RunningTasks {
  /** The normal task running: a worker runs one at a time. */
  private task: TaskContext | undefined;
  /** The actor calls running (several with maxConcurrency), by task id. */
  private readonly calls = new Map<string, TaskContext>();
  /** Ids of tasks cancelled before they started here (or after they ended: kept within a bound). */
  private readonly early = new Set<string>();

  /**
   * The context `spec` runs in, recorded as running (an actor call until `endCall`, a normal
   * task until `endTask`); undefined if the task was cancelled before it started.
   */
  begin(spec: TaskSpec, functionName: string | undefined): TaskContext | undefined {
    if (this.early.size > 0 && this.early.delete(spec.taskId)) return undefined;
    const ctx = newTaskContext(spec.taskId, spec.actorId, spec, functionName);
    if (spec.actorId === undefined) this.task = ctx;
    else this.calls.set(spec.taskId, ctx);
    return ctx;
  }

  /** Tasks and actor calls running now. */
  count(): number {
    return (this.task !== undefined ? 1 : 0) + this.calls.size;
  }

  endTask(): void {
    this.task = undefined;
  }

  endCall(taskId: string): void {
    this.calls.delete(taskId);
  }

  /** The owner cancelled the task: its signal aborts, or it will not start. */
  cancel(taskId: string): void {
    const ctx = this.task?.taskId === taskId ? this.task : this.calls.get(taskId);
    if (ctx === undefined) {
      if (this.early.size >= EARLY_CANCELS_KEPT) this.early.delete(this.early.values().next().value as string);
      this.early.add(taskId);
      return;
    }
    ctx.controller ??= new AbortController();
    if (!ctx.controller.signal.aborted) ctx.controller.abort(new TaskCancelledError({ taskId }));
  }
}

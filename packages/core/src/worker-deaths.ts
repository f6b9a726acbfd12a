import type { Clock, OutOfMemoryInfo, TimerHandle, WorkerExit } from "@lux/protocol";
import { OutOfMemoryError, TaskCancelledError, WorkerCrashedError, createLogger, type ConfigValues } from "@lux/common";
import type { RayletConnection } from "./connections.js";
import type { TaskRecord } from "./task-record.js";
import type { TaskResults } from "./task-results.js";

const log = createLogger("core");

/** The config entries WorkerDeaths uses (see docs/config.md). */
export type WorkerDeathsConfig = Pick<ConfigValues, "rpcBestEffortTimeoutMs" | "oomRetryDelayMs" | "oomRetryMaxDelayMs">;

export interface WorkerDeathsDeps {
  results: Pick<TaskResults, "fail">;
  /** Queues the task to run again. */
  retry(record: TaskRecord): void;
  /** Times the pause before a task killed for lack of memory runs again. */
  clock: Clock;
  config: WorkerDeathsConfig;
}

/**
 * What becomes of a normal task whose worker died while running it. The raylet that leased
 * the worker says how it ended (not when the whole node is gone). A task with retries left
 * runs again: at once after a crash, or, when its node's memory monitor killed the worker,
 * after a pause that doubles with each such kill (config oomRetryDelayMs, up to
 * oomRetryMaxDelayMs), so the node can recover first. Without retries it fails with
 * OutOfMemoryError or WorkerCrashedError.
 */
export class WorkerDeaths {
  /** Times the memory monitor killed each task's worker so far. */
  private readonly oomKills = new WeakMap<TaskRecord, number>();
  private readonly pauses = new Set<TimerHandle>();

  constructor(private readonly deps: WorkerDeathsDeps) {}

  /** `record` was running on worker `workerId` (leased from `raylet`), which died with `error`. */
  died(record: TaskRecord, error: Error, raylet: RayletConnection, workerId: string): void {
    if (record.cancelled) {
      this.deps.results.fail(record, new TaskCancelledError({ taskId: record.spec.taskId }));
      return;
    }
    const exit: Promise<WorkerExit | undefined> =
      raylet.state === "closed"
        ? Promise.resolve(undefined)
        : raylet.call("getWorkerExit", { workerId }, this.deps.config.rpcBestEffortTimeoutMs).catch(() => undefined);
    void exit.then((how) => this.decide(record, error, how));
  }

  /** Stops the pauses before retries (the submitter is closing; its tasks fail). */
  close(): void {
    for (const timer of this.pauses) timer.cancel();
    this.pauses.clear();
  }

  private decide(record: TaskRecord, error: Error, how: WorkerExit | undefined): void {
    if (record.cancelled) {
      this.deps.results.fail(record, new TaskCancelledError({ taskId: record.spec.taskId }));
      return;
    }
    if (record.state === "finished") return; // failed meanwhile (the process is closing)
    const oom = how?.outOfMemory;
    if (record.retriesLeft !== 0) {
      if (record.retriesLeft > 0) record.retriesLeft--;
      if (oom !== undefined) this.retryLater(record, oom);
      else {
        log.warn(`task ${record.spec.name} lost its worker (${error.message}); retrying`);
        this.deps.retry(record);
      }
      return;
    }
    if (oom !== undefined) {
      this.deps.results.fail(record, new OutOfMemoryError({ task: record.spec.name, taskId: record.spec.taskId, ...oom }));
      return;
    }
    this.deps.results.fail(
      record,
      new WorkerCrashedError({
        taskId: record.spec.taskId,
        cause: error,
        ...(how?.exitCode !== undefined ? { exitCode: how.exitCode } : {}),
        ...(how?.signal !== undefined ? { signal: how.signal } : {}),
      }),
    );
  }

  private retryLater(record: TaskRecord, oom: OutOfMemoryInfo): void {
    const kills = (this.oomKills.get(record) ?? 0) + 1;
    this.oomKills.set(record, kills);
    const { oomRetryDelayMs, oomRetryMaxDelayMs } = this.deps.config;
    const delay = Math.min(oomRetryDelayMs * 2 ** (kills - 1), oomRetryMaxDelayMs);
    log.warn(`task ${record.spec.name} was killed by the memory monitor of node ${oom.nodeId.slice(0, 8)} (${oom.nodeAddress}); running it again in ${delay} ms`);
    record.state = "queued";
    record.worker = undefined;
    // Unref'd: a lux.get waiting for the task holds the process open, nothing else must.
    const timer = this.deps.clock
      .setTimeout(() => {
        this.pauses.delete(timer);
        if (!record.cancelled && record.state !== "finished") this.deps.retry(record);
      }, delay)
      .unref();
    this.pauses.add(timer);
  }
}

/**
 * Task events (issue 16, point 3): the state changes of the tasks this process submits (as
 * their owner) and runs (as their executor), sent to the control service in batches.
 *
 * On the task path, recording is one push of a few values into an array (no object, promise
 * or string per event, and no reference to the task's spec: its arguments are not kept
 * alive), and events of one task in one batch become one: the owner's record remembers
 * where its submission is in the batch, and a finish in the same batch rewrites that event
 * (SUBMITTED_FINISHED); a run is sent once it ends, as one event (RUN), unless a batch goes
 * out while it runs (RUNNING, then RAN). So the control service merges two events per short
 * task.
 *
 * The owner decides at submission whether a task is reported: past taskEventsRateMax tasks
 * a second it is not (its spec says so, `reported` unset, and its executor follows), and
 * when it finishes it is counted as dropped. Such a task is still reported when it fails,
 * when it is retried, and when it is pending or running a whole interval: the owner walks
 * its unfinished tasks (`watchUnfinished`) and the executor its runs at each interval. So
 * past the rate a short task costs a counter and a clock read, and nothing at the control
 * service. Batches are built and sent every taskEventsReportIntervalMs, or at once when
 * taskEventsBatchMax events wait, one batch in flight at a time. Past taskEventsBufferMax
 * waiting events, new ones are dropped and counted per job; so are the events of a batch the
 * control service did not take.
 */
import { TASK_EVENT, type Clock, type GcsService, type RpcCaller, type TaskSpec, type TimerHandle } from "@lux/protocol";
import { createLogger, type ConfigValues } from "@lux/common";
import { encodeBatch, STRIDE } from "./task-events-batch.js";

export { encodeBatch };

const log = createLogger("core");

/** Events a batch can hold and still be pointed into by a record's `eventRow` (see rowOf). */
const ROW_SPAN = 2 ** 22;
/**
 * Batches told apart by a record's `eventRow` (which also checks its task id): with ROW_SPAN,
 * eventRow stays a small integer, so records hold it unboxed (a double would cost each record
 * a heap number, as would a time since the epoch in `unreportedSince`).
 */
const GENERATIONS = 2 ** 8;

export type TaskEventsConfig = Pick<ConfigValues, "taskEventsReportIntervalMs" | "taskEventsBatchMax" | "taskEventsBufferMax" | "taskEventsRateMax" | "rpcBestEffortTimeoutMs">;


export interface TaskEventsDeps {
  gcs: RpcCaller<GcsService>;
  nodeId: string;
  workerId: string;
  pid: number;
  clock: Clock;
  config: TaskEventsConfig;
}

/** What the owner's side keeps of a task (fields of its TaskRecord). */
export interface EventRow {
  spec: TaskSpec;
  /**
   * Where its submission is in the batch being filled ((generation % GENERATIONS) * ROW_SPAN
   * + index), negated minus 2 once it was queued; -1: none.
   */
  eventRow: number;
  /**
   * When it was submitted (whole milliseconds since the TaskEvents' `epoch`), if it is not
   * reported (past taskEventsRateMax); -1 once it is.
   */
  unreportedSince: number;
  /** "resolving" until it is first queued: a later queueing is a retry. */
  state: string;
  parentTaskId: string | undefined;
  deps: readonly unknown[];
}

export class TaskEvents {
  private buffer: unknown[] = [];
  private count = 0;
  /** Counts the batches taken: a record's eventRow points into the current one only. */
  private generation = 0;
  /** Times of unreported submissions count from here (see EventRow.unreportedSince). */
  private readonly epoch: number;
  /**
   * Runs started here and not ended: their start time, negated once sent as RUNNING. The
   * first in `solo` (a worker runs one normal task at a time: no table insert per run), the
   * others (concurrent actor calls) in `running`.
   */
  private solo: TaskSpec | undefined;
  private soloStart = 0;
  private readonly running = new Map<TaskSpec, number>();
  private readonly dropped = new Map<string, number>();
  private sending: Promise<void> | undefined;
  private timer: TimerHandle | undefined;
  private closed = false;
  private flushQueued = false;
  private readonly clock: Clock;
  private readonly batchMax: number;
  private readonly bufferMax: number;
  /** Tasks submitted here that are reported, per interval at most (taskEventsRateMax). */
  private readonly reportedMax: number;
  private reportedTasks = 0;
  /** Unreported tasks finished, not yet in `dropped`: counted per job without a Map update per task. */
  private unreportedJob = "";
  private unreportedCount = 0;
  /** This owner's unfinished tasks, to report those pending a whole interval (set by TaskResults). */
  private unfinished: (() => Iterable<EventRow>) | undefined;

  constructor(private readonly deps: TaskEventsDeps) {
    this.clock = deps.clock;
    this.epoch = deps.clock.now();
    this.batchMax = deps.config.taskEventsBatchMax;
    this.bufferMax = Math.min(deps.config.taskEventsBufferMax, ROW_SPAN - 1);
    const rate = deps.config.taskEventsRateMax;
    this.reportedMax = rate === 0 ? Infinity : Math.max(1, Math.round((rate * deps.config.taskEventsReportIntervalMs) / 1000));
    this.arm();
  }

  /** Where the owner's unfinished tasks are (walked once per interval). */
  watchUnfinished(unfinished: () => Iterable<EventRow>): void {
    this.unfinished = unfinished;
  }

  /** The owner submitted the task of `record` (waiting for arguments, or for a worker); reported while under the rate. */
  submitted(record: EventRow): void {
    if (this.reportedTasks >= this.reportedMax) {
      record.eventRow = -1;
      record.unreportedSince = Math.floor(this.clock.now() - this.epoch);
      return;
    }
    this.reportedTasks++;
    this.report(record, this.clock.now());
  }

  /**
   * The task waits for a worker (its arguments are ready, or it is retried). The first time,
   * right after a plain submission, this says nothing new and is not sent. A retried task is
   * reported from then on.
   */
  queued(record: EventRow): void {
    if (record.unreportedSince >= 0) {
      if (record.state === "resolving") return;
      this.report(record, this.epoch + record.unreportedSince);
    } else if (record.eventRow >= 0 && this.buffer[this.rowOf(record) * STRIDE + 2] === TASK_EVENT.SUBMITTED) {
      record.eventRow = -record.eventRow - 2;
      return;
    }
    this.push(record.spec, TASK_EVENT.QUEUED, this.clock.now(), undefined, NaN);
  }

  /** The task's submission at `at`, with its info; its executors report its runs from now on. */
  private report(record: EventRow, at: number): void {
    record.unreportedSince = -1;
    record.spec.reported = true;
    const row = this.push(record.spec, record.deps.length > 0 ? TASK_EVENT.SUBMITTED_WAITING : TASK_EVENT.SUBMITTED, at, record.parentTaskId, NaN);
    record.eventRow = row < 0 ? -1 : (this.generation % GENERATIONS) * ROW_SPAN + row;
  }

  /** The owner has the task's results: one event with its submission when that is still in this batch. */
  finished(record: EventRow): void {
    if (record.unreportedSince >= 0) {
      this.countUnreported(record.spec.jobId);
      return;
    }
    const row = this.rowOf(record);
    const now = this.clock.now();
    record.eventRow = -1;
    if (row >= 0 && this.buffer[row * STRIDE + 2] === TASK_EVENT.SUBMITTED) {
      this.buffer[row * STRIDE + 2] = TASK_EVENT.SUBMITTED_FINISHED;
      this.buffer[row * STRIDE + 7] = now;
      return;
    }
    this.push(record.spec, TASK_EVENT.FINISHED, now, undefined, NaN);
  }

  /** The owner failed the task for good, with `error`. */
  failed(record: EventRow, error: unknown): void {
    record.eventRow = -1;
    record.unreportedSince = -1;
    this.push(record.spec, TASK_EVENT.FAILED, this.clock.now(), error, NaN);
  }

  /** This process started running `spec` at `at` (reported when it ends, or as RUNNING if a batch goes first). */
  started(spec: TaskSpec, at: number): void {
    if (this.solo === undefined) {
      this.solo = spec;
      this.soloStart = at;
    } else {
      this.running.set(spec, at);
    }
  }

  /** This process's run of `spec` ended. A quick run of an unreported task ending well is not reported. */
  ran(spec: TaskSpec, failed: boolean): void {
    let start: number | undefined;
    if (spec === this.solo) {
      start = this.soloStart;
      this.solo = undefined;
    } else {
      start = this.running.get(spec);
      if (start !== undefined) this.running.delete(spec);
    }
    if (start === undefined || start < 0) {
      // Sent as RUNNING already, or ended without starting (its code could not be loaded).
      this.push(spec, failed ? TASK_EVENT.RAN_FAILED : TASK_EVENT.RAN, this.clock.now(), undefined, NaN);
    } else if (failed || spec.reported === true) {
      this.push(spec, failed ? TASK_EVENT.RUN_FAILED : TASK_EVENT.RUN, start, undefined, this.clock.now());
    }
  }

  /** Index of the record's submission in the batch being filled, or -1. */
  private rowOf(record: EventRow): number {
    const ref = record.eventRow >= 0 ? record.eventRow : -record.eventRow - 2;
    if (ref < 0) return -1;
    const row = ref % ROW_SPAN;
    const current = (ref - row) / ROW_SPAN === this.generation % GENERATIONS && row < this.count;
    // A record of a batch GENERATIONS ago points at another task's event.
    return current && this.buffer[row * STRIDE] === record.spec.taskId ? row : -1;
  }

  /** Appends an event; its index in the batch, or -1 if dropped. */
  private push(spec: TaskSpec, code: number, at: number, extra: unknown, end: number): number {
    if (this.count >= this.bufferMax) {
      this.drop(spec.jobId, 1);
      return -1;
    }
    this.buffer.push(spec.taskId, spec.jobId, code, at, extra, spec.name, spec.actorId, end);
    if (++this.count >= this.batchMax && !this.flushQueued) this.flushSoon();
    return this.count - 1;
  }

  /** A full batch goes out after the caller's turn (not inside a `.remote()` call). */
  private flushSoon(): void {
    this.flushQueued = true;
    setImmediate(() => {
      this.flushQueued = false;
      this.flush();
    });
  }

  /**
   * Sends what waits now (unless a batch is on its way: it goes after that one), with the
   * runs still going as RUNNING. Not while the control service is away: a call would wait
   * for it to come back and hold the process.
   */
  flush(): void {
    if (this.sending !== undefined || this.deps.gcs.state !== "open") return;
    const longAgo = this.clock.now() - this.deps.config.taskEventsReportIntervalMs;
    if (this.solo !== undefined && this.sentRunning(this.solo, this.soloStart, longAgo)) this.soloStart = -this.soloStart;
    for (const [spec, start] of this.running) if (this.sentRunning(spec, start, longAgo)) this.running.set(spec, -start);
    this.reportLongPending(longAgo);
    this.takeUnreported();
    if (this.count === 0 && this.dropped.size === 0) return;
    const events = this.buffer;
    const count = this.count;
    this.buffer = [];
    this.count = 0;
    this.generation++;
    const batch = encodeBatch(events, count, this.deps, this.takeDropped());
    const sent = this.deps.gcs.call("reportTaskEvents", batch, this.deps.config.rpcBestEffortTimeoutMs).then(
      () => undefined,
      (e: unknown) => {
        log.debug(`task events: a batch of ${count} was not taken: ${(e as Error).message}`);
        for (let i = 0; i < count; i++) this.drop(events[i * STRIDE + 1] as string, 1);
      },
    );
    this.sending = sent.finally(() => {
      this.sending = undefined;
      if (!this.closed && this.count >= this.batchMax) this.flushSoon();
    });
  }

  /** Sends a run going on as RUNNING unless it was, or is an unreported task's that started after `longAgo`; whether it did. */
  private sentRunning(spec: TaskSpec, start: number, longAgo: number): boolean {
    if (start < 0 || (spec.reported !== true && start > longAgo)) return false;
    return this.push(spec, TASK_EVENT.RUNNING, start, undefined, NaN) >= 0;
  }

  /** Reports the unreported tasks submitted before `longAgo` and still unfinished. */
  private reportLongPending(longAgo: number): void {
    if (this.unfinished === undefined) return;
    for (const record of this.unfinished()) {
      if (record.unreportedSince < 0 || this.epoch + record.unreportedSince > longAgo) continue;
      if (this.count >= this.bufferMax) return;
      this.report(record, this.epoch + record.unreportedSince);
    }
  }

  /** Sends what is left (waiting for the batch on its way first), then stops. */
  async close(): Promise<void> {
    this.closed = true;
    this.timer?.cancel();
    await this.sending;
    this.flush();
    await this.sending;
  }

  private arm(): void {
    // An unref'd timer: events waiting to be sent do not keep a driver alive.
    this.timer = this.clock
      .setTimeout(() => {
        if (this.closed) return;
        this.reportedTasks = 0;
        this.flush();
        this.arm();
      }, this.deps.config.taskEventsReportIntervalMs)
      .unref();
  }

  /** Counts an unreported task of `jobId` as dropped. */
  private countUnreported(jobId: string): void {
    if (jobId !== this.unreportedJob) {
      this.takeUnreported();
      this.unreportedJob = jobId;
    }
    this.unreportedCount++;
  }

  /** Moves the unreported tasks counted so far into `dropped`. */
  private takeUnreported(): void {
    if (this.unreportedCount > 0) this.drop(this.unreportedJob, this.unreportedCount);
    this.unreportedCount = 0;
  }

  private drop(jobId: string, n: number): void {
    this.dropped.set(jobId, (this.dropped.get(jobId) ?? 0) + n);
  }

  private takeDropped(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [jobId, n] of this.dropped) out[jobId] = n;
    this.dropped.clear();
    return out;
  }
}

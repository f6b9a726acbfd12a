/**
 * Task events (issue 16, point 3): the state changes of the tasks this process submits (as
 * their owner) and runs (as their executor), sent to the control service in batches.
 *
 * On the task path, recording is one push of a few values into an array (the task's id,
 * job, name and actor, a code, a time and an extra value): no object, promise or string
 * per event, and no reference to the task's spec (its arguments are not kept alive). Batches are built and
 * sent every taskEventsReportIntervalMs, or at once when taskEventsBatchMax events wait,
 * one batch in flight at a time. Past taskEventsBufferMax waiting events, new ones are
 * dropped and counted per job; so are the events of a batch the control service did not take.
 */
import { TASK_EVENT, carriesInfo, type Clock, type GcsService, type RpcCaller, type TaskEventBatch, type TaskSpec, type TimerHandle } from "@lux/protocol";
import { createLogger, type ConfigValues } from "@lux/common";

const log = createLogger("core");

/**
 * Values per event in the buffer: task id, job id, code, time, extra (a SUBMITTED's parent
 * task id, a FAILED's error), name, actor id.
 */
const STRIDE = 7;

export type TaskEventsConfig = Pick<ConfigValues, "taskEventsReportIntervalMs" | "taskEventsBatchMax" | "taskEventsBufferMax" | "rpcBestEffortTimeoutMs">;

export interface TaskEventsDeps {
  gcs: RpcCaller<GcsService>;
  nodeId: string;
  workerId: string;
  pid: number;
  clock: Clock;
  config: TaskEventsConfig;
}

export class TaskEvents {
  private buffer: unknown[] = [];
  private count = 0;
  private readonly dropped = new Map<string, number>();
  private sending: Promise<void> | undefined;
  private timer: TimerHandle | undefined;
  private closed = false;
  private flushQueued = false;
  private readonly clock: Clock;
  private readonly batchMax: number;
  private readonly bufferMax: number;

  constructor(private readonly deps: TaskEventsDeps) {
    this.clock = deps.clock;
    this.batchMax = deps.config.taskEventsBatchMax;
    this.bufferMax = deps.config.taskEventsBufferMax;
    this.arm();
  }

  /** Records that `spec`'s task reached `code` now. `extra`: a SUBMITTED's parent task id, a FAILED's error. */
  record(spec: TaskSpec, code: number, extra?: unknown): void {
    this.recordAt(spec, code, this.clock.now(), extra);
  }

  recordAt(spec: TaskSpec, code: number, at: number, extra?: unknown): void {
    if (this.count >= this.bufferMax) {
      this.drop(spec.jobId, 1);
      return;
    }
    this.buffer.push(spec.taskId, spec.jobId, code, at, extra, spec.name, spec.actorId);
    if (++this.count >= this.batchMax && !this.flushQueued) this.flushSoon();
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
   * Sends what waits now (unless a batch is on its way: it goes after that one). Not while
   * the control service is away: a call would wait for it to come back and hold the process.
   */
  flush(): void {
    if (this.sending !== undefined || (this.count === 0 && this.dropped.size === 0) || this.deps.gcs.state !== "open") return;
    const events = this.buffer;
    const count = this.count;
    this.buffer = [];
    this.count = 0;
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
        this.flush();
        this.arm();
      }, this.deps.config.taskEventsReportIntervalMs)
      .unref();
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

/** The columnar batch of `count` buffered events. A QUEUED right after its own SUBMITTED says nothing new: left out. */
export function encodeBatch(events: readonly unknown[], count: number, from: Pick<TaskEventsDeps, "nodeId" | "workerId" | "pid">, dropped: Record<string, number>): TaskEventBatch {
  const taskIds: string[] = [];
  const codes = new Uint8Array(count);
  const times = new Float64Array(count);
  const infos: string[] = [];
  const errors: TaskEventBatch["errors"] = [];
  let n = 0;
  let previous: string | undefined;
  let previousCode = -1;
  for (let i = 0; i < count * STRIDE; i += STRIDE) {
    const taskId = events[i] as string;
    const code = events[i + 2] as number;
    const extra = events[i + 4];
    if (code === TASK_EVENT.QUEUED && taskId === previous && previousCode === TASK_EVENT.SUBMITTED) continue;
    previous = taskId;
    previousCode = code;
    taskIds.push(taskId);
    codes[n] = code;
    times[n] = events[i + 3] as number;
    if (carriesInfo(code)) {
      const parent = code === TASK_EVENT.RUNNING ? undefined : (extra as string | undefined);
      infos.push(events[i + 1] as string, events[i + 5] as string, (events[i + 6] as string | undefined) ?? "", parent ?? "");
    }
    if (code === TASK_EVENT.FAILED) errors.push({ at: n, ...errorOf(extra) });
    n++;
  }
  return {
    nodeId: from.nodeId,
    workerId: from.workerId,
    pid: from.pid,
    taskIds,
    codes: codes.subarray(0, n),
    times: new Uint8Array(times.buffer, 0, n * 8),
    infos,
    errors,
    dropped,
  };
}

/** A failure's class name and message (an Error, or an error as it came over the wire). */
function errorOf(error: unknown): { type: string; message: string } {
  if (typeof error === "object" && error !== null) {
    const e = error as { name?: unknown; message?: unknown };
    return { type: typeof e.name === "string" ? e.name : "Error", message: typeof e.message === "string" ? e.message : "" };
  }
  return { type: "Error", message: String(error) };
}

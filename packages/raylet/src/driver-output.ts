/**
 * Sends a node's worker output to the driver of each worker's job, and to no other: a
 * job's lines go only to the address its driver registered (JobInfo.driverAddress), over
 * a connection this raylet opens to it, unless the job asked not to (`logToDriver: false`).
 *
 * A job's first worker on this node opens the way at once (an empty batch): the driver then
 * knows this node has its workers, and asks it for the rest of their output when it shuts
 * down (drainWorkerOutput), even if they wrote nothing yet.
 *
 * Lines read in one turn of the event loop go out together; while a batch is on its way
 * (one per job at a time) the next one gathers, so a busy job sends a few large messages,
 * never one per line, and a quiet one is not delayed. A driver that does not keep up loses
 * lines past logToDriverBufferBytes (it is told how many); a driver that cannot be reached
 * is tried again after a pause. Each line carries its prefix: `(f pid=… node=…)` for a
 * task, `(Counter pid=…)` for an actor, `(pid=… node=…)` for output of neither.
 */
import type { Clock, CoreWorkerService, JobInfo, OutputRun, OutputStream, RayletService, WorkerOutputBatch } from "@lux/protocol";
import type { ConnectionPool } from "@lux/protocol";
import type { OutputContext } from "@lux/common";
import type { OutputSink } from "./worker-output.js";

export interface DriverOutputOptions {
  nodeId: string;
  /** The job's registration (the raylet's cache): where its driver is, and whether it wants output. */
  job(jobId: string): Promise<JobInfo>;
  /** Connections to drivers, by address. */
  drivers: ConnectionPool<CoreWorkerService, RayletService>;
  /** config logToDriverBufferBytes. */
  bufferBytes: number;
  /** Deadline of each batch's delivery (config rpcBestEffortTimeoutMs). */
  timeoutMs: number;
  /** Pause after a failed delivery before the next try (config rpcReconnectMaxDelayMs). */
  retryMs: number;
  clock: Clock;
}

/** Jobs remembered as ended (their detached actors' output is not sent), newest kept. */
const MAX_ENDED_JOBS = 10_000;
/** Times a job is looked up before its output is given up on (see lookUp). */
const JOB_LOOKUPS = 5;

/** One job's lines on their way to its driver. */
interface JobQueue {
  /** The driver's address; undefined: not known yet, or the job wants no output (`off`). */
  address: string | undefined;
  off: boolean;
  runs: OutputRun[];
  bytes: number;
  /** Lines dropped since the last batch. */
  dropped: number;
  scheduled: boolean;
  /** The batch on its way. */
  sending: Promise<void> | undefined;
  /** A failed delivery: no try before this time. */
  retryAt: number;
  /** The driver has had a batch from this node (it knows to drain it). */
  greeted: boolean;
}

export class DriverOutput implements OutputSink {
  private readonly queues = new Map<string, JobQueue>();
  private readonly ended = new Set<string>();
  private readonly nodeTag: string;

  constructor(private readonly options: DriverOutputOptions) {
    this.nodeTag = options.nodeId.slice(0, 8);
  }

  workerStarted(jobId: string): void {
    this.queue(jobId);
  }

  lines(jobId: string, pid: number, stream: OutputStream, context: OutputContext | undefined, lines: string[]): void {
    const q = this.queue(jobId);
    if (q === undefined || q.off) return;
    let size = 0;
    for (const l of lines) size += l.length + 1;
    if (q.bytes + size > this.options.bufferBytes) {
      q.dropped += lines.length;
      return;
    }
    q.bytes += size;
    const prefix = this.prefix(pid, context);
    const last = q.runs[q.runs.length - 1];
    if (last !== undefined && last[0] === pid && last[1] === stream && last[2] === prefix) last[3].push(...lines);
    else q.runs.push([pid, stream, prefix, lines]);
    this.schedule(jobId, q);
  }

  /** Sends what the job's workers wrote so far; resolves once its driver has it (or it could not be sent). */
  async drain(jobId: string): Promise<void> {
    // Output already in the pipes is read in this turn of the event loop: let it arrive first.
    await new Promise((resolve) => setImmediate(resolve));
    const q = this.queues.get(jobId);
    if (q === undefined || q.off) return;
    while (q.sending !== undefined) await q.sending;
    if (q.runs.length > 0 || q.dropped > 0) await this.send(jobId, q, true);
  }

  /** The job ended: its driver is gone; later output of its (detached) workers stays in their files. */
  jobEnded(jobId: string): void {
    const q = this.queues.get(jobId);
    this.queues.delete(jobId);
    this.ended.add(jobId);
    if (this.ended.size > MAX_ENDED_JOBS) this.ended.delete(this.ended.values().next().value as string);
    if (q?.address !== undefined) this.options.drivers.forget(q.address);
  }

  private queue(jobId: string): JobQueue | undefined {
    let q = this.queues.get(jobId);
    if (q !== undefined) return q;
    if (this.ended.has(jobId)) return undefined;
    q = { address: undefined, off: false, runs: [], bytes: 0, dropped: 0, scheduled: false, sending: undefined, retryAt: 0, greeted: false };
    this.queues.set(jobId, q);
    this.lookUp(jobId, q, JOB_LOOKUPS);
    return q;
  }

  /**
   * Where the job's driver is. A worker started with a private cluster's raylet may write
   * before its driver registered the job: asked again a few times before giving up on it.
   */
  private lookUp(jobId: string, q: JobQueue, tries: number): void {
    this.options.job(jobId).then(
      (info) => {
        q.address = info.driverAddress;
        q.off = info.logToDriver === false;
        if (q.off) q.runs = [];
        else this.schedule(jobId, q);
      },
      () => {
        if (tries > 1 && this.queues.get(jobId) === q) {
          this.options.clock.setTimeout(() => this.lookUp(jobId, q, tries - 1), this.options.retryMs).unref();
          return;
        }
        q.off = true; // no such job: nobody to send to
        q.runs = [];
      },
    );
  }

  private prefix(pid: number, context: OutputContext | undefined): string {
    if (context === undefined) return `(pid=${pid} node=${this.nodeTag})`;
    if (context.actorId !== "") return `(${context.name} pid=${pid})`;
    return `(${context.name} pid=${pid} node=${this.nodeTag})`;
  }

  private schedule(jobId: string, q: JobQueue): void {
    if (q.scheduled || q.sending !== undefined || q.address === undefined || q.off || (q.greeted && q.runs.length + q.dropped === 0)) return;
    q.scheduled = true;
    const wait = q.retryAt - this.options.clock.now();
    const go = (): void => {
      q.scheduled = false;
      if (this.queues.get(jobId) === q && q.sending === undefined) this.send(jobId, q, false).catch(() => undefined);
    };
    // Within a turn of the event loop, lines of every worker gather into one batch.
    if (wait > 0) this.options.clock.setTimeout(go, wait).unref();
    else setImmediate(go);
  }

  /** Sends the job's pending lines as one batch; then the next, if more came meanwhile. */
  private send(jobId: string, q: JobQueue, now: boolean): Promise<void> {
    const address = q.address;
    if (address === undefined || (!now && q.retryAt > this.options.clock.now())) return Promise.resolve();
    const batch: WorkerOutputBatch = { nodeId: this.options.nodeId, runs: q.runs, ...(q.dropped > 0 ? { dropped: q.dropped } : {}) };
    q.runs = [];
    q.bytes = 0;
    q.dropped = 0;
    const sending = this.options.drivers
      .get(address)
      .then((driver) => driver.call("workerOutput", batch, this.options.timeoutMs))
      .then(
        () => {
          q.retryAt = 0;
          q.greeted = true;
        },
        () => {
          // Lost with its batch; the next lines try again after a pause (the driver may be gone: its job ends soon).
          q.dropped += batch.runs.reduce((n, r) => n + r[3].length, 0) + (batch.dropped ?? 0);
          q.retryAt = this.options.clock.now() + this.options.retryMs;
          this.options.drivers.forget(address);
        },
      )
      .finally(() => {
        q.sending = undefined;
        this.schedule(jobId, q);
      });
    q.sending = sending;
    return sending;
  }
}

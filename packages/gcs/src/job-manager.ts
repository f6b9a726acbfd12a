import { systemClock, type Clock, type JobInfo, type RpcConnection, type TimerHandle } from "@lux/protocol";
import { createLogger } from "@lux/common";
import type { GcsStorage } from "./storage.js";
import { StoredTable } from "./table.js";

const log = createLogger("gcs");

type JobEntry = JobInfo & { alive: boolean };

/**
 * Jobs (one per driver). A job ends when its driver's connection closes. Jobs restored
 * from storage after a restart end unless their driver reconnects within the window.
 */
export class JobManager {
  private readonly jobs = new Map<string, JobEntry>();
  private readonly endListeners: ((jobId: string) => void)[] = [];
  private table: StoredTable<JobEntry> | undefined;
  /** Restored jobs whose driver has not reconnected yet. */
  private readonly awaiting = new Map<string, TimerHandle>();
  private stopping = false;

  constructor(private readonly clock: Clock = systemClock) {}

  /** Writes the job table through to `storage` from now on. */
  persistTo(storage: GcsStorage): void {
    this.table = new StoredTable(storage, "jobs");
  }

  async register(info: JobInfo, driverConnection: RpcConnection<never>): Promise<void> {
    const known = this.jobs.get(info.jobId);
    const timer = this.awaiting.get(info.jobId);
    if (timer !== undefined) {
      timer.cancel();
      this.awaiting.delete(info.jobId);
      log.info(`job ${info.jobId}: its driver reconnected`);
    } else if (known?.alive === true) {
      log.info(`job ${info.jobId}: its driver reconnected`);
    } else {
      log.info(`job ${info.jobId} started (namespace ${info.namespace})`);
    }
    const entry: JobEntry = { ...info, alive: true };
    this.jobs.set(info.jobId, entry);
    driverConnection.onClose(() => {
      if (this.jobs.get(info.jobId) === entry) this.end(info.jobId);
    });
    await this.table?.put(info.jobId, entry);
  }

  get(jobId: string): JobInfo | undefined {
    return this.jobs.get(jobId);
  }

  /** Every job, ended ones included, in the order they registered (the state API). */
  list(): (JobInfo & { alive: boolean })[] {
    return [...this.jobs.values()];
  }

  onJobEnd(listener: (jobId: string) => void): void {
    this.endListeners.push(listener);
  }

  /** Loads the jobs of a previous run; alive ones wait `windowMs` for their driver. */
  async restore(windowMs: number): Promise<number> {
    const stored = (await this.table?.loadAll()) ?? new Map<string, JobEntry>();
    for (const [jobId, entry] of stored) {
      this.jobs.set(jobId, entry);
      if (!entry.alive) continue;
      const timer = this.clock.setTimeout(() => {
        this.awaiting.delete(jobId);
        log.warn(`job ${jobId}: its driver did not reconnect within ${windowMs} ms after the control service restarted`);
        this.end(jobId);
      }, windowMs);
      timer.unref();
      this.awaiting.set(jobId, timer);
    }
    return stored.size;
  }

  /** The control service is shutting down: connections closing now do not end jobs. */
  stop(): void {
    this.stopping = true;
    for (const t of this.awaiting.values()) t.cancel();
    this.awaiting.clear();
  }

  private end(jobId: string): void {
    if (this.stopping) return;
    const job = this.jobs.get(jobId);
    if (job === undefined || !job.alive) return;
    job.alive = false;
    this.table?.write(jobId, job);
    log.info(`job ${jobId} ended: its driver disconnected`);
    for (const l of this.endListeners) l(jobId);
  }
}

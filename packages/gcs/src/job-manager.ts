import type { JobInfo, RpcConnection } from "@lux/protocol";
import { createLogger } from "@lux/common";

const log = createLogger("gcs");

/** Jobs (one per driver). A job ends when its driver's connection closes. */
export class JobManager {
  private readonly jobs = new Map<string, JobInfo & { alive: boolean }>();
  private readonly endListeners: ((jobId: string) => void)[] = [];

  register(info: JobInfo, driverConnection: RpcConnection<never>): void {
    this.jobs.set(info.jobId, { ...info, alive: true });
    log.info(`job ${info.jobId} started (namespace ${info.namespace})`);
    driverConnection.onClose(() => this.end(info.jobId));
  }

  get(jobId: string): JobInfo | undefined {
    return this.jobs.get(jobId);
  }

  onJobEnd(listener: (jobId: string) => void): void {
    this.endListeners.push(listener);
  }

  private end(jobId: string): void {
    const job = this.jobs.get(jobId);
    if (job === undefined || !job.alive) return;
    job.alive = false;
    log.info(`job ${jobId} ended: its driver disconnected`);
    for (const l of this.endListeners) l(jobId);
  }
}

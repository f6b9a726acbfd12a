/** The registrations of the jobs a raylet serves, asked of the control service once each. */
import type { GcsService, JobInfo, RpcCaller } from "@lux/protocol";
import { LuxError } from "@lux/common";

export class JobInfos {
  private readonly jobs = new Map<string, Promise<JobInfo>>();

  /** `gcs`: the control service, once connected. */
  constructor(private readonly gcs: () => RpcCaller<GcsService> | undefined) {}

  /** The job's registration (asked once; asked again after a failure). */
  get(jobId: string): Promise<JobInfo> {
    let info = this.jobs.get(jobId);
    if (info === undefined) {
      const gcs = this.gcs();
      if (gcs === undefined) return Promise.reject(new LuxError("not connected to the control service"));
      info = gcs.call("getJob", { jobId });
      info.catch(() => this.jobs.delete(jobId));
      this.jobs.set(jobId, info);
    }
    return info;
  }

  /** The job ended: forget it. */
  forget(jobId: string): void {
    this.jobs.delete(jobId);
  }
}

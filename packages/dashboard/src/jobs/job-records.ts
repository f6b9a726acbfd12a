/**
 * Jobs' records in the KV (`job:<id>`, JobDetails as JSON). Only the job manager writes them,
 * and its changes to one job run one at a time (`update`), so a state is never lost to a race
 * between, say, a stop and the entrypoint's exit. An ended job's record does not change again.
 */
import { JobNotFoundError } from "@lux/common";
import { isTerminalStatus, type JobDetails } from "lux/job";
import { JOB_PREFIX, jobKey, logChunkPrefix, logMetaKey, parseJson, type JobsKv } from "./job-keys.js";
import { redactJob } from "./redact.js";

export class JobRecords {
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(private readonly kv: JobsKv) {}

  /** Records a new job; false when its id is taken. */
  create(job: JobDetails): Promise<boolean> {
    return this.kv.put(jobKey(job.submissionId), JSON.stringify(job), { overwrite: false });
  }

  async find(id: string): Promise<JobDetails | undefined> {
    const job = parseJson<JobDetails>(await this.kv.get(jobKey(id)));
    return job === undefined ? undefined : redactJob(job);
  }

  async get(id: string): Promise<JobDetails> {
    const job = await this.find(id);
    if (job === undefined) throw new JobNotFoundError({ submissionId: id });
    return job;
  }

  /** Every job, oldest first. */
  async list(): Promise<JobDetails[]> {
    const keys = await this.kv.keys(JOB_PREFIX);
    const jobs = await Promise.all(keys.map((k) => this.find(k.slice(JOB_PREFIX.length))));
    return jobs.filter((j): j is JobDetails => j !== undefined).sort((a, b) => a.startTime - b.startTime || (a.submissionId < b.submissionId ? -1 : 1));
  }

  /**
   * Changes a job that has not ended: `change` gets its record and returns the new one (or
   * undefined to leave it). Changes of one job run in order. Resolves with the record after.
   */
  update(id: string, change: (job: JobDetails) => JobDetails | undefined): Promise<JobDetails | undefined> {
    const run = async (): Promise<JobDetails | undefined> => {
      const job = await this.find(id);
      if (job === undefined || isTerminalStatus(job.status)) return job;
      const next = change(job);
      if (next === undefined) return job;
      await this.kv.put(jobKey(id), JSON.stringify(next));
      return next;
    };
    const previous = this.queues.get(id) ?? Promise.resolve();
    const result = previous.then(run, run);
    const settled = result.catch(() => undefined);
    this.queues.set(id, settled);
    void settled.then(() => {
      if (this.queues.get(id) === settled) this.queues.delete(id);
    });
    return result;
  }

  /** Removes the job's record and its output. */
  async remove(id: string): Promise<void> {
    const chunkKeys = await this.kv.keys(logChunkPrefix(id));
    await Promise.all(chunkKeys.map((k) => this.kv.del(k)));
    await this.kv.del(logMetaKey(id));
    await this.kv.del(jobKey(id));
  }
}

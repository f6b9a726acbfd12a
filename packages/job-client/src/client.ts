/**
 * `JobSubmissionClient`: submit shell commands to a cluster as jobs and follow them, over the
 * head's HTTP jobs API (see docs/jobs.md). Errors are coded: JobNotFoundError, JobExistsError,
 * InvalidJobRequestError (naming the field), JobNotFinishedError, JobApiError.
 */
import { call, callJson } from "./http.js";
import { resolveTarget, type JobTarget } from "./target.js";
import type { JobDetails, JobStatus, JobSubmission } from "./types.js";

export interface JobSubmissionClientOptions {
  /** The cluster token. Default: LUX_TOKEN, else the token file of the cluster on this machine. */
  token?: string;
  /** Deadline of each call (not of a log tail). Default 30 s. */
  timeoutMs?: number;
}

/** A client of one cluster's jobs API; it finds the API at its first call. */
export class JobSubmissionClient {
  private target: Promise<JobTarget> | undefined;
  private readonly timeoutMs: number;

  /**
   * @param address The head's HTTP server, `http://HOST:PORT` (printed by `lux start`, shown by
   *   `lux status`), or a control service `HOST:PORT` (its dashboard is looked up), or `"auto"`.
   *   Default: LUX_ADDRESS, else the cluster started on this machine.
   */
  constructor(
    private readonly address?: string,
    private readonly options: JobSubmissionClientOptions = {},
  ) {
    if (address !== undefined && (typeof address !== "string" || address === "")) {
      throw new TypeError(`JobSubmissionClient takes an address such as "http://127.0.0.1:8265", got ${JSON.stringify(address)}`);
    }
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  /** The jobs API's URL (`http://HOST:PORT`), once found. */
  async dashboardUrl(): Promise<string> {
    return (await this.resolved()).url;
  }

  /** Submits a job; resolves with its submission id once it is recorded (PENDING). */
  async submitJob(submission: JobSubmission): Promise<string> {
    const res = await callJson<{ submissionId: string }>(await this.resolved(), "/api/jobs", { method: "POST", body: submission, timeoutMs: this.timeoutMs });
    return res.submissionId;
  }

  /** The job: its state, message, exit code, times, entrypoint, metadata (JobNotFoundError if there is none). */
  async getJobInfo(submissionId: string): Promise<JobDetails> {
    return callJson<JobDetails>(await this.resolved(), jobRoute(submissionId), { timeoutMs: this.timeoutMs });
  }

  /** The job's state: PENDING, RUNNING, SUCCEEDED, FAILED or STOPPED. */
  async getJobStatus(submissionId: string): Promise<JobStatus> {
    return (await this.getJobInfo(submissionId)).status;
  }

  /** Every job of the cluster, oldest first. */
  async listJobs(): Promise<JobDetails[]> {
    return (await callJson<{ jobs: JobDetails[] }>(await this.resolved(), "/api/jobs", { timeoutMs: this.timeoutMs })).jobs;
  }

  /** The job's output so far (stdout and stderr together). */
  async getJobLogs(submissionId: string): Promise<string> {
    return (await callJson<{ logs: string }>(await this.resolved(), `${jobRoute(submissionId)}/logs`, { timeoutMs: this.timeoutMs })).logs;
  }

  /**
   * The job's output from its start, in pieces as it comes, until the job ends. Breaking out
   * of the loop closes the stream.
   */
  async *tailJobLogs(submissionId: string): AsyncIterable<string> {
    const abort = new AbortController();
    const res = await call(await this.resolved(), `${jobRoute(submissionId)}/logs/tail`, { signal: abort.signal });
    const body = res.body;
    if (body === null) return;
    const decoder = new TextDecoder();
    try {
      for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
        const text = decoder.decode(chunk, { stream: true });
        if (text !== "") yield text;
      }
      const rest = decoder.decode();
      if (rest !== "") yield rest;
    } finally {
      abort.abort();
    }
  }

  /**
   * Stops a job: its entrypoint's process group gets SIGTERM, then SIGKILL after the grace
   * period (config jobStopGraceMs, at most 5 s). Resolves with whether the job was still going
   * (false: it had ended); it is STOPPED once the entrypoint exited.
   */
  async stopJob(submissionId: string): Promise<boolean> {
    return (await callJson<{ stopped: boolean }>(await this.resolved(), `${jobRoute(submissionId)}/stop`, { method: "POST", timeoutMs: this.timeoutMs })).stopped;
  }

  /** Deletes an ended job with its logs; a job still PENDING or RUNNING is refused (JobNotFinishedError). */
  async deleteJob(submissionId: string): Promise<boolean> {
    return (await callJson<{ deleted: boolean }>(await this.resolved(), jobRoute(submissionId), { method: "DELETE", timeoutMs: this.timeoutMs })).deleted;
  }

  private resolved(): Promise<JobTarget> {
    if (this.target === undefined) {
      const target = resolveTarget(this.address, this.options.token);
      // A failed lookup is tried again by the next call (the cluster may have started since).
      target.catch(() => {
        if (this.target === target) this.target = undefined;
      });
      this.target = target;
    }
    return this.target;
  }
}

function jobRoute(submissionId: string): string {
  if (typeof submissionId !== "string" || submissionId === "") throw new TypeError(`a job's submission id is a non-empty string, got ${JSON.stringify(submissionId)}`);
  return `/api/jobs/${encodeURIComponent(submissionId)}`;
}

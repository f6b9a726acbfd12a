/** The shapes the jobs API sends and takes (`/api/jobs`), shared by the client, the CLI and the head. */

/** A job's states, in order: PENDING until its entrypoint starts, then RUNNING, then one of the three ends. */
export const JOB_STATUSES = ["PENDING", "RUNNING", "SUCCEEDED", "FAILED", "STOPPED"] as const;
/** A job's state (see JOB_STATUSES). */
export type JobStatus = (typeof JOB_STATUSES)[number];

/** Whether a job in `status` has ended (it will not change again). */
export function isTerminalStatus(status: JobStatus): boolean {
  return status === "SUCCEEDED" || status === "FAILED" || status === "STOPPED";
}

/**
 * Why a FAILED job failed: its entrypoint exited non-zero (or was killed), could not be
 * started, or its supervisor actor could not start or died (its node or worker was lost).
 */
export type JobErrorType = "ENTRYPOINT_FAILED" | "ENTRYPOINT_START_FAILED" | "SUPERVISOR_START_FAILED" | "SUPERVISOR_DIED";

/** The runtime env of a job's entrypoint (the fields of `lux`'s `RuntimeEnv`, see docs/runtime-env.md). */
export interface JobRuntimeEnv {
  /** A directory on the head's machine: shipped to the entrypoint's node, which runs the entrypoint in its copy. */
  workingDir?: string;
  envVars?: Record<string, string>;
  excludes?: string[];
  includeNodeModules?: boolean;
  npm?: string[];
  npmAllowScripts?: boolean;
  setupTimeoutMs?: number;
}

/** What `POST /api/jobs` takes. */
export interface JobSubmission {
  /** A shell command line, run with `/bin/sh -c`. */
  entrypoint: string;
  /** The job's id; default: one is made (`luxsubmit_…`). Letters, digits and `._:-`, at most 128. */
  submissionId?: string;
  runtimeEnv?: JobRuntimeEnv;
  /** Your own labels, kept with the job. */
  metadata?: Record<string, string>;
  /** CPUs the entrypoint holds while it runs (default 0: it never waits for a CPU). */
  entrypointNumCpus?: number;
  /** GPUs the entrypoint holds (it sees them in CUDA_VISIBLE_DEVICES). Default 0. */
  entrypointNumGpus?: number;
  /** Custom resources the entrypoint holds. */
  entrypointResources?: Record<string, number>;
}

/** A job, as `GET /api/jobs/:id` gives it. Times are milliseconds since the epoch. */
export interface JobDetails {
  type: "SUBMISSION";
  submissionId: string;
  entrypoint: string;
  status: JobStatus;
  /** What happened, in words ("Job finished successfully.", "The entrypoint exited with code 3.", …). */
  message: string;
  /** Why a FAILED job failed; null otherwise. */
  errorType: JobErrorType | null;
  /** The entrypoint's exit code once it ended (128 + N when killed by signal N); null before, or when it never ran. */
  exitCode: number | null;
  /** When the job was submitted. */
  startTime: number;
  /** When it ended; null while it has not. */
  endTime: number | null;
  metadata: Record<string, string>;
  runtimeEnv: JobRuntimeEnv;
  entrypointNumCpus: number;
  entrypointNumGpus: number;
  entrypointResources: Record<string, number>;
  /** The pid of the entrypoint's shell, once it started. */
  driverPid: number | null;
  /** The node the entrypoint runs (ran) on, once it started. */
  driverNodeId: string | null;
}

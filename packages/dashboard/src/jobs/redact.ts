/**
 * A job's `runtimeEnv.envVars` often carry secrets (API keys, passwords): the entrypoint gets
 * them, but the job's record (and so every listing of it: the jobs API, `lux job`, the
 * dashboard) keeps only their names.
 */
import type { JobDetails, JobRuntimeEnv } from "lux/job";

/** What a value is shown as. */
export const REDACTED = "<redacted>";

export function redactRuntimeEnv(env: JobRuntimeEnv): JobRuntimeEnv {
  if (env.envVars === undefined || env.envVars === null || typeof env.envVars !== "object") return env;
  return { ...env, envVars: Object.fromEntries(Object.keys(env.envVars).map((k) => [k, REDACTED])) };
}

/** The record as it may be shown (records written before redaction existed are redacted here). */
export function redactJob(job: JobDetails): JobDetails {
  return job.runtimeEnv === undefined || job.runtimeEnv === null ? job : { ...job, runtimeEnv: redactRuntimeEnv(job.runtimeEnv) };
}

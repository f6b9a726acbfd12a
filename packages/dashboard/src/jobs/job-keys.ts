/**
 * Where jobs live in the control service's KV (`lux.util.kv`, namespace `_lux_jobs`), so the
 * list and the logs survive a restart of the dashboard:
 *
 *   job:<id>                 the job's JobDetails (JSON), written by the job manager only
 *   logmeta:<id>             LogMeta (JSON): which output chunks exist, written by the supervisor
 *   log:<id>:<seq>           one chunk of the entrypoint's output (bytes), written by the supervisor
 *
 * Supervisor actors are named `_lux_job_supervisor:<id>` in the same namespace (which is also
 * the dashboard driver's).
 */
export const JOBS_NAMESPACE = "_lux_jobs";

export const jobKey = (id: string): string => `job:${id}`;
export const JOB_PREFIX = "job:";
export const logMetaKey = (id: string): string => `logmeta:${id}`;
export const logChunkPrefix = (id: string): string => `log:${id}:`;
export const logChunkKey = (id: string, seq: number): string => `${logChunkPrefix(id)}${String(seq).padStart(10, "0")}`;
export const supervisorName = (id: string): string => `_lux_job_supervisor:${id}`;

/** The chunks `[first, next)` of a job's output are kept; `droppedBytes` were dropped before them (jobLogMaxBytes). */
export interface LogMeta {
  first: number;
  next: number;
  keptBytes: number;
  droppedBytes: number;
}

export const EMPTY_LOG_META: LogMeta = { first: 0, next: 0, keptBytes: 0, droppedBytes: 0 };

/** The part of `lux.util.kv` jobs use, bound to their namespace (a fake in unit tests). */
export interface JobsKv {
  get(key: string): Promise<Uint8Array | undefined>;
  /** Returns whether the key was new; with `overwrite: false` a set key is left as it is. */
  put(key: string, value: Uint8Array | string, options?: { overwrite?: boolean }): Promise<boolean>;
  del(key: string): Promise<boolean>;
  keys(prefix: string): Promise<string[]>;
}

export function parseJson<T>(bytes: Uint8Array | undefined): T | undefined {
  return bytes === undefined ? undefined : (JSON.parse(Buffer.from(bytes).toString("utf8")) as T);
}

/** The environment of a job's entrypoint: its supervisor worker's, less what only a worker uses, plus the cluster's address. */

/** Variables the raylet sets for a worker process: a driver started by the entrypoint must not see them. */
const WORKER_ONLY = [
  "LUX_WORKER_ID",
  "LUX_JOB_ID",
  "LUX_NAMESPACE",
  "LUX_GCS_ADDRESS",
  "LUX_RAYLET_ADDRESS",
  "LUX_ADDRESSES_ON_STDIN",
  "LUX_SOCKET_DIR",
  "LUX_WORKER_PRELOADS",
  "LUX_RUNTIME_ENV",
  "LUX_RUNTIME_ENV_DIR",
];

/**
 * `LUX_ADDRESS` is the control service, so `lux.init()` in the entrypoint joins the cluster;
 * `LUX_TOKEN` (the worker has it) lets it in; `LUX_SUBMISSION_ID` names the job.
 */
export function entrypointEnv(workerEnv: NodeJS.ProcessEnv, gcsAddress: string, submissionId: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...workerEnv };
  for (const name of WORKER_ONLY) delete env[name];
  env["LUX_ADDRESS"] = gcsAddress;
  env["LUX_SUBMISSION_ID"] = submissionId;
  return env;
}

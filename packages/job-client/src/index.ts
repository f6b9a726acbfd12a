/**
 * The jobs API's client (`lux/job`, and the `lux job` command): submit shell commands to a
 * cluster as jobs, follow their state and output, stop and delete them (docs/jobs.md).
 *
 * @example
 * ```ts
 * import { JobSubmissionClient } from "lux/job";
 * const client = new JobSubmissionClient("http://127.0.0.1:8265");
 * const id = await client.submitJob({ entrypoint: "node train.mjs", runtimeEnv: { workingDir: "." } });
 * for await (const text of client.tailJobLogs(id)) process.stdout.write(text);
 * console.log(await client.getJobStatus(id)); // "SUCCEEDED"
 * ```
 */
export { JobSubmissionClient, type JobSubmissionClientOptions } from "./client.js";
export {
  JOB_STATUSES,
  isTerminalStatus,
  type JobStatus,
  type JobErrorType,
  type JobDetails,
  type JobSubmission,
  type JobRuntimeEnv,
} from "./types.js";
export { JobNotFoundError, JobExistsError, InvalidJobRequestError, JobNotFinishedError, JobApiError } from "@lux/common";

/**
 * `lux/job`: the jobs API's client. Submit a shell command to a cluster as a job, follow its
 * state and output, stop and delete it, over the head's HTTP server (docs/jobs.md).
 *
 * @example
 * ```ts
 * import { JobSubmissionClient } from "lux/job";
 * const client = new JobSubmissionClient("http://127.0.0.1:8265"); // default: LUX_ADDRESS, else this machine's cluster
 * const id = await client.submitJob({ entrypoint: "node train.mjs", runtimeEnv: { workingDir: "." } });
 * for await (const text of client.tailJobLogs(id)) process.stdout.write(text);
 * console.log(await client.getJobStatus(id)); // "SUCCEEDED"
 * ```
 */
export * from "@lux/job-client";

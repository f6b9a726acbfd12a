/**
 * Errors of the jobs API (`lux job`, `JobSubmissionClient` from `lux/job`, the head's
 * `/api/jobs` routes): declared here with the others, so each has one code and one class.
 * The HTTP server answers with `{ error: <code>, message, … }`; the client throws the class.
 */
import { defineError } from "@lux/protocol";

/** No job has this submission id (never submitted, or deleted). */
export const JobNotFoundError = defineError(
  "LUX_JOB_NOT_FOUND",
  "JobNotFoundError",
  (f: { readonly submissionId: string }) =>
    `no job has the submission id ${JSON.stringify(f.submissionId)}. List the jobs with \`lux job list\` (a deleted job is gone for good).`,
);
export type JobNotFoundError = InstanceType<typeof JobNotFoundError>;

/** A job with this submission id exists already: ids are unique for the cluster's life. */
export const JobExistsError = defineError(
  "LUX_JOB_EXISTS",
  "JobExistsError",
  (f: { readonly submissionId: string }) =>
    `a job with the submission id ${JSON.stringify(f.submissionId)} exists already. Submit with another id, or none (one is made), or delete the old job first if it has ended.`,
);
export type JobExistsError = InstanceType<typeof JobExistsError>;

/** A job submission (or another jobs API request) is malformed: `field` names what is wrong. */
export const InvalidJobRequestError = defineError(
  "LUX_INVALID_JOB_REQUEST",
  "InvalidJobRequestError",
  (f: {
    /** The field at fault, as a path into the request (`entrypoint`, `runtimeEnv.envVars.PORT`, `entrypointResources.GPU`). */
    readonly field: string;
    /** What it should be. */
    readonly reason: string;
  }) => `invalid job request: ${f.field}: ${f.reason}`,
);
export type InvalidJobRequestError = InstanceType<typeof InvalidJobRequestError>;

/** Deleting a job that has not ended (PENDING or RUNNING): stop it first. */
export const JobNotFinishedError = defineError(
  "LUX_JOB_NOT_FINISHED",
  "JobNotFinishedError",
  (f: { readonly submissionId: string; readonly status: string }) =>
    `job ${JSON.stringify(f.submissionId)} is ${f.status}: only a job that has ended (SUCCEEDED, FAILED or STOPPED) can be deleted. Stop it first (\`lux job stop\`).`,
);
export type JobNotFinishedError = InstanceType<typeof JobNotFinishedError>;

/** The head's jobs API could not be used: it is unreachable, refused the token, or failed. */
export const JobApiError = defineError(
  "LUX_JOB_API",
  "JobApiError",
  (f: {
    /** The URL called. */
    readonly url: string;
    /** The HTTP status, when the server answered. */
    readonly status?: number;
    /** What went wrong. */
    readonly reason: string;
  }) => `the jobs API at ${f.url} ${f.status !== undefined ? `answered ${f.status}` : "could not be reached"}: ${f.reason}`,
);
export type JobApiError = InstanceType<typeof JobApiError>;

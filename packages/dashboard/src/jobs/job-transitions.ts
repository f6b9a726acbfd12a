/** A job's record as it moves on: the state, its message and times (pure functions over JobDetails). */
import type { JobDetails, JobErrorType } from "lux/job";
import type { CheckedSubmission } from "./job-request.js";
import type { ExitReport, StartReport } from "./job-supervisor.js";
import { redactRuntimeEnv } from "./redact.js";

/** Lines of the entrypoint's last output put in a failed job's message. */
const MESSAGE_LINES = 20;

export function pendingJob(id: string, s: CheckedSubmission, now: number): JobDetails {
  return {
    type: "SUBMISSION",
    submissionId: id,
    entrypoint: s.entrypoint,
    status: "PENDING",
    message: "Waiting for the job's supervisor actor to start (on a node with the entrypoint's resources).",
    errorType: null,
    exitCode: null,
    startTime: now,
    endTime: null,
    metadata: s.metadata,
    // The values go to the supervisor actor's options only (job-manager.ts), never to the record.
    runtimeEnv: redactRuntimeEnv(s.runtimeEnv),
    entrypointNumCpus: s.entrypointNumCpus,
    entrypointNumGpus: s.entrypointNumGpus,
    entrypointResources: s.entrypointResources,
    driverPid: null,
    driverNodeId: null,
  };
}

export function runningJob(job: JobDetails, started: StartReport): JobDetails | undefined {
  if (job.status !== "PENDING") return undefined;
  return { ...job, status: "RUNNING", message: "The entrypoint is running.", driverPid: started.pid, driverNodeId: started.nodeId };
}

export function endedJob(job: JobDetails, report: ExitReport, now: number): JobDetails {
  const base = { ...job, exitCode: report.exitCode, endTime: now };
  if (report.stopped) return { ...base, status: "STOPPED", message: "The job was stopped." };
  if (report.exitCode === 0) return { ...base, status: "SUCCEEDED", message: "The entrypoint finished successfully." };
  const how = report.signal !== null ? `was killed by ${report.signal} (exit code ${report.exitCode})` : `exited with code ${report.exitCode}`;
  return { ...base, status: "FAILED", errorType: "ENTRYPOINT_FAILED", message: `The entrypoint ${how}.${lastLines(report.lastOutput)}` };
}

export function stoppedBeforeStart(job: JobDetails, now: number): JobDetails | undefined {
  if (job.status !== "PENDING") return undefined;
  return { ...job, status: "STOPPED", message: "The job was stopped before its entrypoint started.", endTime: now };
}

export function failedJob(job: JobDetails, errorType: JobErrorType, message: string, now: number): JobDetails {
  return { ...job, status: "FAILED", errorType, message, endTime: now };
}

function lastLines(output: string): string {
  const lines = output.replace(/\s+$/, "").split("\n");
  if (lines.length === 1 && lines[0] === "") return "";
  return ` Its last output:\n${lines.slice(-MESSAGE_LINES).join("\n")}`;
}

/**
 * Jobs: those submitted through the jobs API (`GET /api/jobs`, each by its submissionId, with
 * its entrypoint and state; a job's page streams its output from `/api/jobs/:id/logs/tail`),
 * and every driver connected to the cluster (the state API's jobs).
 */
import type { JobDetails, JobStatus } from "@lux/job-client";
import type { JobStateItem } from "@lux/protocol";
import type { JSX } from "preact";
import { useState } from "preact/hooks";
import { getJson } from "../api.js";
import { LogTail } from "../components/log-tail.js";
import { Empty, Fields, Id, Problem, StateBadge } from "../components/parts.js";
import { StateTable, type Column } from "../components/state-table.js";
import { time } from "../format.js";
import { Link } from "../router.js";
import { useLoad } from "../use-load.js";

type SubmittedJob = Pick<JobDetails, "submissionId" | "entrypoint" | "status" | "message" | "exitCode" | "startTime" | "endTime" | "metadata" | "driverNodeId">;

const JOB_STATES: readonly JobStatus[] = ["PENDING", "RUNNING", "SUCCEEDED", "FAILED", "STOPPED"];
const terminal = (status: JobStatus): boolean => status === "SUCCEEDED" || status === "FAILED" || status === "STOPPED";

const DRIVER_COLUMNS: Column<JobStateItem>[] = [
  { label: "Job", cell: (j) => <Link href={`/tasks?jobId=${j.jobId}`}>{j.jobId}</Link> },
  { label: "Namespace", cell: (j) => j.namespace },
  { label: "State", cell: (j) => <StateBadge state={j.state} /> },
  { label: "Driver", cell: (j) => j.driverAddress },
  { label: "Dropped tasks", cell: (j) => j.droppedTasks },
];

export function Jobs(): JSX.Element {
  return (
    <>
      <h1>Jobs</h1>
      <h2>Submitted jobs</h2>
      <SubmittedJobs />
      <h2>Drivers</h2>
      <StateTable<JobStateItem> kind="jobs" noun="driver job" columns={DRIVER_COLUMNS} rowKey={(j) => j.jobId} controls={[{ field: "state", label: "Driver state", options: ["RUNNING", "FINISHED"] }]} />
    </>
  );
}

function SubmittedJobs(): JSX.Element {
  const { data, error } = useLoad("/api/jobs", (signal) => getJson<{ jobs: SubmittedJob[] }>("/api/jobs", signal).then((body) => body.jobs), 5000);
  const [state, setState] = useState("");
  if (error?.status === 404) return <Empty>This server has no jobs API: jobs submitted with `lux job submit` will show here.</Empty>;
  const shown = (data ?? []).filter((j) => state === "" || j.status === state);
  return (
    <section aria-label="Submitted jobs">
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <span class="filter">
          <label for="job-state">Job state</label>
          <select id="job-state" value={state} onChange={(e) => setState(e.currentTarget.value)}>
            <option value="">All</option>
            {JOB_STATES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </span>
      </form>
      {error !== undefined ? <Problem message={error.message} /> : null}
      {data !== undefined && shown.length === 0 ? <Empty>No submitted jobs{state === "" ? "" : ` in state ${state}`}.</Empty> : null}
      {shown.length > 0 ? (
        <table>
          <thead>
            <tr>
              {["Submission id", "Entrypoint", "State", "Message", "Started", "Ended"].map((h) => (
                <th scope="col" key={h}>
                  {h}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {shown.map((j) => (
              <tr key={j.submissionId}>
                <td>
                  <Link href={`/jobs/${encodeURIComponent(j.submissionId)}`}>{j.submissionId}</Link>
                </td>
                <td>
                  <code>{j.entrypoint}</code>
                </td>
                <td>
                  <StateBadge state={j.status} />
                </td>
                <td>{j.message}</td>
                <td>{time(j.startTime)}</td>
                <td>{time(j.endTime)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}

export function JobDetail(props: { id: string }): JSX.Element {
  const url = `/api/jobs/${encodeURIComponent(props.id)}`;
  const { data: j, error } = useLoad(url, (signal) => getJson<SubmittedJob>(url, signal), 2000);
  return (
    <>
      <h1>
        Job <code>{props.id}</code>
      </h1>
      {error !== undefined ? <Problem message={error.status === 404 ? "No job was submitted with this id (or this server has no jobs API)." : error.message} /> : null}
      {j !== undefined ? (
        <Fields
          rows={[
            ["Submission id", j.submissionId],
            ["Entrypoint", <code>{j.entrypoint}</code>],
            ["State", <StateBadge state={j.status} />],
            ["Message", j.message],
            ["Exit code", j.exitCode],
            ["Node", j.driverNodeId === null ? null : <Id id={j.driverNodeId} href={`/nodes/${j.driverNodeId}`} />],
            ["Started", time(j.startTime)],
            ["Ended", time(j.endTime)],
            ["Metadata", Object.entries(j.metadata).map(([k, v]) => `${k}=${v}`).join(", ")],
          ]}
        />
      ) : null}
      <h2>Logs {j !== undefined && terminal(j.status) ? "" : <span class="muted">(live)</span>}</h2>
      <LogTail url={`${url}/logs/tail`} label="Job logs" missing="This server has no logs for this job." />
    </>
  );
}


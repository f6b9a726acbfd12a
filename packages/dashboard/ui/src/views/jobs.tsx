/**
 * Jobs: those submitted through the jobs API (`/api/jobs`, each by its submissionId, with
 * its entrypoint and state; a job's page streams its logs), and every driver connected to
 * the cluster (the state API's jobs).
 */
import type { JobStateItem } from "@lux/protocol";
import type { JSX } from "preact";
import { useState } from "preact/hooks";
import { getJson } from "../api.js";
import { LogTail } from "../components/log-tail.js";
import { Empty, Fields, Problem, StateBadge } from "../components/parts.js";
import { StateTable, type Column } from "../components/state-table.js";
import { time } from "../format.js";
import { Link } from "../router.js";
import { useLoad } from "../use-load.js";

/** A submitted job as the jobs API describes it (fields it may lack are optional). */
interface SubmittedJob {
  submissionId: string;
  entrypoint?: string;
  state?: string;
  status?: string;
  message?: string | null;
  exitCode?: number | null;
  jobId?: string | null;
  startTimeMs?: number | null;
  endTimeMs?: number | null;
  startTime?: number | null;
  endTime?: number | null;
  metadata?: Record<string, string>;
}

const JOB_STATES = ["PENDING", "RUNNING", "SUCCEEDED", "FAILED", "STOPPED"] as const;
const stateOf = (j: SubmittedJob): string => j.state ?? j.status ?? "UNKNOWN";
const terminal = (state: string): boolean => state === "SUCCEEDED" || state === "FAILED" || state === "STOPPED";

/** `GET /api/jobs` answers with a list (or an object holding one). */
function jobsOf(body: unknown): SubmittedJob[] {
  if (Array.isArray(body)) return body as SubmittedJob[];
  const o = body as { items?: unknown; jobs?: unknown };
  return (Array.isArray(o.items) ? o.items : Array.isArray(o.jobs) ? o.jobs : []) as SubmittedJob[];
}

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
  const { data, error } = useLoad("/api/jobs", (signal) => getJson<unknown>("/api/jobs", signal).then(jobsOf), 5000);
  const [state, setState] = useState("");
  if (error?.status === 404) return <Empty>This server has no jobs API: jobs submitted with `lux job submit` will show here.</Empty>;
  const shown = (data ?? []).filter((j) => state === "" || stateOf(j) === state);
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
                  <code>{j.entrypoint ?? ""}</code>
                </td>
                <td>
                  <StateBadge state={stateOf(j)} />
                </td>
                <td>{j.message ?? ""}</td>
                <td>{time(j.startTimeMs ?? j.startTime)}</td>
                <td>{time(j.endTimeMs ?? j.endTime)}</td>
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
            ["Entrypoint", <code>{j.entrypoint ?? ""}</code>],
            ["State", <StateBadge state={stateOf(j)} />],
            ["Message", j.message],
            ["Exit code", j.exitCode],
            ["Driver job", j.jobId === null || j.jobId === undefined ? null : <Link href={`/tasks?jobId=${j.jobId}`}>{j.jobId}</Link>],
            ["Started", time(j.startTimeMs ?? j.startTime)],
            ["Ended", time(j.endTimeMs ?? j.endTime)],
            ["Metadata", j.metadata === undefined ? null : Object.entries(j.metadata).map(([k, v]) => `${k}=${v}`).join(", ")],
          ]}
        />
      ) : null}
      <h2>Logs {j !== undefined && terminal(stateOf(j)) ? "" : <span class="muted">(live)</span>}</h2>
      <LogTail url={`${url}/logs/tail`} label="Job logs" missing="This server has no logs for this job." />
    </>
  );
}


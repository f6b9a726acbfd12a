/**
 * One task: where and when it ran, each state it went through, each run, and for a failed
 * task its error with the remote stack (where the task's code threw, in its worker).
 */
import type { TaskStateItem } from "@lux/protocol";
import type { JSX } from "preact";
import { getJson } from "../api.js";
import { Fields, Id, Problem, StateBadge } from "../components/parts.js";
import { duration, time } from "../format.js";
import { Link } from "../router.js";
import { useLoad } from "../use-load.js";

export function TaskDetail(props: { id: string }): JSX.Element {
  const url = `/api/state/tasks/${encodeURIComponent(props.id)}`;
  const { data: t, error } = useLoad(url, (signal) => getJson<TaskStateItem>(url, signal), 2000);
  return (
    <>
      <h1>
        Task <code>{props.id}</code>
      </h1>
      {error !== undefined ? <Problem message={error.status === 404 ? "The cluster keeps no task with this id (it may have been dropped past its limit)." : error.message} /> : null}
      {t !== undefined ? <Task task={t} /> : null}
    </>
  );
}

function Task({ task: t }: { task: TaskStateItem }): JSX.Element {
  return (
    <>
      <Fields
        rows={[
          ["Function", t.functionName ?? t.name],
          ["State", <StateBadge state={t.state} />],
          ["Type", t.type],
          ["Job", t.jobId === null ? null : <Link href={`/tasks?jobId=${t.jobId}`}>{t.jobId}</Link>],
          ["Actor", t.actorId === null ? null : <Id id={t.actorId} href={`/actors/${t.actorId}`} />],
          ["Parent task", t.parentTaskId === null ? null : <Id id={t.parentTaskId} href={`/tasks/${t.parentTaskId}`} />],
          ["Node", t.nodeId === null ? null : <Id id={t.nodeId} href={`/nodes/${t.nodeId}`} />],
          ["Worker", t.workerId === null ? null : `${t.workerId} (pid ${t.workerPid ?? "?"})`],
          ["Created", time(t.creationTimeMs)],
          ["Started", time(t.startTimeMs)],
          ["Ended", time(t.endTimeMs)],
        ]}
      />
      {t.state === "FAILED" ? <TaskError task={t} /> : null}
      <h2>States</h2>
      <table>
        <thead>
          <tr>
            <th scope="col">State</th>
            <th scope="col">Since</th>
          </tr>
        </thead>
        <tbody>
          {(t.events ?? []).map((e) => (
            <tr key={e.state}>
              <td>
                <StateBadge state={e.state} />
              </td>
              <td>{time(e.timeMs)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <Runs task={t} />
    </>
  );
}

function TaskError({ task: t }: { task: TaskStateItem }): JSX.Element {
  return (
    <section class="task-error" aria-label="Error">
      <h2>Error</h2>
      <p>
        <strong>{t.errorType ?? "Error"}</strong>: {t.errorMessage ?? ""}
      </p>
      <h3>Remote stack</h3>
      {t.errorStack !== null && t.errorStack !== undefined ? (
        <pre class="stack" aria-label="Remote stack">
          {t.errorStack}
        </pre>
      ) : (
        <p class="muted">None reported: the task did not throw (its worker, node or owner failed, or it was cancelled).</p>
      )}
    </section>
  );
}

function Runs({ task: t }: { task: TaskStateItem }): JSX.Element | null {
  const runs = t.executions ?? [];
  if (runs.length === 0) return null;
  return (
    <>
      <h2>Runs</h2>
      <table>
        <thead>
          <tr>
            {["Node", "Worker", "Pid", "Started", "Duration", "Status"].map((h) => (
              <th scope="col" key={h}>
                {h}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {runs.map((r) => (
            <tr key={`${r.workerId}-${r.startTimeMs}`}>
              <td>
                <Id id={r.nodeId} href={`/nodes/${r.nodeId}`} />
              </td>
              <td>
                <Id id={r.workerId} />
              </td>
              <td>{r.pid}</td>
              <td>{time(r.startTimeMs)}</td>
              <td>{r.endTimeMs === null ? "running" : duration(r.endTimeMs - r.startTimeMs)}</td>
              <td>
                <StateBadge state={r.status} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

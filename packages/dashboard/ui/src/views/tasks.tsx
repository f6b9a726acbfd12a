/** Tasks: filtered by state (the control labelled State), function and type, paged on the server. */
import type { TaskStateItem, TaskStateName } from "@lux/protocol";
import type { JSX } from "preact";
import { Id, StateBadge } from "../components/parts.js";
import { StateTable, type Column } from "../components/state-table.js";
import { duration, time } from "../format.js";

/** Every task state, in the order a task goes through them. */
export const TASK_STATES: readonly TaskStateName[] = ["PENDING_ARGS_AVAIL", "PENDING_NODE_ASSIGNMENT", "RUNNING", "FINISHED", "FAILED"];

const COLUMNS: Column<TaskStateItem>[] = [
  { label: "Task", cell: (t) => <Id id={t.taskId} href={`/tasks/${t.taskId}`} /> },
  { label: "Function", cell: (t) => t.functionName ?? t.name ?? "" },
  { label: "State", cell: (t) => <StateBadge state={t.state} /> },
  { label: "Type", cell: (t) => (t.type === "ACTOR_TASK" ? "actor" : "task") },
  { label: "Job", cell: (t) => <Id id={t.jobId} /> },
  { label: "Node", cell: (t) => <Id id={t.nodeId} href={t.nodeId === null ? undefined : `/nodes/${t.nodeId}`} /> },
  { label: "Worker pid", cell: (t) => t.workerPid ?? "" },
  { label: "Error", cell: (t) => t.errorType ?? "" },
  { label: "Started", cell: (t) => time(t.startTimeMs ?? t.creationTimeMs) },
  { label: "Duration", cell: (t) => (t.startTimeMs !== null && t.endTimeMs !== null ? duration(t.endTimeMs - t.startTimeMs) : "") },
];

export function Tasks(): JSX.Element {
  return (
    <>
      <h1>Tasks</h1>
      <StateTable<TaskStateItem>
        kind="tasks"
        noun="task"
        columns={COLUMNS}
        rowKey={(t) => t.taskId}
        controls={[
          { field: "state", label: "State", options: TASK_STATES },
          { field: "functionName", label: "Function" },
          { field: "type", label: "Type", options: ["NORMAL_TASK", "ACTOR_TASK"] },
        ]}
      />
    </>
  );
}

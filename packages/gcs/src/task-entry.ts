/**
 * One task as the control service keeps it: the events of its owner and executors merged
 * into a few fields (no list of events per task), so 100,000 of them cost tens of megabytes.
 */
import { TASK_STATES, type TaskExecution, type TaskStateItem, type TaskStateName } from "@lux/protocol";

/** Index in TASK_STATES. */
export const STATE = { PENDING_ARGS_AVAIL: 0, PENDING_NODE_ASSIGNMENT: 1, RUNNING: 2, FINISHED: 3, FAILED: 4 } as const;
export type StateIndex = (typeof STATE)[keyof typeof STATE];

/** Which eviction list a task is on: still pending or running, finished, failed. */
export const LIVE = 0;
export const DONE = 1;
export const FAILED_LIST = 2;
export type ListIndex = typeof LIVE | typeof DONE | typeof FAILED_LIST;

/** One run of a task on a worker. */
export class Execution {
  constructor(
    readonly nodeId: string,
    readonly workerId: string,
    readonly pid: number,
    readonly start: number,
    /** NaN while it runs. */
    public end: number,
    public failed: boolean,
  ) {}
}

export class TaskEntry {
  jobId = "";
  name = "";
  actorId = "";
  parentTaskId = "";
  state: StateIndex = STATE.PENDING_NODE_ASSIGNMENT;
  /** Time of the event that set `state`: a later one of another process may come first. */
  stateAt = -Infinity;
  /** The first time it was seen in each state (NaN: never). */
  createdAt = NaN;
  pendingArgsAt = NaN;
  pendingNodeAt = NaN;
  runningAt = NaN;
  endedAt = NaN;
  errorType = "";
  errorMessage = "";
  errorStack = "";
  executions: Execution[] | undefined = undefined;
  /** Its eviction list, and its neighbours there. */
  list: ListIndex = LIVE;
  prev: TaskEntry | undefined = undefined;
  next: TaskEntry | undefined = undefined;

  constructor(
    /** Order of first sight at the control service: the key listings page by. */
    readonly seq: number,
    readonly taskId: string,
  ) {}

  get terminal(): boolean {
    return this.state === STATE.FINISHED || this.state === STATE.FAILED;
  }

  /** The latest state wins (by the reporting process's clock), but FINISHED and FAILED are final. */
  setState(state: StateIndex, at: number): void {
    if (this.terminal) return;
    if (at >= this.stateAt || state === STATE.FINISHED || state === STATE.FAILED) {
      this.state = state;
      this.stateAt = at;
    }
  }

  lastExecution(): Execution | undefined {
    const runs = this.executions;
    return runs === undefined ? undefined : runs[runs.length - 1];
  }

  stateName(): TaskStateName {
    return TASK_STATES[this.state];
  }
}

const nullIfEmpty = (s: string): string | null => (s === "" ? null : s);
const nullIfNaN = (n: number): number | null => (Number.isNaN(n) ? null : n);

/** The function's name, or Class.method for an actor call whose actor's class is known. */
export function functionNameOf(e: TaskEntry, actorClass: (actorId: string) => string | undefined): string | null {
  if (e.name === "") return null;
  if (e.actorId === "") return e.name;
  const cls = actorClass(e.actorId);
  return cls === undefined ? e.name : `${cls}.${e.name}`;
}

/** What the state API shows of a task; `detail` adds its error message, state times and runs. */
export function taskItem(e: TaskEntry, detail: boolean, actorClass: (actorId: string) => string | undefined): TaskStateItem {
  const last = e.lastExecution();
  const item: TaskStateItem = {
    taskId: e.taskId,
    name: nullIfEmpty(e.name),
    functionName: functionNameOf(e, actorClass),
    state: e.stateName(),
    type: e.actorId === "" ? "NORMAL_TASK" : "ACTOR_TASK",
    jobId: nullIfEmpty(e.jobId),
    actorId: nullIfEmpty(e.actorId),
    parentTaskId: nullIfEmpty(e.parentTaskId),
    nodeId: last?.nodeId ?? null,
    workerId: last?.workerId ?? null,
    workerPid: last?.pid ?? null,
    errorType: nullIfEmpty(e.errorType),
    creationTimeMs: nullIfNaN(e.createdAt),
    startTimeMs: nullIfNaN(e.runningAt),
    endTimeMs: nullIfNaN(e.endedAt),
  };
  if (!detail) return item;
  item.errorMessage = nullIfEmpty(e.errorMessage);
  item.errorStack = nullIfEmpty(e.errorStack);
  item.events = stateTimes(e);
  item.executions = (e.executions ?? []).map(executionItem);
  return item;
}

function stateTimes(e: TaskEntry): { state: TaskStateName; timeMs: number }[] {
  const times: [TaskStateName, number][] = [
    ["PENDING_ARGS_AVAIL", e.pendingArgsAt],
    ["PENDING_NODE_ASSIGNMENT", e.pendingNodeAt],
    ["RUNNING", e.runningAt],
  ];
  if (e.terminal) times.push([e.stateName(), e.endedAt]);
  return times.filter(([, t]) => !Number.isNaN(t)).map(([state, timeMs]) => ({ state, timeMs }));
}

function executionItem(x: Execution): TaskExecution {
  const ended = !Number.isNaN(x.end);
  return {
    nodeId: x.nodeId,
    workerId: x.workerId,
    pid: x.pid,
    startTimeMs: x.start,
    endTimeMs: ended ? x.end : null,
    status: !ended ? "RUNNING" : x.failed ? "FAILED" : "FINISHED",
  };
}

/** A field of a task, for filters (the fields of STATE_FIELDS.tasks), without building its item. */
export function taskField(e: TaskEntry, field: string, actorClass: (actorId: string) => string | undefined): unknown {
  switch (field) {
    case "taskId":
      return e.taskId;
    case "name":
      return e.name;
    case "functionName":
      return functionNameOf(e, actorClass);
    case "state":
      return e.stateName();
    case "type":
      return e.actorId === "" ? "NORMAL_TASK" : "ACTOR_TASK";
    case "jobId":
      return e.jobId;
    case "actorId":
      return e.actorId;
    case "parentTaskId":
      return e.parentTaskId;
    case "nodeId":
      return e.lastExecution()?.nodeId;
    case "workerId":
      return e.lastExecution()?.workerId;
    case "workerPid":
      return e.lastExecution()?.pid;
    case "errorType":
      return e.errorType;
    default:
      return undefined;
  }
}

/**
 * `lux.state`: what the cluster is doing (issue 16). Every listing returns one page,
 * `{ items, nextPageToken, total, dropped }`; filters run on the control service before
 * the limit, and `nextPageToken` pages on from the last item seen, whatever changed since.
 *
 * @example
 * ```ts
 * import * as lux from "lux";
 * await lux.init({ address: "auto" });
 * const failed = await lux.state.listTasks({ filters: [["state", "=", "FAILED"]], limit: 50 });
 * for (let p = failed; ; p = await lux.state.listTasks({ filters: [["state", "=", "FAILED"]], pageToken: p.nextPageToken })) {
 *   for (const t of p.items) console.log(t.taskId, t.functionName, t.errorType);
 *   if (p.nextPageToken === null) break;
 * }
 * const task = await lux.state.get("tasks", failed.items[0]!.taskId); // with detail
 * for await (const line of lux.state.getLog({ taskId: task!.taskId, tail: 20 })) console.log(line);
 * // Without a driver of its own (tools, a dashboard):
 * const client = await lux.state.connect({ address: "127.0.0.1:6379" });
 * console.log((await client.listNodes()).items);
 * client.close();
 * ```
 */
import type { NodeLogFiles, StateItems, StateKind, StatePage, StateSummaries, SummaryKind, TraceEvent } from "@lux/protocol";
import { checkStateKind, checkSummaryKind, parseStateFilter } from "@lux/common";
import { clusterLost, requireCore } from "./api.js";
import { peerOptionsOf } from "./core-worker-start.js";
import type { GetLogOptions } from "./log-client.js";
import { StateClient, connectState, type ConnectOptions, type Filter, type ListOptions } from "./state-client.js";

export { StateClient, type ConnectOptions, type Filter, type ListOptions, type GetLogOptions };
export type {
  StateKind,
  StatePage,
  LogFileInfo,
  NodeLogFiles,
  StateItems,
  StateSummaries,
  SummaryKind,
  TraceEvent,
  TaskStateItem,
  TaskExecution,
  TaskStateName,
  ActorStateItem,
  ObjectStateItem,
  RefType,
  NodeStateItem,
  JobStateItem,
  PlacementGroupStateItem,
  WorkerStateItem,
  CountSummary,
  ObjectSummary,
  NodeStoreSummary,
} from "@lux/protocol";
export { STATE_KINDS, STATE_FIELDS, STATE_OPERATORS, TASK_STATES, REF_TYPES } from "@lux/protocol";

/** `text` as a StateKind (`"tasks"`, …); InvalidStateQueryError listing the kinds otherwise. */
export function checkKind(text: string): StateKind {
  return checkStateKind(text);
}

/** `text` as a kind `summary` takes; InvalidStateQueryError listing them otherwise. */
export { checkSummaryKind };

/**
 * A filter written as text, `key=value` or `key!=value` (as `lux list --filter` takes it),
 * checked against `kind`'s fields: InvalidStateQueryError naming the valid ones otherwise.
 */
export function parseFilter(kind: StateKind, text: string): Filter {
  return parseStateFilter(kind, text);
}

/** A client over this process's connection (after `lux.init()`). */
function own(operation: string): StateClient {
  const c = requireCore(`lux.state.${operation}`);
  return new StateClient(c.gcs, false, clusterLost(c), { peerOptions: peerOptionsOf(c.options), followMs: c.config.logFollowIntervalMs });
}

/** A client of its own, with no job: for tools that only read the cluster's state. Close it when done. */
export function connect(options?: ConnectOptions): Promise<StateClient> {
  return connectState(options);
}

/** One page of `kind` (see ListOptions). */
export function list<K extends StateKind>(kind: K, options?: ListOptions): Promise<StatePage<StateItems[K]>> {
  return own("list").list(kind, options);
}

/** Tasks (normal tasks and actor calls) from task events: at most taskEventsMax are kept. */
export function listTasks(options?: ListOptions): Promise<StatePage<StateItems["tasks"]>> {
  return own("listTasks").listTasks(options);
}

export function listActors(options?: ListOptions): Promise<StatePage<StateItems["actors"]>> {
  return own("listActors").listActors(options);
}

/** One item per (object, process holding it), asked of every node and its processes. */
export function listObjects(options?: ListOptions): Promise<StatePage<StateItems["objects"]>> {
  return own("listObjects").listObjects(options);
}

export function listNodes(options?: ListOptions): Promise<StatePage<StateItems["nodes"]>> {
  return own("listNodes").listNodes(options);
}

export function listJobs(options?: ListOptions): Promise<StatePage<StateItems["jobs"]>> {
  return own("listJobs").listJobs(options);
}

export function listPlacementGroups(options?: ListOptions): Promise<StatePage<StateItems["placement-groups"]>> {
  return own("listPlacementGroups").listPlacementGroups(options);
}

/** The nodes' pool workers and drivers, asked of every node. */
export function listWorkers(options?: ListOptions): Promise<StatePage<StateItems["workers"]>> {
  return own("listWorkers").listWorkers(options);
}

/** The item of `kind` with id `id`, with detail, or undefined. */
export function get<K extends StateKind>(kind: K, id: string): Promise<StateItems[K] | undefined> {
  return own("get").get(kind, id);
}

/** Counts: tasks by function and state, actors by class and state, objects by ref type and call site with each node's store. */
export function summary<K extends SummaryKind>(kind: K, options?: { filters?: readonly Filter[] }): Promise<StateSummaries[K]> {
  return own("summary").summary(kind, options);
}

/** Chrome trace events, one per task run (Perfetto opens them as a JSON array). */
export function timeline(options?: { jobId?: string }): Promise<TraceEvent[]> {
  return own("timeline").timeline(options);
}

/** Each alive node's log files, `{ nodeId, files: { name, size, modifiedAt }[] }[]` (one node's with `nodeId`). */
export function listLogs(options?: { nodeId?: string }): Promise<NodeLogFiles[]> {
  return own("listLogs").listLogs(options);
}

/**
 * Lines of a log, oldest first: a node's file (`file`, with `nodeId` when several nodes
 * have one of that name), a worker's output (`pid`), an actor's (`actorId`) or a task's
 * (`taskId`: only its lines). `tail`: the last N; `follow`: then lines as they are
 * written, until the loop ends (`break`).
 */
export function getLog(options: GetLogOptions): AsyncIterable<string> {
  return own("getLog").getLog(options);
}

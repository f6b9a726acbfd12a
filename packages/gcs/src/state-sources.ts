/**
 * The state API's rows of the kinds the control service holds itself: tasks (from task
 * events), actors, nodes, jobs and placement groups. Each as a RowSource (state-paging.ts).
 */
import type {
  ActorStateItem,
  JobInfo,
  JobStateItem,
  NodeInfo,
  NodeStateItem,
  PlacementGroupInfo,
  PlacementGroupStateItem,
  StateKind,
} from "@lux/protocol";
import { isBundleResource } from "@lux/common";
import type { ActorEntry } from "./actor-entry.js";
import type { RowKey, RowSource, Sequencer } from "./state-paging.js";
import { taskField, taskItem, type TaskEntry } from "./task-entry.js";
import type { TaskEventStore } from "./task-event-store.js";

/** Fields read straight off an item (the kinds whose rows are their items). */
function itemSource<T extends object>(kind: StateKind, rows: { row: T; seq: number }[], id: (row: T) => string, detailed: (row: T, detail: boolean) => object): RowSource<{ row: T; seq: number }> {
  return {
    kind,
    rows,
    key: (r): RowKey => [r.seq, id(r.row)],
    field: (r, name) => (detailed(r.row, false) as Record<string, unknown>)[name],
    item: (r, detail) => detailed(r.row, detail),
  };
}

export function taskSource(store: TaskEventStore, actorClass: (actorId: string) => string | undefined): RowSource<TaskEntry> {
  return {
    kind: "tasks",
    rows: store.values(),
    key: (e): RowKey => [e.seq, e.taskId],
    field: (e, name) => taskField(e, name, actorClass),
    item: (e, detail) => taskItem(e, detail, actorClass),
  };
}

export function actorItem(entry: ActorEntry, detail: boolean): ActorStateItem {
  const { spec, info } = entry;
  const item: ActorStateItem = {
    actorId: info.actorId,
    className: info.className,
    name: info.name ?? null,
    namespace: info.namespace,
    state: info.state,
    jobId: spec.jobId,
    nodeId: info.nodeId ?? null,
    workerId: info.workerId ?? null,
    detached: spec.detached,
  };
  if (!detail) return item;
  item.address = info.address ?? null;
  item.resources = spec.resources;
  item.maxRestarts = spec.maxRestarts;
  item.deathCause = deathCauseText(info.deathCause);
  item.placementGroupId = spec.placementGroup?.placementGroupId ?? null;
  return item;
}

function deathCauseText(cause: unknown): string | null {
  if (cause === undefined || cause === null) return null;
  const c = cause as { name?: unknown; message?: unknown };
  return typeof c.message === "string" ? `${typeof c.name === "string" ? c.name : "Error"}: ${c.message}` : null;
}

export function actorSource(entries: Iterable<ActorEntry>, seq: Sequencer): RowSource<{ row: ActorEntry; seq: number }> {
  const rows = seq.order([...entries], (e) => e.info.actorId);
  return itemSource("actors", rows, (e) => e.info.actorId, actorItem);
}

/** What a node's row adds to its NodeInfo: free resources, and (with detail) its store's use. */
export interface NodeUsage {
  /** The node's free resources as the control service's view has them (undefined: unknown). */
  available(nodeId: string): Record<string, number> | undefined;
  /** Bytes each node's store holds (detail only; a node missing did not answer). */
  storeUsed?: ReadonlyMap<string, number>;
}

export function nodeItem(n: NodeInfo, detail: boolean, usage: NodeUsage): NodeStateItem {
  const available = n.alive ? usage.available(n.nodeId) : undefined;
  const item: NodeStateItem = {
    nodeId: n.nodeId,
    address: n.address,
    state: n.alive ? "ALIVE" : "DEAD",
    storeKind: n.storeKind,
    resources: n.resources,
    availableResources: available === undefined ? {} : withoutBundles(available),
    labels: n.labels,
    startedAtMs: n.startedAtMs,
  };
  if (!detail) return item;
  item.storeCapacity = n.storeCapacity;
  item.storeUsedBytes = usage.storeUsed?.get(n.nodeId) ?? null;
  return item;
}

/** Resources without those placement groups' bundles add (what they reserve counts as used). */
function withoutBundles(resources: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(resources)) if (!isBundleResource(k)) out[k] = v;
  return out;
}

export function nodeSource(nodes: NodeInfo[], seq: Sequencer, usage: NodeUsage): RowSource<{ row: NodeInfo; seq: number }> {
  return itemSource("nodes", seq.order(nodes, (n) => n.nodeId), (n) => n.nodeId, (n, detail) => nodeItem(n, detail, usage));
}

export function jobItem(job: JobInfo & { alive: boolean }, detail: boolean, dropped: (jobId: string) => number): JobStateItem {
  const item: JobStateItem = {
    jobId: job.jobId,
    namespace: job.namespace,
    state: job.alive ? "RUNNING" : "FINISHED",
    driverAddress: job.driverAddress,
    droppedTasks: dropped(job.jobId),
  };
  if (!detail) return item;
  item.cwd = job.cwd;
  item.entryUrl = job.entryUrl ?? null;
  return item;
}

export function jobSource(jobs: (JobInfo & { alive: boolean })[], seq: Sequencer, dropped: (jobId: string) => number): RowSource<{ row: JobInfo & { alive: boolean }; seq: number }> {
  return itemSource("jobs", seq.order(jobs, (j) => j.jobId), (j) => j.jobId, (j, detail) => jobItem(j, detail, dropped));
}

export function placementGroupItem(g: PlacementGroupInfo): PlacementGroupStateItem {
  return {
    placementGroupId: g.placementGroupId,
    name: g.name,
    namespace: g.namespace,
    strategy: g.strategy,
    state: g.state,
    bundles: g.bundles,
    bundleNodeIds: g.bundleNodeIds,
  };
}

export function placementGroupSource(groups: PlacementGroupInfo[], seq: Sequencer): RowSource<{ row: PlacementGroupInfo; seq: number }> {
  return itemSource("placement-groups", seq.order(groups, (g) => g.placementGroupId), (g) => g.placementGroupId, placementGroupItem);
}

/**
 * The control service's side of the state API (`lux.state`, `lux list|get|summary|timeline`):
 * one page of any kind, filtered before the limit; one item by id; counts; a trace of task
 * runs. See docs/observability.md.
 */
import {
  STATE_ID_FIELDS,
  type CountSummary,
  type ObjectStateItem,
  type StateFilter,
  type StateKind,
  type StatePage,
  type StateQuery,
  type StateSummaries,
  type SummaryKind,
  type TaskEventBatch,
  type TraceEvent,
} from "@lux/protocol";
import { checkStateFilters, checkStateKind, checkSummaryKind } from "@lux/common";
import type { ActorManager } from "./actor-manager.js";
import type { JobManager } from "./job-manager.js";
import type { NodeManager } from "./node-manager.js";
import type { PlacementGroupManager } from "./placement-group-manager.js";
import type { ResourceViewManager } from "./resource-view.js";
import { nodeObjects, nodeStoreUse, nodeWorkers, objectRows, objectSource, objectSummary, workerSource } from "./state-fanout.js";
import { matches, page, Sequencer, type RowSource } from "./state-paging.js";
import { actorSource, jobSource, nodeSource, placementGroupSource, taskSource } from "./state-sources.js";
import { functionNameOf } from "./task-entry.js";
import { TaskEventStore } from "./task-event-store.js";
import { taskTimeline } from "./task-timeline.js";

export interface StateManagerDeps {
  actors: ActorManager;
  nodes: NodeManager;
  jobs: JobManager;
  placementGroups: PlacementGroupManager;
  /** Each node's free resources (nodes' rows). */
  view: ResourceViewManager;
  /** Tasks kept at most (config taskEventsMax). */
  taskEventsMax: number;
  /** Deadline of each node's answer for objects and workers (config rpcBestEffortTimeoutMs). */
  nodeTimeoutMs: number;
}

export class StateManager {
  readonly tasks: TaskEventStore;
  /** Creation order of the rows of kinds whose sources keep none. */
  private readonly sequencers = new Map<StateKind, Sequencer>();

  constructor(private readonly deps: StateManagerDeps) {
    this.tasks = new TaskEventStore(deps.taskEventsMax);
  }

  reportTaskEvents(batch: TaskEventBatch): void {
    this.tasks.ingest(batch);
  }

  async list(query: StateQuery): Promise<StatePage> {
    const kind = checkStateKind(query.kind);
    const filters = checkStateFilters(kind, query.filters);
    const source = await this.source(kind, query.detail);
    const dropped = kind === "tasks" ? this.droppedFor(filters) : 0;
    return page(source, { filters, limit: query.limit, pageToken: query.pageToken, detail: query.detail }, dropped) as StatePage;
  }

  /** The item of `kind` with id `id`, with detail (objects: with every reference to it); undefined if none. */
  async get(kindName: string, id: string): Promise<Record<string, unknown> | undefined> {
    const kind = checkStateKind(kindName);
    if (kind === "objects") return this.getObject(id);
    const source = await this.source(kind, true);
    const filters: StateFilter[] = [[STATE_ID_FIELDS[kind], "=", id]];
    const found = page(source, { filters, limit: 1, detail: true }, 0).items[0];
    return found as Record<string, unknown> | undefined;
  }

  async summary(kindName: string, given: readonly (readonly [string, string, string])[]): Promise<StateSummaries[SummaryKind]> {
    const kind = checkSummaryKind(kindName);
    const filters = checkStateFilters(kind, given);
    if (kind === "objects") {
      const reports = await nodeObjects(this.deps.nodes.alive(), this.deps.nodeTimeoutMs);
      const rows = objectRows(reports);
      const source = objectSource(rows, new Sequencer());
      return objectSummary(rows.filter((r) => matches(source, { row: r, seq: 0 }, filters)), reports);
    }
    if (kind === "tasks") {
      const source = taskSource(this.tasks, this.actorClass);
      return this.counts(source, filters, (e) => functionNameOf(e, this.actorClass) ?? "(unknown)", this.droppedFor(filters));
    }
    const source = actorSource(this.deps.actors.entries(), new Sequencer());
    return this.counts(source, filters, (r) => r.row.info.className, 0);
  }

  timeline(jobId: string | undefined): TraceEvent[] {
    return taskTimeline(this.tasks, jobId, this.actorClass, Date.now());
  }

  /** The class of an actor the control service knows (a task's functionName is Class.method). */
  private readonly actorClass = (actorId: string): string | undefined => this.deps.actors.classOf(actorId);

  private counts<R>(source: RowSource<R>, filters: readonly StateFilter[], nameOf: (row: R) => string, dropped: number): CountSummary {
    const out: CountSummary = { byName: {}, byState: {}, total: 0, dropped };
    for (const row of source.rows) {
      if (!matches(source, row, filters)) continue;
      const state = String(source.field(row, "state"));
      const byState = (out.byName[nameOf(row)] ??= {});
      byState[state] = (byState[state] ?? 0) + 1;
      out.byState[state] = (out.byState[state] ?? 0) + 1;
      out.total++;
    }
    return out;
  }

  /** Tasks dropped for the job a `jobId=` filter names, else for every job. */
  private droppedFor(filters: readonly StateFilter[]): number {
    const job = filters.find(([field, op]) => field === "jobId" && op === "=");
    return this.tasks.dropped(job?.[2]);
  }

  private sequencer(kind: StateKind): Sequencer {
    let s = this.sequencers.get(kind);
    if (s === undefined) {
      s = new Sequencer();
      this.sequencers.set(kind, s);
    }
    return s;
  }

  /** The rows of `kind`; `detail` asks what only the nodes know of themselves too (their stores' use). */
  private async source(kind: StateKind, detail: boolean): Promise<RowSource<unknown>> {
    const seq = this.sequencer(kind);
    const { actors, nodes, jobs, placementGroups, nodeTimeoutMs, view } = this.deps;
    switch (kind) {
      case "tasks":
        return taskSource(this.tasks, this.actorClass) as RowSource<unknown>;
      case "actors":
        return actorSource(actors.entries(), seq) as RowSource<unknown>;
      case "nodes":
        return nodeSource(nodes.list(), seq, {
          available: (nodeId) => view.get(nodeId)?.available,
          ...(detail ? { storeUsed: await nodeStoreUse(nodes.alive(), nodeTimeoutMs) } : {}),
        }) as RowSource<unknown>;
      case "jobs":
        return jobSource(jobs.list(), seq, (jobId) => this.tasks.dropped(jobId)) as RowSource<unknown>;
      case "placement-groups":
        return placementGroupSource(placementGroups.table(), seq) as RowSource<unknown>;
      case "workers":
        return workerSource(await nodeWorkers(nodes.alive(), nodeTimeoutMs), seq) as RowSource<unknown>;
      case "objects":
        return objectSource(objectRows(await nodeObjects(nodes.alive(), nodeTimeoutMs)), seq) as RowSource<unknown>;
    }
  }

  /** An object with every reference to it (one row per holding process and reason). */
  private async getObject(objectId: string): Promise<Record<string, unknown> | undefined> {
    const rows = objectRows(await nodeObjects(this.deps.nodes.alive(), this.deps.nodeTimeoutMs)).filter((r) => r.objectId === objectId);
    const first = rows[0];
    if (first === undefined) return undefined;
    const storedOn = [...new Set(rows.flatMap((r) => r.storedOn ?? []))];
    const references = rows.map((r: ObjectStateItem) => ({ refType: r.refType, holderAddress: r.holderAddress, nodeId: r.nodeId, pid: r.pid, workerId: r.workerId }));
    return { objectId, size: first.size, ownerAddress: first.ownerAddress, callSite: first.callSite, storedOn, references };
  }
}

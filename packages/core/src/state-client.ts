/**
 * The state API's client: pages of tasks, actors, objects, nodes, jobs, placement groups and
 * workers, filtered by the control service before the limit; one item by id; counts; the
 * task timeline. `lux.state`'s functions use this process's connection (after `lux.init()`);
 * `lux.state.connect()` makes a client of its own, without a job (tools: `lux list`, a
 * dashboard). See docs/observability.md.
 */
import {
  connectRpc,
  type GcsService,
  type NodeLogFiles,
  type PeerOptions,
  type RpcCaller,
  type StateFilter,
  type StateItems,
  type StateKind,
  type StateOperator,
  type StatePage,
  type StateSummaries,
  type SummaryKind,
  type TraceEvent,
} from "@lux/protocol";
import { InitError, InvalidStateQueryError, checkStateFilters, checkStateKind, checkSummaryKind, config, readTokenFile, rpcPeerOptions } from "@lux/common";
import { clusterLauncher } from "./launcher.js";
import { getLog, listLogs, type GetLogOptions, type LogAccess } from "./log-client.js";

/** A filter: [field, operator, value], e.g. `["state", "=", "FAILED"]`; values compare as text. */
export type Filter = readonly [field: string, operator: StateOperator, value: string | number | boolean];

export interface ListOptions {
  /** Every filter must hold (`=`: equal, `!=`: not equal); they run on the control service, before the limit. */
  filters?: readonly Filter[];
  /** Items per page (default 100). */
  limit?: number;
  /** The `nextPageToken` of the previous page, to get the next one. */
  pageToken?: string | null;
  /** Items with more fields (a task's state times, runs and error message, …). */
  detail?: boolean;
}

export interface ConnectOptions {
  /** The control service, "HOST:PORT" (default: LUX_ADDRESS, else the cluster `lux start` started on this machine). */
  address?: string;
  /** The cluster token (default: LUX_TOKEN, else the token file `lux start` or `lux.init()` wrote for that address). */
  token?: string;
}

export const DEFAULT_LIMIT = 100;

/** Reads the cluster's state through one connection to its control service. */
export class StateClient {
  /** @internal clients are made by `lux.state.connect()` (or over this process's own connection). */
  constructor(
    private readonly gcs: RpcCaller<GcsService>,
    private readonly owned: boolean,
    /** What a failed call becomes (ClusterLostError for this process's own connection). */
    private readonly failed: (error: unknown) => never = (e) => {
      throw e;
    },
    /** How to reach the nodes' raylets for their logs: the cluster's peer options, and config logFollowIntervalMs. */
    private readonly nodes: { peerOptions: PeerOptions; followMs: number } | undefined = undefined,
  ) {}

  /** One page of `kind`: `{ items, nextPageToken, total, dropped }`. Throws InvalidStateQueryError for an unknown kind, field or operator. */
  async list<K extends StateKind>(kind: K, options: ListOptions = {}): Promise<StatePage<StateItems[K]>> {
    const checked = checkStateKind(kind);
    const filters = checkFilters(checked, options.filters);
    const limit = options.limit ?? DEFAULT_LIMIT;
    if (!Number.isInteger(limit) || limit < 1) throw new InvalidStateQueryError({ part: "limit", given: String(limit), valid: [], reason: "a whole number >= 1" });
    const query = { kind: checked, filters: filters as [string, string, string][], limit, detail: options.detail === true, ...(typeof options.pageToken === "string" ? { pageToken: options.pageToken } : {}) };
    return (await this.gcs.call("listState", query).catch(this.failed)) as unknown as StatePage<StateItems[K]>;
  }

  listTasks(options?: ListOptions): Promise<StatePage<StateItems["tasks"]>> {
    return this.list("tasks", options);
  }

  listActors(options?: ListOptions): Promise<StatePage<StateItems["actors"]>> {
    return this.list("actors", options);
  }

  listObjects(options?: ListOptions): Promise<StatePage<StateItems["objects"]>> {
    return this.list("objects", options);
  }

  listNodes(options?: ListOptions): Promise<StatePage<StateItems["nodes"]>> {
    return this.list("nodes", options);
  }

  listJobs(options?: ListOptions): Promise<StatePage<StateItems["jobs"]>> {
    return this.list("jobs", options);
  }

  listPlacementGroups(options?: ListOptions): Promise<StatePage<StateItems["placement-groups"]>> {
    return this.list("placement-groups", options);
  }

  listWorkers(options?: ListOptions): Promise<StatePage<StateItems["workers"]>> {
    return this.list("workers", options);
  }

  /**
   * The item of `kind` with id `id`, with detail, or undefined. For objects: the object with
   * every reference to it (`references`: holder, node, ref type).
   */
  async get<K extends StateKind>(kind: K, id: string): Promise<StateItems[K] | undefined> {
    const { item } = await this.gcs.call("getState", { kind: checkStateKind(kind), id }).catch(this.failed);
    return item as StateItems[K] | undefined;
  }

  /** Tasks (by functionName) or actors (by class) counted by state; objects by ref type and call site, with each node's store. */
  async summary<K extends SummaryKind>(kind: K, options: { filters?: readonly Filter[] } = {}): Promise<StateSummaries[K]> {
    const checked = checkSummaryKind(kind);
    const filters = checkFilters(checked, options.filters) as [string, string, string][];
    return (await this.gcs.call("summarizeState", { kind: checked, filters }).catch(this.failed)) as StateSummaries[K];
  }

  /** Chrome trace events (Perfetto, chrome://tracing), one per task run; of one job with `jobId`. */
  async timeline(options: { jobId?: string } = {}): Promise<TraceEvent[]> {
    const request = options.jobId !== undefined ? { jobId: options.jobId } : {};
    return (await this.gcs.call("taskTimeline", request).catch(this.failed)).events;
  }

  /** Each alive node's log files `{ nodeId, files: { name, size, modifiedAt }[] }` (of one node with `nodeId`). */
  listLogs(options: { nodeId?: string } = {}): Promise<NodeLogFiles[]> {
    return listLogs(this.logAccess(), options);
  }

  /**
   * Lines of a node's log file (`file`), a worker's output (`pid`), an actor's (`actorId`) or
   * a task's (`taskId`), oldest first; `tail`: the last N; `follow`: then the lines written
   * later, until the loop over them ends. LogNotFoundError when there is no such log.
   */
  getLog(options: GetLogOptions): AsyncIterable<string> {
    return getLog(this.logAccess(), options);
  }

  private logAccess(): LogAccess {
    if (this.nodes === undefined) throw new InitError({ reason: "this state client cannot reach the nodes' logs" });
    return { gcs: this.gcs, ...this.nodes, get: (kind, id) => this.get(kind, id), failed: this.failed };
  }

  /** Closes a client made by `lux.state.connect()` (this process's own connection stays open). */
  close(): void {
    if (this.owned) this.gcs.close();
  }
}

function checkFilters(kind: StateKind, filters: readonly Filter[] | undefined): StateFilter[] {
  if (filters === undefined) return [];
  if (!Array.isArray(filters)) throw new InvalidStateQueryError({ part: "filter", given: String(filters), valid: [], reason: 'filters are an array of [field, "=" | "!=", value]' });
  return checkStateFilters(kind, filters.map(([field, op, value]) => [String(field), String(op), String(value)] as const));
}

/** A client of the cluster at `address` (see ConnectOptions for the defaults); close it when done. */
export async function connectState(options: ConnectOptions = {}): Promise<StateClient> {
  const env = process.env["LUX_ADDRESS"];
  let address = options.address ?? (env !== undefined && env !== "" ? env : "auto");
  if (address === "auto") {
    const found = clusterLauncher('find the cluster `lux start` started (address "auto")').autoAddress();
    if (found === undefined) throw new InitError({ reason: "lux.state.connect(): no address given, LUX_ADDRESS is not set, and no cluster started by `lux start` runs on this machine" });
    address = found;
  }
  const token = options.token ?? (process.env["LUX_TOKEN"] || readTokenFile(address));
  if (token === undefined) throw new InitError({ reason: `lux.state.connect(): no token for the cluster at ${address}: pass token, or set LUX_TOKEN` });
  const peerOptions = rpcPeerOptions(token);
  const gcs = await connectRpc<GcsService>(address, peerOptions);
  return new StateClient(gcs, true, undefined, { peerOptions, followMs: config("logFollowIntervalMs") });
}

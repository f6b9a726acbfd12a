import type { Clock, LeaseGrant, LeaseReply, RuntimeEnvSpec, SchedulingStrategy, TimerHandle } from "@lux/protocol";
import { ConnectionClosedError, UNTIL_PEER_LOST, sleep } from "@lux/protocol";
import {
  LeaseFailedError,
  NodeAffinityError,
  PlacementGroupRemovedError,
  RuntimeEnvSetupError,
  createLogger,
  newTaskId,
  type ConfigValues,
} from "@lux/common";
import type { PeerConnection, PeerPool, RayletConnection, RayletPool } from "./connections.js";
import type { Fifo } from "./fifo.js";
import type { TaskRecord } from "./task-record.js";
import type { TaskResults } from "./task-results.js";

const log = createLogger("core");

/** Tasks of one shape waiting for workers: what a lease request asks for, and the state of its requests. */
export interface LeaseShape {
  resources: Record<string, number>;
  strategy: SchedulingStrategy | undefined;
  /** The placement group and bundle the tasks run in (then `resources` are the bundle's names). */
  placementGroup: { placementGroupId: string; bundleIndex: number } | undefined;
  /** Workers of another runtime env are never shared. */
  runtimeEnv: RuntimeEnvSpec | undefined;
  /** Only nodes whose labels match may run these tasks. */
  labelSelector: Record<string, string> | undefined;
  /** Its tasks run again if their worker dies (maxRetries): a node short of memory kills such workers first. */
  retriable: boolean;
  description: string;
  /** Queued tasks: a request that fails fails them, or counts against the first one's retries. */
  queue: Fifo<TaskRecord>;
  /** Lease requests in flight, by request id, with the raylet each is waiting at. */
  pendingRequests: Map<string, RayletConnection>;
  /** Lease requests that failed in a row (workers that could not start). */
  startFailures: number;
  /** The backlog (queued tasks beyond the requests in flight) the raylets were last told. */
  reportedBacklog: number;
  /** Set while a backlog report is scheduled. */
  backlogTimer: TimerHandle | undefined;
}

/** The config entries a LeaseRequester uses (see docs/config.md for what each trades). */
export type LeaseRequesterConfig = Pick<ConfigValues, "maxWorkerStartFailures" | "maxLeaseSpillbacks" | "spillbackRetryMs" | "backlogReportIntervalMs">;

export interface LeaseRequesterDeps<S extends LeaseShape> {
  jobId: string;
  /** This node's id: a worker leased here is reached through its Unix socket. */
  nodeId: string;
  /** This node's raylet: every lease request starts there. */
  raylet: RayletConnection;
  /** Other nodes' raylets, by address, for requests spilled back to them. */
  raylets: RayletPool;
  /** Leased workers, by address (one connection per worker, taken once per lease). */
  workers: PeerPool;
  /** Where the tasks a failed request dooms end. */
  results: Pick<TaskResults, "fail">;
  /** Pauses before asking again when a spilled-to raylet is unreachable. */
  clock: Clock;
  config: LeaseRequesterConfig;
  /**
   * A worker was leased and connected for `shape`. `withdrawn`: its request was cancelled
   * after the raylet granted it (use it if tasks wait, else give it back).
   */
  leased(shape: S, grant: LeaseGrant, raylet: RayletConnection, connection: PeerConnection, withdrawn: boolean): void;
  /** A request ended without a worker while tasks of `shape` may still need one: place them again. */
  dispatch(shape: S): void;
}

/**
 * Acquires leased workers for a TaskSubmitter: asks the local raylet, follows spillbacks to
 * other nodes' raylets, counts workers that fail to start against the tasks waiting, and
 * connects to the worker granted. Runs once per lease, never per task.
 */
export class LeaseRequester<S extends LeaseShape> {
  private closed = false;
  /** Where the raylets of other nodes that requests were spilled to listen, by node id (for nodeDied). */
  private readonly rayletAddresses = new Map<string, string>();

  constructor(private readonly deps: LeaseRequesterDeps<S>) {}

  /** Stops connecting to granted workers: they are going away. */
  close(): void {
    this.closed = true;
  }

  /** A node was declared dead: its raylet's connection is closed, so requests queued there are placed again. */
  nodeDied(nodeId: string): void {
    const address = this.rayletAddresses.get(nodeId);
    this.rayletAddresses.delete(nodeId);
    if (address !== undefined) this.deps.raylets.forget(address);
  }

  /**
   * The tasks of `shape` queued beyond its requests in flight may have changed: the raylet
   * holding its newest request is told, at most every backlogReportIntervalMs (a request sent
   * carries the backlog of its moment; this covers a queue that grows or shrinks without one).
   */
  backlogChanged(shape: S): void {
    if (shape.backlogTimer !== undefined || this.closed) return;
    shape.backlogTimer = this.deps.clock
      .setTimeout(() => {
        shape.backlogTimer = undefined;
        this.reportBacklog(shape);
      }, this.deps.config.backlogReportIntervalMs)
      .unref();
  }

  private reportBacklog(shape: S): void {
    const backlog = Math.max(0, shape.queue.length - shape.pendingRequests.size);
    if (this.closed || backlog === shape.reportedBacklog) return;
    let newest: [string, RayletConnection] | undefined;
    for (const entry of shape.pendingRequests) newest = entry;
    // No request waits: leased workers run the queue, and no raylet counts it as demand.
    if (newest === undefined) return;
    shape.reportedBacklog = backlog;
    newest[1].notify("reportBacklog", { requestId: newest[0], backlog });
  }

  /**
   * Asks the local raylet for a worker, following spillbacks to other nodes' raylets. The
   * request may wait behind busy resources for as long as they stay busy: its deadline is
   * the raylet's liveness (the local raylet's connection closes with its process; another
   * node's is closed when the node is declared dead, see nodeDied).
   */
  async request(shape: S): Promise<void> {
    const requestId = newTaskId();
    const local = this.deps.raylet;
    let raylet: RayletConnection = local;
    shape.pendingRequests.set(requestId, raylet);
    const backlog = shape.queue.length - shape.pendingRequests.size;
    shape.reportedBacklog = Math.max(0, backlog);
    let grant: LeaseGrant | undefined;
    try {
      let noSpillback = false;
      for (let hop = 0; grant === undefined; hop++) {
        const reply: LeaseReply = await raylet.call(
          "requestLease",
          {
            requestId,
            jobId: this.deps.jobId,
            resources: shape.resources,
            description: shape.description,
            ...(shape.strategy !== undefined ? { strategy: shape.strategy } : {}),
            ...(shape.runtimeEnv !== undefined ? { runtimeEnv: shape.runtimeEnv } : {}),
            ...(shape.placementGroup !== undefined ? shape.placementGroup : {}),
            ...(shape.labelSelector !== undefined ? { labelSelector: shape.labelSelector } : {}),
            ...(noSpillback ? { noSpillback } : {}),
            ...(shape.retriable ? { retriable: true } : {}),
            ...(backlog > 0 ? { backlog } : {}),
          },
          UNTIL_PEER_LOST,
        );
        if ("cancelled" in reply) break; // withdrawn by TaskSubmitter.cancelSurplusRequests
        if (!("spillback" in reply)) {
          grant = reply;
          break;
        }
        if (!shape.pendingRequests.has(requestId)) return; // closed meanwhile
        if (hop >= this.deps.config.maxLeaseSpillbacks) {
          throw new LeaseFailedError({ what: shape.description, reason: `the request was spilled back ${hop} times without being granted` });
        }
        const { nodeId, address }: { nodeId: string; address: string } = reply.spillback;
        const next: RayletConnection | undefined = await this.rayletOf(nodeId, address).catch((e: unknown) => {
          log.warn(`cannot reach the raylet of node ${nodeId} at ${address} (${(e as Error).message}); asking the local raylet again`);
          return undefined;
        });
        if (next === undefined) await sleep(this.deps.clock, this.deps.config.spillbackRetryMs);
        // Followed spillbacks are queued where they land, so requests do not bounce between nodes.
        raylet = next ?? local;
        noSpillback = next !== undefined;
        if (!shape.pendingRequests.has(requestId)) return;
        shape.pendingRequests.set(requestId, raylet);
      }
    } catch (e) {
      this.failed(shape, requestId, raylet, e);
      return;
    }
    if (grant === undefined) {
      shape.pendingRequests.delete(requestId);
      return;
    }
    shape.startFailures = 0;
    await this.connect(shape, requestId, raylet, grant);
  }

  /** The raylet of node `nodeId`, listening at `address`: this node's own connection, or a shared one to another node. */
  private rayletOf(nodeId: string, address: string): Promise<RayletConnection> {
    if (nodeId === this.deps.nodeId) return Promise.resolve(this.deps.raylet);
    this.rayletAddresses.set(nodeId, address);
    return this.deps.raylets.get(address);
  }

  /** The lease request failed: the tasks of its shape fail, or count it against their retries, or it is placed again. */
  private failed(shape: S, requestId: string, raylet: RayletConnection, e: unknown): void {
    if (!shape.pendingRequests.delete(requestId)) return; // cancelled: no task needs it any more
    const local = this.deps.raylet;
    if (local.state === "closed") return;
    if (raylet !== local && (e instanceof ConnectionClosedError || raylet.state === "closed")) {
      this.deps.dispatch(shape); // the node it was spilled to went away: place it again
      return;
    }
    if (e instanceof NodeAffinityError || e instanceof RuntimeEnvSetupError || e instanceof PlacementGroupRemovedError) {
      // Every task of this shape is pinned to the same missing node, needs the same runtime env, or runs in the same removed group.
      for (const record of shape.queue.drain()) this.deps.results.fail(record, e);
      return;
    }
    // The worker could not start (it may have been killed while starting): that counts
    // against the next task's retries; a shape whose workers keep failing to start fails.
    shape.startFailures++;
    const record = shape.queue.peek();
    if (record !== undefined && (record.retriesLeft === 0 || shape.startFailures >= this.deps.config.maxWorkerStartFailures)) {
      shape.queue.shift();
      this.deps.results.fail(record, leaseFailed(shape.description, e));
    } else if (record !== undefined && record.retriesLeft > 0) {
      record.retriesLeft--;
    }
    this.deps.dispatch(shape);
  }

  /** Connects to the leased worker and hands it to the submitter, or gives it back if it cannot be reached. */
  private async connect(shape: S, requestId: string, raylet: RayletConnection, grant: LeaseGrant): Promise<void> {
    // The request stays in pendingRequests until its worker is connected: dispatch() must
    // not ask for another lease for the task this one is about to take.
    let connection: PeerConnection;
    try {
      // A worker on this node is reached through its Unix socket (faster than TCP loopback).
      const local = grant.workerSocket !== undefined && grant.nodeId === this.deps.nodeId;
      connection = await this.deps.workers.get(local ? (grant.workerSocket as string) : grant.workerAddress);
    } catch (e) {
      shape.pendingRequests.delete(requestId);
      if (this.closed) return; // shutting down: workers are going away
      log.warn(`leased worker at ${grant.workerAddress} is unreachable: ${(e as Error).message}`);
      raylet.notify("returnLease", { leaseId: grant.leaseId, disconnect: true });
      this.deps.dispatch(shape);
      return;
    }
    const withdrawn = !shape.pendingRequests.delete(requestId);
    this.deps.leased(shape, grant, raylet, connection, withdrawn);
  }
}

/** The error a task fails with when no worker could be leased for it, after `error`. */
function leaseFailed(what: string, error: unknown): Error {
  if (error instanceof LeaseFailedError) return error;
  return new LeaseFailedError({ what, reason: error instanceof Error ? error.message : String(error), cause: error });
}

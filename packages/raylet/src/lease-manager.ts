import type {
  Clock,
  CoreWorkerService,
  DemandEntry,
  JobInfo,
  LeaseReply,
  LeaseRequest,
  NodeResources,
  ResourceSet,
  RpcConnection,
  TimerHandle,
} from "@lux/protocol";
import { NodeAffinityError, PlacementGroupRemovedError, createLogger, labelsMatch, newTaskId, type ConfigValues } from "@lux/common";
import type { BundleReservations } from "./bundle-reservations.js";
import type { ClusterView } from "./cluster-view.js";
import type { Allocation, ResourcePool } from "./resources.js";
import { place, type Placement } from "./scheduling-policy.js";
import type { WorkerHandle, WorkerPool } from "./worker-pool.js";
import { demandOf, setBacklog, shapeKey, type QueuedLease } from "./pending-demand.js";

const log = createLogger("raylet");

export type Requester = RpcConnection<CoreWorkerService>;

interface PendingLease extends QueuedLease {
  resolve(reply: LeaseReply): void;
  reject(error: Error): void;
  /** When it was queued here (clock.now()). */
  queuedAt: number;
  /** This node's labels match the request's selector (it may be granted here). */
  here: boolean;
}

/**
 * The config entries a LeaseManager uses. followedSpillbackRespillMs: a request that
 * followed a spillback here is queued here, so requests do not bounce between nodes on
 * stale views; one still waiting after this long may move on to a node the view shows free
 * now (the view it was spilled on was stale, or a node joined since).
 */
export type LeaseManagerConfig = Pick<ConfigValues, "followedSpillbackRespillMs" | "localBusyThreshold">;

export interface Lease {
  leaseId: string;
  worker: WorkerHandle;
  allocation: Allocation;
  blocked: boolean;
  requester: Requester;
  /** The placement group the lease's work runs in. */
  placementGroupId: string | undefined;
  /** What it was granted for (the memory monitor picks its victim by it). */
  request: LeaseRequest;
  /** Grant order on this node: higher is newer. */
  grantSeq: number;
}

export interface LeaseManagerDeps {
  nodeId: string;
  /** This node's labels: a request with a label selector they do not match is never granted here. */
  labels: Readonly<Record<string, string>>;
  /** This node's resources: what leases granted here take. */
  resources: ResourcePool;
  /** Where leased workers come from (and go back to). */
  pool: Pick<WorkerPool, "acquire" | "release">;
  /** The job a request is for (its workers start with the job's settings). */
  jobInfo: (jobId: string) => Promise<JobInfo>;
  /** The cluster as this raylet sees it: where requests may spill. */
  view: ClusterView;
  /** Asks the control service about a node missing from the view (alive or dead), if it knows it. */
  lookupNode(nodeId: string): Promise<NodeResources | undefined>;
  /** This node's placement-group bundles (GPU devices of work in a group). */
  bundles: Pick<BundleReservations, "gpuIds">;
  /** Asks the control service whether a placement group was removed (or never existed). */
  placementGroupRemoved(placementGroupId: string): Promise<boolean>;
  /** Times how long a request that followed a spillback stays before it may move on. */
  clock: Clock;
  config: LeaseManagerConfig;
}

/**
 * Decides per request whether to grant it here or spill it back to another node (see
 * scheduling-policy.ts), and grants local leases in arrival order as resources free up.
 * A request no node could ever satisfy stays queued, and the requester is warned once;
 * queued requests spill to another node as soon as the view says it can run them.
 */
export class LeaseManager {
  private readonly queue: PendingLease[] = [];
  private readonly leases = new Map<string, Lease>();
  private readonly leaseByWorker = new Map<string, Lease>();
  private readonly warned = new Set<string>();
  /** Placement groups known removed: requests for them fail (bounded: oldest forgotten). */
  private readonly removedGroups = new Set<string>();
  private scheduling = false;
  /** The node's memory is above its threshold: nothing is granted here (see setMemoryPressure). */
  private memoryPressure = false;
  private grants = 0;
  /** Requests taken off the queue whose worker is being acquired (not yet in `leases`). */
  private granting = 0;
  private laterTimer: TimerHandle | undefined;
  private turn = 0;
  /** When the last lease ended (or the manager started): how long the node has had none. */
  private idleSince: number;
  /** The node is being drained: nothing is granted or queued here any more (see drain()). */
  private draining = false;
  /** The node each job's last SPREAD request was placed on: its next one goes to the next node in turn. */
  private readonly spreadCursor = new Map<string, string>();
  private readonly nodeId: string;
  private readonly resources: ResourcePool;
  private readonly pool: Pick<WorkerPool, "acquire" | "release">;
  private readonly view: ClusterView;
  private readonly clock: Clock;

  constructor(private readonly deps: LeaseManagerDeps) {
    this.nodeId = deps.nodeId;
    this.resources = deps.resources;
    this.pool = deps.pool;
    this.view = deps.view;
    this.clock = deps.clock;
    this.idleSince = deps.clock.now();
    this.view.onChange(() => this.schedule());
  }

  /**
   * The node is being drained (or no longer): it grants nothing new, not even a request placed
   * here on purpose; the view already leaves it out, so requests spill to the other nodes.
   */
  setDraining(on: boolean): void {
    this.draining = on;
    this.view.setLocalDraining(on);
    this.schedule();
  }

  get isDraining(): boolean {
    return this.draining;
  }

  /** Leases held now, and for how long there have been none (0 while there are some). */
  activity(): { leases: number; idleForMs: number } {
    // A lease whose worker is still starting counts: under load a start can outlast idleTimeoutS.
    const leases = this.leases.size + this.granting;
    return { leases, idleForMs: leases === 0 ? Math.max(0, this.clock.now() - this.idleSince) : 0 };
  }

  async request(req: LeaseRequest, requester: Requester): Promise<LeaseReply> {
    const strategy = req.strategy;
    if (typeof strategy === "object" && strategy.soft && !this.view.nodes().some((n) => n.nodeId === strategy.nodeId)) {
      // A node that joined a moment ago may not be in the view yet (pushes come in batches): ask before falling back.
      const node = await this.deps.lookupNode(strategy.nodeId);
      if (node?.alive === true) this.view.update([node], false);
    }
    let placement = this.place(req);
    if (placement.kind === "unavailable") {
      // The view may lag behind a node that joined a moment ago: ask the control service.
      const node = await this.deps.lookupNode(placement.nodeId);
      if (node?.alive === true) {
        this.view.update([node], false);
        placement = this.place(req);
      }
      if (placement.kind === "unavailable") {
        throw new NodeAffinityError({
          nodeId: placement.nodeId,
          what: req.description,
          reason: node === undefined ? "the cluster has no node with this id" : "that node is dead",
        });
      }
    }
    if (placement.kind === "spill") return this.spill(req, placement.node);
    const nowhere = placement.kind === "infeasible" || !this.resources.feasible(req.resources);
    if (req.placementGroupId !== undefined) {
      // No node holds the group's bundles: it is pending or rescheduling (wait), or removed (fail).
      if (this.removedGroups.has(req.placementGroupId) || (nowhere && (await this.deps.placementGroupRemoved(req.placementGroupId)))) {
        throw new PlacementGroupRemovedError({ placementGroupId: req.placementGroupId, what: req.description });
      }
    } else if (nowhere) this.warnInfeasible(req, requester);
    const here = this.matchesHere(req);
    return new Promise((resolve, reject) => {
      const p: PendingLease = { req, requester, backlog: 0, resolve, reject, queuedAt: this.clock.now(), here };
      this.queue.push(p);
      if (req.backlog !== undefined && req.backlog > 0) setBacklog(this.queue, p, req.backlog);
      this.schedule();
    });
  }

  private matchesHere(req: LeaseRequest): boolean {
    return req.labelSelector === undefined || labelsMatch(req.labelSelector, this.deps.labels);
  }

  private place(req: LeaseRequest, followedMayMove = false): Placement {
    const strategy = req.strategy ?? "DEFAULT";
    if (req.noSpillback === true && !followedMayMove && !this.draining && this.resources.feasible(req.resources) && this.matchesHere(req)) return { kind: "local" };
    const placement = place({
      resources: req.resources,
      strategy,
      localId: this.nodeId,
      nodes: this.view.nodes(),
      turn: this.turn++,
      localBusyThreshold: this.deps.config.localBusyThreshold,
      spreadAfter: strategy === "SPREAD" ? this.spreadCursor.get(req.jobId) : undefined,
      labelSelector: req.labelSelector,
    });
    if (strategy === "SPREAD" && (placement.kind === "local" || placement.kind === "spill")) {
      this.spreadCursor.set(req.jobId, placement.kind === "local" ? this.nodeId : placement.node.nodeId);
    }
    return placement;
  }

  private spill(req: LeaseRequest, node: NodeResources): LeaseReply {
    this.view.reserve(node.nodeId, req.resources);
    return { spillback: { nodeId: node.nodeId, address: node.address } };
  }

  /** A queued request that does not fit here now: does the view have a better node for it? */
  private respill(p: PendingLease): boolean {
    const strategy = p.req.strategy;
    if (typeof strategy === "object" && !strategy.soft) return false;
    let followedMayMove = false;
    if (p.req.noSpillback === true && p.here && this.resources.feasible(p.req.resources)) {
      const waited = this.clock.now() - p.queuedAt;
      const respillMs = this.deps.config.followedSpillbackRespillMs;
      if (waited < respillMs) {
        this.scheduleLater(respillMs - waited);
        return false;
      }
      followedMayMove = true;
    }
    const placement = this.place(p.req, followedMayMove);
    if (placement.kind !== "spill") return false;
    // Only to a node with room now: a followed request must not trade one queue for another.
    if (followedMayMove && !fitsAvailable(placement.node, p.req.resources)) return false;
    p.resolve(this.spill(p.req, placement.node));
    return true;
  }

  /**
   * The placement group was removed: its queued requests fail with
   * PlacementGroupRemovedError, and the workers of its leases are killed (their owners learn
   * why from the control service). Requests for it that come later fail at once.
   */
  placementGroupRemoved(placementGroupId: string): void {
    this.removedGroups.add(placementGroupId);
    if (this.removedGroups.size > 10_000) this.removedGroups.delete(this.removedGroups.values().next().value as string);
    for (let i = this.queue.length - 1; i >= 0; i--) {
      const p = this.queue[i] as PendingLease;
      if (p.req.placementGroupId !== placementGroupId) continue;
      this.queue.splice(i, 1);
      p.reject(new PlacementGroupRemovedError({ placementGroupId, what: p.req.description }));
    }
    for (const lease of [...this.leases.values()]) {
      if (lease.placementGroupId === placementGroupId) this.return(lease.leaseId, true);
    }
  }

  /** Resources were added here (a placement group's bundles committed): queued requests may fit now. */
  resourcesAdded(): void {
    this.schedule();
  }

  /** Queued requests by resource shape, with their owners' backlogs (see pending-demand.ts). */
  demand(): DemandEntry[] {
    return demandOf(this.queue, (key) => this.warned.has(key));
  }

  /** An owner's backlog for the shape of its request `requestId` (queued here) changed. */
  reportBacklog(requestId: string, backlog: number, requester: Requester): void {
    const p = this.queue.find((q) => q.req.requestId === requestId && q.requester === requester);
    if (p !== undefined) setBacklog(this.queue, p, backlog);
  }

  cancel(requestId: string): boolean {
    const i = this.queue.findIndex((p) => p.req.requestId === requestId);
    if (i < 0) return false;
    const [p] = this.queue.splice(i, 1);
    p?.resolve({ cancelled: true }); // an answer, not an error: withdrawing is routine
    return true;
  }

  /**
   * The job ended: its queued requests are withdrawn (answered `cancelled`), so none is
   * granted later; its leases end as its workers are killed; its SPREAD turn is forgotten.
   */
  jobFinished(jobId: string): void {
    this.spreadCursor.delete(jobId);
    for (let i = this.queue.length - 1; i >= 0; i--) {
      const p = this.queue[i] as PendingLease;
      if (p.req.jobId !== jobId || p.req.detachedActor === true) continue;
      this.queue.splice(i, 1);
      p.resolve({ cancelled: true });
    }
  }

  /** The requester disconnected: drop its queued requests and end its leases. */
  requesterGone(requester: Requester): void {
    for (let i = this.queue.length - 1; i >= 0; i--) {
      if (this.queue[i]?.requester === requester) this.queue.splice(i, 1);
    }
    for (const lease of [...this.leases.values()]) {
      if (lease.requester === requester) this.return(lease.leaseId, true);
    }
  }

  /** `disconnect`: the worker is killed; `workerExiting`: it ran its maxCalls (see WorkerPool.release). */
  return(leaseId: string, disconnect: boolean, workerExiting = false): void {
    const lease = this.leases.get(leaseId);
    if (lease === undefined) return;
    this.drop(lease);
    this.pool.release(lease.worker, disconnect, workerExiting);
    this.schedule();
  }

  workerExited(worker: WorkerHandle): void {
    const lease = this.leaseByWorker.get(worker.workerId);
    if (lease !== undefined) this.drop(lease);
    this.schedule();
  }

  setBlocked(workerId: string, blocked: boolean): void {
    const lease = this.leaseByWorker.get(workerId);
    if (lease === undefined || lease.blocked === blocked) return;
    lease.blocked = blocked;
    this.resources.adjustCpu(lease.allocation, blocked);
    if (blocked) this.schedule();
  }

  leaseOf(workerId: string): Lease | undefined {
    return this.leaseByWorker.get(workerId);
  }

  /** The leases granted here and not returned. */
  granted(): IterableIterator<Lease> {
    return this.leases.values();
  }

  /**
   * The node's memory went above its threshold (true) or back below. Above it nothing is
   * granted here: queued requests go to nodes with room now (the view shows this node with
   * none, see scheduling-policy.ts) or wait until the node is below again.
   */
  setMemoryPressure(above: boolean): void {
    if (this.memoryPressure === above) return;
    this.memoryPressure = above;
    this.schedule();
  }

  private drop(lease: Lease): void {
    this.leases.delete(lease.leaseId);
    this.leaseByWorker.delete(lease.worker.workerId);
    if (this.leases.size === 0) this.idleSince = this.clock.now();
    if (lease.blocked) this.resources.adjustCpu(lease.allocation, false);
    this.resources.release(lease.allocation);
  }

  /** Once per shape (resources and label selector): the request is pending until a node that can run it joins. */
  private warnInfeasible(req: LeaseRequest, requester: Requester): void {
    const shape = shapeKey(req);
    if (this.warned.has(shape)) return;
    this.warned.add(shape);
    const nodes = this.view.nodes().length;
    const selector = req.labelSelector === undefined ? "" : ` on a node whose labels match ${JSON.stringify(req.labelSelector)}`;
    const labels = req.labelSelector === undefined ? "" : ` and labels ${JSON.stringify(this.deps.labels)}`;
    const message =
      `${req.description} requests ${JSON.stringify(req.resources)}${selector}, which no node in the cluster can provide ` +
      `(${nodes} alive node${nodes === 1 ? "" : "s"}; this one has ${JSON.stringify(this.resources.view().total)}${labels}); ` +
      "it stays pending until such a node joins";
    log.warn(message);
    requester.notify("logWarning", { message });
  }

  /** Runs schedule() again in `ms` (one timer at a time). */
  private scheduleLater(ms: number): void {
    if (this.laterTimer !== undefined) return;
    this.laterTimer = this.clock
      .setTimeout(() => {
        this.laterTimer = undefined;
        this.schedule();
      }, ms)
      .unref();
  }

  private schedule(): void {
    if (this.scheduling) return;
    this.scheduling = true;
    try {
      for (let i = 0; i < this.queue.length; ) {
        const p = this.queue[i] as PendingLease;
        if (!p.here || this.memoryPressure || this.draining || !this.resources.fits(p.req.resources)) {
          if (this.respill(p)) this.queue.splice(i, 1);
          else i++;
          continue;
        }
        this.queue.splice(i, 1);
        this.grant(p, this.resources.acquire(p.req.resources)).catch((e: unknown) => {
          // grant() answers the request itself; this is a bug: the request fails, not the raylet.
          log.error(`granting a lease for ${p.req.description} failed: ${(e as Error).stack ?? String(e)}`);
          p.reject(e as Error);
        });
      }
    } finally {
      this.scheduling = false;
    }
  }

  private async grant(p: PendingLease, allocation: Allocation): Promise<void> {
    let worker: WorkerHandle;
    this.granting++;
    try {
      worker = await this.pool.acquire(await this.deps.jobInfo(p.req.jobId), p.req.detachedActor === true, p.req.runtimeEnv, p.req.actorId !== undefined);
    } catch (e) {
      this.resources.release(allocation);
      p.reject(e as Error);
      this.schedule();
      return;
    } finally {
      this.granting--;
      if (this.granting === 0 && this.leases.size === 0) this.idleSince = this.clock.now();
    }
    if (p.requester.state === "closed") {
      this.resources.release(allocation);
      this.pool.release(worker, false);
      this.schedule();
      return;
    }
    const placementGroupId = p.req.placementGroupId;
    const lease: Lease = {
      leaseId: newTaskId(),
      worker,
      allocation,
      blocked: false,
      requester: p.requester,
      placementGroupId,
      request: p.req,
      grantSeq: ++this.grants,
    };
    this.leases.set(lease.leaseId, lease);
    this.leaseByWorker.set(worker.workerId, lease);
    p.resolve({
      leaseId: lease.leaseId,
      workerId: worker.workerId,
      workerAddress: worker.address as string,
      ...(worker.socketPath !== undefined ? { workerSocket: worker.socketPath } : {}),
      nodeId: this.nodeId,
      gpuIds: placementGroupId === undefined ? allocation.gpuIds : this.deps.bundles.gpuIds(placementGroupId, p.req.bundleIndex ?? -1),
    });
  }
}

function fitsAvailable(node: NodeResources, want: ResourceSet): boolean {
  return Object.entries(want).every(([k, v]) => v <= 0 || (node.available[k] ?? 0) >= v);
}

import type { ActorCreationSpec, CoreWorkerService, DemandEntry, LeaseGrant, NodeResources, PeerOptions, ResourceSet, RpcConnection } from "@lux/protocol";
import { UNTIL_PEER_LOST, connectRpc } from "@lux/protocol";
import { NodeAffinityError, PlacementGroupRemovedError, RuntimeEnvSetupError, createLogger, newTaskId, type ConfigValues } from "@lux/common";
import type { ActorEntry } from "./actor-entry.js";
import { ActorPlacement } from "./actor-placement.js";
import type { NodeManager } from "./node-manager.js";
import type { ResourceViewManager } from "./resource-view.js";

const log = createLogger("gcs");
/** Owner-and-shape pairs of infeasible-actor warnings remembered at most. */
const MAX_WARNED = 10_000;

export interface ActorSchedulerDeps {
  nodes: NodeManager;
  view: ResourceViewManager;
  /** How to connect to actors' workers and owners (cluster token, dial, clock). */
  peerOptions: PeerOptions;
  config: Pick<ConfigValues, "rpcBestEffortTimeoutMs">;
  /** The actor's constructor ran on its leased worker: it is alive there. */
  alive(entry: ActorEntry, lease: LeaseGrant): void;
  /** The actor cannot be created: it is dead, for `cause` (an error, or a sentence). */
  dead(entry: ActorEntry, cause: Error | string): void;
  /** Its node died while its constructor ran: it restarts, or is dead. */
  workerDied(entry: ActorEntry, reason: string): void;
}

/**
 * Creates actors (at first and on every restart): places each on a node, leases a worker
 * there and runs its constructor on it. Actors no alive node can ever host wait here until
 * a node that can joins.
 */
export class ActorScheduler {
  /** Actors no alive node can ever host: placed when a node that can joins. */
  private readonly infeasible = new Set<ActorEntry>();
  /** Actors in a placement group no node holds room of yet (pending or rescheduling): placed as nodes report. */
  private readonly waitingForGroup = new Set<ActorEntry>();
  /** Owner and shape of each infeasible-actor warning sent: each owner hears once per shape. */
  private readonly warned = new Set<string>();
  private readonly placement: ActorPlacement;

  constructor(private readonly deps: ActorSchedulerDeps) {
    this.placement = new ActorPlacement(deps.view);
  }

  /** A node joined: actors waiting for one are placed again. */
  nodeAdded(): void {
    const waiting = [...this.infeasible];
    this.infeasible.clear();
    for (const entry of waiting) if (entry.info.state !== "DEAD") this.schedule(entry);
  }

  /** Nodes reported their resources (a placement group's bundles may have appeared): place the actors waiting for them. */
  resourcesChanged(): void {
    if (this.waitingForGroup.size === 0) return;
    const waiting = [...this.waitingForGroup];
    this.waitingForGroup.clear();
    for (const entry of waiting) if (entry.info.state !== "DEAD") this.schedule(entry);
  }

  /** Places the actor once a node joins (actors restored before their nodes registered again). */
  waitForNode(entry: ActorEntry): void {
    this.infeasible.add(entry);
  }

  /** Actors waiting for a node that can ever host them, by resource shape. */
  pendingDemand(): DemandEntry[] {
    const byShape = new Map<string, DemandEntry>();
    for (const entry of this.infeasible) {
      const resources = needed(entry.spec);
      const key = shapeOf(entry.spec);
      const d = byShape.get(key);
      if (d !== undefined) d.count++;
      else {
        const selector = entry.spec.labelSelector;
        byShape.set(key, { resources, count: 1, infeasible: true, kind: "actor", ...(selector !== undefined ? { labelSelector: selector } : {}) });
      }
    }
    return [...byShape.values()];
  }

  /** The actor died while its lease request waited at a raylet: withdrawn, so it is never granted. */
  withdrawRequest(entry: ActorEntry): void {
    const pending = entry.leaseRequest;
    if (pending === undefined) return;
    entry.leaseRequest = undefined;
    this.deps.nodes.connection(pending.nodeId)?.notify("cancelLeaseRequest", { requestId: pending.requestId });
  }

  /** Kills the worker that hosted the actor and frees its resources. */
  releaseLease(lease: LeaseGrant): void {
    const raylet = this.deps.nodes.connection(lease.nodeId);
    raylet?.call("returnLease", { leaseId: lease.leaseId, disconnect: true }).catch(() => undefined);
  }

  /**
   * Places the actor on a node, leases a worker there and constructs the actor on it, in
   * the background. A failure nobody expected kills the actor (its callers learn why), never
   * the control service.
   */
  schedule(entry: ActorEntry): void {
    this.place(entry).catch((e: unknown) => {
      log.error(`placing actor ${entry.spec.className} (${entry.spec.actorId.slice(0, 8)}) failed: ${(e as Error).stack ?? String(e)}`);
      try {
        entry.restartsLeft = 0;
        this.deps.dead(entry, e instanceof Error ? e : String(e));
      } catch (again) {
        log.error(`marking actor ${entry.spec.actorId.slice(0, 8)} dead failed: ${(again as Error).message}`);
      }
    });
  }

  private async place(entry: ActorEntry): Promise<void> {
    const spec = entry.spec;
    const picked = this.placement.pick(spec);
    if ("error" in picked) {
      entry.restartsLeft = 0;
      this.deps.dead(entry, picked.error);
      return;
    }
    if ("infeasible" in picked) {
      if (spec.placementGroup !== undefined) {
        this.waitingForGroup.add(entry); // no warning: the group is being created, or rescheduled
        return;
      }
      this.infeasible.add(entry);
      this.warnInfeasible(spec);
      return;
    }
    const lease = await this.leaseWorker(entry, picked.node);
    if (lease === undefined) return;
    if (entry.info.state === "DEAD") {
      this.releaseLease(lease);
      return;
    }
    entry.lease = lease;
    await this.construct(entry, lease);
  }

  /** A worker on `node` for the actor; `undefined` if the actor was placed again or failed instead. */
  private async leaseWorker(entry: ActorEntry, node: NodeResources): Promise<LeaseGrant | undefined> {
    const spec = entry.spec;
    const connection = this.deps.nodes.connection(node.nodeId);
    if (connection === undefined) {
      this.schedule(entry); // the node died meanwhile
      return undefined;
    }
    const unreserve = this.deps.view.reserve(node.nodeId, spec.resources);
    const requestId = newTaskId();
    entry.leaseRequest = { nodeId: node.nodeId, requestId };
    try {
      // Queued there until resources free up: bounded by the node's liveness (the health
      // checker closes its connection when it is declared dead).
      const reply = await connection.call("requestLease", {
        requestId,
        jobId: spec.jobId,
        resources: spec.resources,
        description: `actor ${spec.className}`,
        actorId: spec.actorId,
        detachedActor: spec.detached,
        noSpillback: true,
        // With restarts left, a node short of memory kills it before actors that have none.
        retriable: entry.restartsLeft !== 0,
        ...(spec.strategy !== undefined ? { strategy: spec.strategy } : {}),
        ...(spec.runtimeEnv !== undefined ? { runtimeEnv: spec.runtimeEnv } : {}),
        ...(spec.placementGroup !== undefined ? { placementGroupId: spec.placementGroup.placementGroupId, bundleIndex: spec.placementGroup.bundleIndex } : {}),
        ...(spec.labelSelector !== undefined ? { labelSelector: spec.labelSelector } : {}),
      }, UNTIL_PEER_LOST);
      if (entry.leaseRequest?.requestId === requestId) entry.leaseRequest = undefined;
      if ("spillback" in reply || "cancelled" in reply) {
        // The node cannot host it after all (its resources changed): place it again.
        unreserve(); // not granted there: nothing changed on the node, which will not report
        if (entry.info.state !== "DEAD") this.schedule(entry);
        return undefined;
      }
      return reply;
    } catch (e) {
      if (entry.leaseRequest?.requestId === requestId) entry.leaseRequest = undefined;
      unreserve();
      if (entry.info.state === "DEAD") return undefined;
      if (this.deps.nodes.connection(node.nodeId) === undefined) {
        this.schedule(entry); // its node died before granting: place it elsewhere
        return undefined;
      }
      // Errors that say what the actor needed: its callers get them as the cause of its death.
      const final = e instanceof NodeAffinityError || e instanceof PlacementGroupRemovedError || e instanceof RuntimeEnvSetupError;
      this.deps.dead(entry, final ? e : `could not get a worker for the actor: ${(e as Error).message}`);
      return undefined;
    }
  }

  /**
   * Runs the actor's constructor on its leased worker; then it is alive. The constructor
   * runs as long as it needs: the call's deadline is the worker's liveness (its connection
   * closes when the process ends, or when its node is declared dead: ActorManager closes it).
   */
  private async construct(entry: ActorEntry, lease: LeaseGrant): Promise<void> {
    let worker: RpcConnection<CoreWorkerService> | undefined;
    try {
      worker = await connectRpc<CoreWorkerService>(lease.workerAddress, this.deps.peerOptions);
      entry.constructing = worker;
      const reconstructed = entry.info.state === "RESTARTING";
      await worker.call("createActor", { ...entry.spec, gpuIds: lease.gpuIds, reconstructed }, UNTIL_PEER_LOST);
    } catch (e) {
      // Not an answer of the worker: the process ended (a crash in the constructor, OOM, a kill).
      const workerGone = worker === undefined || worker.state === "closed";
      if (entry.constructing === worker) entry.constructing = undefined;
      worker?.close();
      if (entry.lease !== lease) return; // died or killed meanwhile: handled there
      if (this.deps.nodes.connection(lease.nodeId) === undefined) {
        this.deps.workerDied(entry, `its node ${lease.nodeId} died while the actor was being constructed`);
        return;
      }
      if (workerGone) {
        this.deps.workerDied(entry, `its worker died while the constructor ran (${(e as Error).message})`);
        return;
      }
      // The constructor threw: running it again would throw again.
      entry.restartsLeft = 0;
      this.deps.dead(entry, e as Error);
      return;
    }
    entry.constructing = undefined;
    worker.close();
    if (entry.lease !== lease) return; // died or killed while constructing
    this.deps.alive(entry, lease);
  }

  /** Once per owner and shape (resources and label selector): the actor waits for a node that can host it. */
  private warnInfeasible(spec: ActorCreationSpec): void {
    const key = `${spec.ownerAddress} ${shapeOf(spec)}`;
    if (this.warned.has(key)) return;
    // Owners come and go over a cluster's life: past this many, start over (some hear twice).
    if (this.warned.size >= MAX_WARNED) this.warned.clear();
    this.warned.add(key);
    const selector = spec.labelSelector === undefined ? "" : ` on a node whose labels match ${JSON.stringify(spec.labelSelector)}`;
    const message = `actor ${spec.className} is pending: no alive node can ever provide ${JSON.stringify(needed(spec))}${selector}; it is created when such a node joins`;
    log.warn(message);
    this.warnOwner(spec.ownerAddress, message);
  }

  /** Tells the actor's owner (best effort), since the control service's log is not the user's. */
  private warnOwner(ownerAddress: string, message: string): void {
    connectRpc<CoreWorkerService>(ownerAddress, this.deps.peerOptions).then(
      (c) => c.call("logWarning", { message }, this.deps.config.rpcBestEffortTimeoutMs).catch(() => undefined).finally(() => c.close()),
      () => undefined,
    );
  }
}

/** Actors of one shape: the same placement resources and label selector. */
function shapeOf(spec: ActorCreationSpec): string {
  const resources = JSON.stringify(needed(spec));
  return spec.labelSelector === undefined ? resources : `${resources} ${JSON.stringify(spec.labelSelector)}`;
}

/** What a node must have to be given the actor (placing it, or adding a node for it). */
function needed(spec: ActorCreationSpec): ResourceSet {
  return spec.placementResources ?? spec.resources;
}

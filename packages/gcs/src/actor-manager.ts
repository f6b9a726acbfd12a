import type {
  ActorCreationSpec,
  ActorInfo,
  Clock,
  CoreWorkerService,
  DemandEntry,
  LeaseGrant,
  NodeResources,
  PeerOptions,
  RpcConnection,
} from "@lux/protocol";
import { UNTIL_PEER_LOST, connectRpc } from "@lux/protocol";
import {
  ActorDiedError,
  ActorNameTakenError,
  ActorNotFoundError,
  NodeAffinityError,
  createLogger,
  newTaskId,
  toWireError,
  type ConfigValues,
} from "@lux/common";
import { ActorRegistrations, nextChange, unregisteredInfo } from "./actor-lookups.js";
import { ActorPlacement } from "./actor-placement.js";
import type { NodeManager } from "./node-manager.js";
import type { ResourceViewManager } from "./resource-view.js";
import type { GcsStorage } from "./storage.js";
import { StoredTable } from "./table.js";

const log = createLogger("gcs");

interface ActorEntry {
  spec: ActorCreationSpec;
  info: ActorInfo;
  lease: LeaseGrant | undefined;
  restartsLeft: number;
  /** Lookups waiting for it to be ALIVE or DEAD (each also answers on its own after its long-poll wait). */
  waiters: Set<(info: ActorInfo) => void>;
  /** The connection to the worker running the constructor, while it runs. */
  constructing: RpcConnection<CoreWorkerService> | undefined;
}

/** The config entries an ActorManager uses. */
export type ActorManagerConfig = Pick<ConfigValues, "actorRegistrationWaitMs" | "rpcBestEffortTimeoutMs">;

/** What the storage keeps of an actor (names are rebuilt from it). */
type StoredActor = Pick<ActorEntry, "spec" | "info" | "lease" | "restartsLeft">;

export interface ActorManagerDeps {
  nodes: NodeManager;
  view: ResourceViewManager;
  /** Where actors are written through to (none: in memory only). */
  storage?: GcsStorage | undefined;
  /** How to connect to actors' workers and owners (cluster token, dial, clock). */
  peerOptions: PeerOptions;
  /** Times how long a lookup of an unknown actor waits for its registration, and long-polls. */
  clock: Clock;
  config: ActorManagerConfig;
}

/** The actor directory: names, placement, creation, death and restarts. */
export class ActorManager {
  private readonly actors = new Map<string, ActorEntry>();
  private readonly aliases = new Map<string, string>();
  private readonly names = new Map<string, string>();
  private readonly registrations: ActorRegistrations;
  /** Actors no alive node can ever host: placed when a node that can joins. */
  private readonly infeasible = new Set<ActorEntry>();
  private readonly placement: ActorPlacement;
  private readonly table: StoredTable<StoredActor> | undefined;
  private readonly aliasTable: StoredTable<string> | undefined;

  private readonly nodes: NodeManager;
  private readonly view: ResourceViewManager;

  constructor(private readonly deps: ActorManagerDeps) {
    const { nodes, view, storage } = deps;
    this.nodes = nodes;
    this.view = view;
    this.registrations = new ActorRegistrations(deps.config.actorRegistrationWaitMs, deps.clock);
    this.placement = new ActorPlacement(view);
    this.table = storage === undefined ? undefined : new StoredTable(storage, "actors");
    this.aliasTable = storage === undefined ? undefined : new StoredTable(storage, "actor_aliases");
    nodes.onNodeAdded(() => {
      const waiting = [...this.infeasible];
      this.infeasible.clear();
      for (const entry of waiting) if (entry.info.state !== "DEAD") void this.schedule(entry);
    });
    nodes.onNodeDeath((nodeId) => {
      for (const a of this.actors.values()) {
        if (a.info.nodeId === nodeId && a.info.state === "ALIVE") this.workerDied(a, `its node ${nodeId} died`);
        // A constructor runs as long as it needs: its call ends when the node is declared dead.
        else if (a.lease?.nodeId === nodeId) a.constructing?.close(true);
      }
    });
  }

  create(spec: ActorCreationSpec): { actorId: string } {
    // Sent again by a creator that reconnected after losing the control service.
    if (this.actors.has(spec.actorId)) return { actorId: spec.actorId };
    const alias = this.aliases.get(spec.actorId);
    if (alias !== undefined) return { actorId: alias };
    if (spec.name !== undefined) {
      const key = nameKey(spec.namespace, spec.name);
      const existing = this.names.get(key);
      if (existing !== undefined) {
        if (spec.getIfExists) {
          this.aliases.set(spec.actorId, existing);
          void this.aliasTable?.put(spec.actorId, existing);
          this.registrations.registered(spec.actorId);
          return { actorId: existing };
        }
        const error = new ActorNameTakenError({ name: spec.name, namespace: spec.namespace });
        this.registrations.registered(spec.actorId, error);
        throw error;
      }
      this.names.set(key, spec.actorId);
    }
    const entry: ActorEntry = {
      spec,
      info: {
        actorId: spec.actorId,
        state: "PENDING",
        className: spec.className,
        name: spec.name,
        namespace: spec.namespace,
        address: undefined,
        workerId: undefined,
        nodeId: undefined,
        deathCause: undefined,
        maxTaskRetries: spec.maxTaskRetries ?? 0,
      },
      lease: undefined,
      restartsLeft: spec.maxRestarts,
      waiters: new Set(),
      constructing: undefined,
    };
    this.actors.set(spec.actorId, entry);
    this.save(entry);
    this.registrations.registered(spec.actorId);
    void this.schedule(entry);
    return { actorId: spec.actorId };
  }

  private resolve(actorId: string): ActorEntry | undefined {
    return this.actors.get(this.aliases.get(actorId) ?? actorId);
  }

  /**
   * The actor's info; with `waitAlive`, once it is ALIVE or DEAD. `staleAddress`: the caller
   * could not reach the actor there, so an ALIVE state at that address is not an answer (the
   * death of its worker is being reported): wait for the restart or the death. A long-poll:
   * after `waitMs` the current info is the answer (PENDING with an empty className for an id
   * not registered yet) and the caller asks again.
   */
  async info(actorId: string, waitAlive: boolean, staleAddress?: string, waitMs = Infinity): Promise<ActorInfo> {
    let entry = this.resolve(actorId);
    if (entry === undefined) {
      if (!waitAlive) throw new ActorDiedError({ actorId, cause: new Error("no actor has this id") });
      // A handle can reach another process before its creator's registration reaches us.
      if (!(await this.registrations.wait(actorId, waitMs))) return unregisteredInfo(actorId);
      entry = this.resolve(actorId);
      if (entry === undefined) throw new ActorDiedError({ actorId, cause: new Error("no actor has this id") });
    }
    const s = entry.info.state;
    const stale = s === "ALIVE" && staleAddress !== undefined && entry.info.address === staleAddress;
    if (!waitAlive || s === "DEAD" || (s === "ALIVE" && !stale)) return { ...entry.info };
    const waiting = entry;
    return nextChange(waiting.waiters, () => ({ ...waiting.info }), waitMs, this.deps.clock);
  }

  named(name: string, namespace: string): ActorInfo {
    const id = this.names.get(nameKey(namespace, name));
    const entry = id === undefined ? undefined : this.actors.get(id);
    if (entry === undefined) throw new ActorNotFoundError({ name, namespace });
    return { ...entry.info };
  }

  kill(actorId: string, noRestart: boolean): void {
    const entry = this.resolve(actorId);
    if (entry === undefined || entry.info.state === "DEAD") return;
    if (noRestart) entry.restartsLeft = 0;
    if (noRestart || entry.restartsLeft === 0) this.markDead(entry, "the actor was killed with lux.kill()");
    else this.workerDied(entry, "it was killed with lux.kill() and will restart");
  }

  /**
   * The actor ended itself (`lux.exitActor()`): dead for good, not restarted. Its worker
   * exits by itself once its reply is sent, so its lease is not returned from here (the
   * raylet frees it when the worker exits).
   */
  exited(actorId: string, workerId: string): void {
    const entry = this.resolve(actorId);
    if (entry === undefined || entry.info.state === "DEAD" || entry.info.workerId !== workerId) return;
    entry.restartsLeft = 0;
    entry.lease = undefined;
    this.markDead(entry, "the actor exited with lux.exitActor()");
  }

  /** A worker process ended; if it hosted an actor, restart it or declare it dead. */
  onWorkerDeath(workerId: string, reason: string): void {
    for (const entry of this.actors.values()) {
      if (entry.info.workerId === workerId && entry.info.state !== "DEAD") this.workerDied(entry, reason);
    }
  }

  onJobEnd(jobId: string): void {
    for (const entry of this.actors.values()) {
      if (entry.spec.jobId === jobId && !entry.spec.detached && entry.info.state !== "DEAD") {
        entry.restartsLeft = 0;
        this.markDead(entry, "its owner (the driver) exited; only detached actors outlive their driver");
      }
    }
  }

  private workerDied(entry: ActorEntry, reason: string): void {
    const lease = entry.lease;
    entry.lease = undefined;
    if (lease !== undefined) this.releaseLease(lease);
    if (entry.restartsLeft !== 0) {
      if (entry.restartsLeft > 0) entry.restartsLeft -= 1;
      log.warn(`actor ${entry.spec.className} (${entry.spec.actorId.slice(0, 8)}) restarting: ${reason}`);
      entry.info = { ...entry.info, state: "RESTARTING", address: undefined, socketPath: undefined, workerId: undefined, nodeId: undefined };
      this.save(entry);
      void this.schedule(entry);
      return;
    }
    this.markDead(entry, `the actor's worker died: ${reason}`);
  }

  /** `cause` says why: an error, or a sentence (sent as an Error with that message). */
  private markDead(entry: ActorEntry, cause: Error | string): void {
    const lease = entry.lease;
    entry.lease = undefined;
    if (lease !== undefined) this.releaseLease(lease);
    entry.info = {
      ...entry.info,
      state: "DEAD",
      address: undefined,
      socketPath: undefined,
      deathCause: toWireError(cause),
    };
    if (entry.spec.name !== undefined) {
      const key = nameKey(entry.spec.namespace, entry.spec.name);
      if (this.names.get(key) === entry.spec.actorId) this.names.delete(key);
    }
    this.save(entry);
    this.wake(entry);
  }

  /** Writes the actor through to storage (ALIVE, RESTARTING, DEAD and at creation). */
  private save(entry: ActorEntry): void {
    const { spec, info, lease, restartsLeft } = entry;
    void this.table?.put(spec.actorId, { spec, info, lease, restartsLeft });
  }

  /**
   * Loads the actors of a previous run: ALIVE ones stay where they were (their node is
   * declared dead, and they restart, if it does not reconnect); PENDING and RESTARTING ones
   * are placed once nodes register again. Names resolve as before.
   */
  async restore(): Promise<number> {
    if (this.table === undefined || this.aliasTable === undefined) return 0;
    const stored = await this.table.loadAll();
    for (const [actorId, s] of stored) {
      const entry: ActorEntry = {
        spec: s.spec,
        info: s.info,
        lease: s.lease ?? undefined,
        restartsLeft: s.restartsLeft,
        waiters: new Set(),
        constructing: undefined,
      };
      this.actors.set(actorId, entry);
      const state = entry.info.state;
      if (state !== "DEAD" && entry.spec.name !== undefined) this.names.set(nameKey(entry.spec.namespace, entry.spec.name), actorId);
      if (state === "PENDING" || state === "RESTARTING") this.infeasible.add(entry);
    }
    for (const [alias, actorId] of await this.aliasTable.loadAll()) this.aliases.set(alias, actorId);
    return stored.size;
  }

  private wake(entry: ActorEntry): void {
    const waiters = [...entry.waiters];
    entry.waiters.clear();
    for (const w of waiters) w({ ...entry.info });
  }

  /** Actors waiting for a node that can ever host them, by resource shape. */
  pendingDemand(): DemandEntry[] {
    const byShape = new Map<string, DemandEntry>();
    for (const entry of this.infeasible) {
      const key = JSON.stringify(entry.spec.resources);
      const d = byShape.get(key);
      if (d !== undefined) d.count++;
      else byShape.set(key, { resources: entry.spec.resources, count: 1, infeasible: true, kind: "actor" });
    }
    return [...byShape.values()];
  }

  /** Kills the worker that hosted the actor and frees its resources. */
  private releaseLease(lease: LeaseGrant): void {
    const raylet = this.nodes.connection(lease.nodeId);
    raylet?.call("returnLease", { leaseId: lease.leaseId, disconnect: true }).catch(() => undefined);
  }

  /** Places the actor on a node, leases a worker there and constructs the actor on it. */
  private async schedule(entry: ActorEntry): Promise<void> {
    const spec = entry.spec;
    const picked = this.placement.pick(spec);
    if ("error" in picked) {
      entry.restartsLeft = 0;
      this.markDead(entry, picked.error);
      return;
    }
    if ("infeasible" in picked) {
      this.infeasible.add(entry);
      const message =
        `actor ${spec.className} is pending: no alive node can ever provide ${JSON.stringify(spec.resources)}; ` +
        "it is created when such a node joins";
      log.warn(message);
      this.warnOwner(spec.ownerAddress, message);
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
    const connection = this.nodes.connection(node.nodeId);
    if (connection === undefined) {
      void this.schedule(entry); // the node died meanwhile
      return undefined;
    }
    const unreserve = this.view.reserve(node.nodeId, spec.resources);
    try {
      // Queued there until resources free up: bounded by the node's liveness (the health
      // checker closes its connection when it is declared dead).
      const reply = await connection.call("requestLease", {
        requestId: newTaskId(),
        jobId: spec.jobId,
        resources: spec.resources,
        description: `actor ${spec.className}`,
        actorId: spec.actorId,
        detachedActor: spec.detached,
        noSpillback: true,
        ...(spec.strategy !== undefined ? { strategy: spec.strategy } : {}),
        ...(spec.runtimeEnv !== undefined ? { runtimeEnv: spec.runtimeEnv } : {}),
      }, UNTIL_PEER_LOST);
      if ("spillback" in reply || "cancelled" in reply) {
        // The node cannot host it after all (its resources changed): place it again.
        unreserve(); // not granted there: nothing changed on the node, which will not report
        if (entry.info.state !== "DEAD") void this.schedule(entry);
        return undefined;
      }
      return reply;
    } catch (e) {
      unreserve();
      if (entry.info.state === "DEAD") return undefined;
      if (this.nodes.connection(node.nodeId) === undefined) {
        void this.schedule(entry); // its node died before granting: place it elsewhere
        return undefined;
      }
      this.markDead(entry, e instanceof NodeAffinityError ? e : `could not get a worker for the actor: ${(e as Error).message}`);
      return undefined;
    }
  }

  /**
   * Runs the actor's constructor on its leased worker; then it is alive. The constructor
   * runs as long as it needs: the call's deadline is the worker's liveness (its connection
   * closes when the process ends, or here when its node is declared dead).
   */
  private async construct(entry: ActorEntry, lease: LeaseGrant): Promise<void> {
    let worker: RpcConnection<CoreWorkerService> | undefined;
    try {
      worker = await connectRpc<CoreWorkerService>(lease.workerAddress, this.deps.peerOptions);
      entry.constructing = worker;
      await worker.call("createActor", { ...entry.spec, gpuIds: lease.gpuIds }, UNTIL_PEER_LOST);
    } catch (e) {
      if (entry.constructing === worker) entry.constructing = undefined;
      worker?.close();
      if (entry.lease === lease && this.nodes.connection(lease.nodeId) === undefined) {
        this.workerDied(entry, `its node ${lease.nodeId} died while the actor was being constructed`);
        return;
      }
      entry.restartsLeft = 0;
      this.markDead(entry, e as Error);
      return;
    }
    entry.constructing = undefined;
    worker.close();
    if (entry.lease !== lease) return; // died or killed while constructing
    entry.info = {
      ...entry.info,
      state: "ALIVE",
      address: lease.workerAddress,
      socketPath: lease.workerSocket,
      workerId: lease.workerId,
      nodeId: lease.nodeId,
    };
    this.save(entry);
    this.wake(entry);
  }

  /** Tells the actor's owner (best effort), since the control service's log is not the user's. */
  private warnOwner(ownerAddress: string, message: string): void {
    connectRpc<CoreWorkerService>(ownerAddress, this.deps.peerOptions).then(
      (c) => c.call("logWarning", { message }, this.deps.config.rpcBestEffortTimeoutMs).catch(() => undefined).finally(() => c.close()),
      () => undefined,
    );
  }
}

function nameKey(namespace: string, name: string): string {
  return `${namespace}\u0000${name}`;
}

import type { ActorCreationSpec, ActorInfo, Clock, DemandEntry, LeaseGrant, OutOfMemoryInfo, PeerOptions } from "@lux/protocol";
import { ActorDiedError, ActorNameTakenError, ActorNotFoundError, OutOfMemoryError, createLogger, toWireError, type ConfigValues } from "@lux/common";
import type { ActorEntry, StoredActor } from "./actor-entry.js";
import { ActorRegistrations, nextChange, unregisteredInfo } from "./actor-lookups.js";
import { ActorScheduler } from "./actor-scheduler.js";
import type { NodeManager } from "./node-manager.js";
import type { ResourceViewManager } from "./resource-view.js";
import type { GcsStorage } from "./storage.js";
import { StoredTable } from "./table.js";

const log = createLogger("gcs");

/** The config entries an ActorManager uses. */
export type ActorManagerConfig = Pick<ConfigValues, "actorRegistrationWaitMs" | "rpcBestEffortTimeoutMs">;

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
  /** A name was taken by an actor, or freed (`actorId` undefined): subscribers hear it. */
  nameChanged?: (namespace: string, name: string, actorId: string | undefined) => void;
}

/** The actor directory: registration, names, lookups, death and restarts (creation is ActorScheduler's). */
export class ActorManager {
  private readonly actors = new Map<string, ActorEntry>();
  private readonly aliases = new Map<string, string>();
  private readonly names = new Map<string, string>();
  private readonly registrations: ActorRegistrations;
  /** Places actors, leases their workers and constructs them. */
  private readonly scheduler: ActorScheduler;
  private readonly table: StoredTable<StoredActor> | undefined;
  private readonly aliasTable: StoredTable<string> | undefined;
  /** Workers their raylets saw make no progress (see the raylet's WorkerLiveness). */
  private readonly unresponsive = new Set<string>();

  constructor(private readonly deps: ActorManagerDeps) {
    const { nodes, view, storage } = deps;
    this.registrations = new ActorRegistrations(deps.config.actorRegistrationWaitMs, deps.clock);
    this.scheduler = new ActorScheduler({
      nodes,
      view,
      peerOptions: deps.peerOptions,
      config: deps.config,
      alive: (entry, lease) => this.alive(entry, lease),
      dead: (entry, cause) => this.markDead(entry, cause),
      workerDied: (entry, reason) => this.workerDied(entry, reason),
    });
    this.table = storage === undefined ? undefined : new StoredTable(storage, "actors");
    this.aliasTable = storage === undefined ? undefined : new StoredTable(storage, "actor_aliases");
    nodes.onNodeAdded(() => this.scheduler.nodeAdded());
    nodes.onNodeDeath((nodeId) => {
      for (const a of this.actors.values()) {
        if (a.spec.ownerNodeId === nodeId && this.sharesFate(a)) this.ownerDied(a, `its owner's node ${nodeId} died`);
        else if (a.info.nodeId === nodeId && a.info.state === "ALIVE") this.workerDied(a, `its node ${nodeId} died`);
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
          this.aliasTable?.write(spec.actorId, existing);
          this.registrations.registered(spec.actorId);
          return { actorId: existing };
        }
        const error = new ActorNameTakenError({ name: spec.name, namespace: spec.namespace });
        this.registrations.registered(spec.actorId, error);
        throw error;
      }
      this.names.set(key, spec.actorId);
      this.deps.nameChanged?.(spec.namespace, spec.name, spec.actorId);
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
        ...(spec.methods !== undefined ? { methods: spec.methods } : {}),
        ...(spec.concurrencyGroups !== undefined ? { concurrencyGroups: Object.keys(spec.concurrencyGroups) } : {}),
        ...(spec.maxPendingCalls !== undefined ? { maxPendingCalls: spec.maxPendingCalls } : {}),
      },
      lease: undefined,
      restartsLeft: spec.maxRestarts,
      waiters: new Set(),
      constructing: undefined,
      leaseRequest: undefined,
    };
    this.actors.set(spec.actorId, entry);
    this.save(entry);
    this.registrations.registered(spec.actorId);
    this.scheduler.schedule(entry);
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
    if (!waitAlive || s === "DEAD" || (s === "ALIVE" && !stale)) return this.view(entry.info);
    const waiting = entry;
    return nextChange(waiting.waiters, () => this.view(waiting.info), waitMs, this.deps.clock);
  }

  /** What callers are told of an actor: its info, and whether its worker makes progress. */
  private view(info: ActorInfo): ActorInfo {
    return info.workerId !== undefined && this.unresponsive.has(info.workerId) ? { ...info, unavailable: true } : { ...info };
  }

  /**
   * A raylet says a worker stopped making progress (or makes progress again). Returns the
   * actor it hosts, whose callers are to be told; its state does not change (not dead).
   */
  workerLiveness(workerId: string, responsive: boolean): string | undefined {
    if (responsive) this.unresponsive.delete(workerId);
    else this.unresponsive.add(workerId);
    for (const entry of this.actors.values()) {
      if (entry.info.workerId === workerId && entry.info.state === "ALIVE") return entry.info.actorId;
    }
    return undefined;
  }

  /** Every actor registered, dead ones included, in the order they were registered (the state API). */
  entries(): IterableIterator<ActorEntry> {
    return this.actors.values();
  }

  /** The class of a registered actor (the state API names its calls Class.method). */
  classOf(actorId: string): string | undefined {
    return this.actors.get(actorId)?.info.className;
  }

  /** Every name held by an actor that is not dead: [namespace, name, actorId]. */
  namesInUse(): [string, string, string][] {
    return [...this.names].map(([key, actorId]) => {
      const at = key.indexOf("\u0000");
      return [key.slice(0, at), key.slice(at + 1), actorId];
    });
  }

  named(name: string, namespace: string): ActorInfo {
    const id = this.names.get(nameKey(namespace, name));
    const entry = id === undefined ? undefined : this.actors.get(id);
    if (entry === undefined) throw new ActorNotFoundError({ name, namespace });
    return this.view(entry.info);
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

  /**
   * Its creator says no handle to the actor is left (see GcsService.reportActorOutOfScope): a
   * non-detached actor ends for good, and its name is free. Looked up by its own id only: a
   * handle made with getIfExists that found an existing actor does not own it.
   */
  outOfScope(actorId: string): void {
    const entry = this.actors.get(actorId);
    if (entry === undefined || entry.spec.detached || entry.info.state === "DEAD") return;
    entry.restartsLeft = 0;
    this.markDead(entry, "every handle to the actor was dropped; a non-detached actor ends then (detached ones live until killed)");
  }

  /**
   * A worker process ended; if it hosted an actor, restart it or declare it dead. The
   * non-detached actors it created (it owned) die with it. `outOfMemory`: its node's memory
   * monitor killed it (reported before the kill, also while the actor's constructor runs):
   * an actor that does not restart dies of an OutOfMemoryError.
   */
  onWorkerDeath(workerId: string, reason: string, outOfMemory?: OutOfMemoryInfo): void {
    this.unresponsive.delete(workerId);
    for (const entry of this.actors.values()) {
      if (entry.spec.ownerWorkerId === workerId && this.sharesFate(entry)) this.ownerDied(entry, `its owner (worker ${workerId.slice(0, 8)}) died: ${reason}`);
      else if (entry.info.state === "DEAD") continue;
      else if (entry.info.workerId === workerId || (outOfMemory !== undefined && entry.lease?.workerId === workerId)) {
        const className = entry.spec.className;
        this.workerDied(entry, reason, outOfMemory === undefined ? undefined : new OutOfMemoryError({ task: className, actorClass: className, ...outOfMemory }));
      }
    }
  }

  /** A live actor that is not detached: it dies with its owner. */
  private sharesFate(entry: ActorEntry): boolean {
    return !entry.spec.detached && entry.info.state !== "DEAD";
  }

  /** Its owner's process or node died: dead for good, as Ray's fate sharing has it. */
  private ownerDied(entry: ActorEntry, cause: string): void {
    entry.restartsLeft = 0;
    this.markDead(entry, `${cause}; only detached actors outlive their owner`);
  }

  /** Its placement group was removed: the actors in it die, whatever their restarts left. */
  placementGroupRemoved(placementGroupId: string): void {
    for (const entry of this.actors.values()) {
      if (entry.spec.placementGroup?.placementGroupId !== placementGroupId || entry.info.state === "DEAD") continue;
      entry.restartsLeft = 0;
      this.markDead(entry, `its placement group ${placementGroupId} was removed; actors in a group end with it`);
    }
  }

  /** Nodes reported resources: actors waiting for a placement group's bundles may be placed now. */
  resourcesChanged(): void {
    this.scheduler.resourcesChanged();
  }

  onJobEnd(jobId: string): void {
    for (const entry of this.actors.values()) {
      if (entry.spec.jobId === jobId && !entry.spec.detached && entry.info.state !== "DEAD") {
        entry.restartsLeft = 0;
        this.markDead(entry, "its owner (the driver) exited; only detached actors outlive their driver");
      }
    }
  }

  /** `cause`: what the actor dies of if it does not restart (default: its worker died, for `reason`). */
  private workerDied(entry: ActorEntry, reason: string, cause?: Error): void {
    const lease = entry.lease;
    entry.lease = undefined;
    if (lease !== undefined) this.scheduler.releaseLease(lease);
    if (entry.restartsLeft !== 0) {
      if (entry.restartsLeft > 0) entry.restartsLeft -= 1;
      log.warn(`actor ${entry.spec.className} (${entry.spec.actorId.slice(0, 8)}) restarting: ${reason}`);
      entry.info = { ...entry.info, state: "RESTARTING", address: undefined, socketPath: undefined, workerId: undefined, nodeId: undefined };
      this.save(entry);
      this.scheduler.schedule(entry);
      return;
    }
    this.markDead(entry, cause ?? `the actor's worker died: ${reason}`);
  }

  /** `cause` says why: an error, or a sentence (sent as an Error with that message). */
  private markDead(entry: ActorEntry, cause: Error | string): void {
    // Dead once, with the first cause (a constructor cut short by the death reports again).
    if (entry.info.state === "DEAD") return;
    const lease = entry.lease;
    entry.lease = undefined;
    if (lease !== undefined) this.scheduler.releaseLease(lease);
    this.scheduler.withdrawRequest(entry);
    entry.info = {
      ...entry.info,
      state: "DEAD",
      address: undefined,
      socketPath: undefined,
      deathCause: toWireError(cause),
    };
    if (entry.spec.name !== undefined) {
      const key = nameKey(entry.spec.namespace, entry.spec.name);
      if (this.names.get(key) === entry.spec.actorId) {
        this.names.delete(key);
        this.deps.nameChanged?.(entry.spec.namespace, entry.spec.name, undefined);
      }
    }
    this.save(entry);
    this.wake(entry);
  }

  /** Writes the actor through to storage (ALIVE, RESTARTING, DEAD and at creation). */
  private save(entry: ActorEntry): void {
    const { spec, info, lease, restartsLeft } = entry;
    this.table?.write(spec.actorId, { spec, info, lease, restartsLeft });
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
        leaseRequest: undefined,
      };
      this.actors.set(actorId, entry);
      const state = entry.info.state;
      if (state !== "DEAD" && entry.spec.name !== undefined) this.names.set(nameKey(entry.spec.namespace, entry.spec.name), actorId);
      if (state === "PENDING" || state === "RESTARTING") this.scheduler.waitForNode(entry);
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
    return this.scheduler.pendingDemand();
  }

  /** Its constructor ran on its leased worker: it is alive there. */
  private alive(entry: ActorEntry, lease: LeaseGrant): void {
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
}

function nameKey(namespace: string, name: string): string {
  return `${namespace}\u0000${name}`;
}

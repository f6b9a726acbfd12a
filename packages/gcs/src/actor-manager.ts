import type { ActorCreationSpec, ActorInfo, CoreWorkerService, LeaseGrant, RpcConnection } from "@lux/protocol";
import { connectRpc } from "@lux/protocol";
import {
  ActorDiedError,
  ActorNameTakenError,
  ActorNotFoundError,
  createLogger,
  newTaskId,
  rpcPeerOptions,
  toWireError,
} from "@lux/common";
import type { NodeManager } from "./node-manager.js";

const log = createLogger("gcs");

interface ActorEntry {
  spec: ActorCreationSpec;
  info: ActorInfo;
  lease: LeaseGrant | undefined;
  restartsLeft: number;
  waiters: ((info: ActorInfo) => void)[];
}

/** The actor directory: names, placement, creation, death and restarts. */
export class ActorManager {
  private readonly actors = new Map<string, ActorEntry>();
  private readonly aliases = new Map<string, string>();
  private readonly names = new Map<string, string>();

  constructor(
    private readonly nodes: NodeManager,
    private readonly token: string,
  ) {
    nodes.onNodeDeath((nodeId) => {
      for (const a of this.actors.values()) {
        if (a.info.nodeId === nodeId && a.info.state === "ALIVE") this.workerDied(a, `its node ${nodeId} died`);
      }
    });
  }

  create(spec: ActorCreationSpec): { actorId: string } {
    if (spec.name !== undefined) {
      const key = nameKey(spec.namespace, spec.name);
      const existing = this.names.get(key);
      if (existing !== undefined) {
        if (spec.getIfExists) {
          this.aliases.set(spec.actorId, existing);
          return { actorId: existing };
        }
        throw new ActorNameTakenError({ name: spec.name, namespace: spec.namespace });
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
      },
      lease: undefined,
      restartsLeft: spec.maxRestarts,
      waiters: [],
    };
    this.actors.set(spec.actorId, entry);
    void this.schedule(entry);
    return { actorId: spec.actorId };
  }

  private resolve(actorId: string): ActorEntry | undefined {
    return this.actors.get(this.aliases.get(actorId) ?? actorId);
  }

  info(actorId: string, waitAlive: boolean): Promise<ActorInfo> {
    const entry = this.resolve(actorId);
    if (entry === undefined) return Promise.reject(new ActorDiedError({ actorId, cause: new Error("no actor has this id") }));
    const s = entry.info.state;
    if (!waitAlive || s === "ALIVE" || s === "DEAD") return Promise.resolve({ ...entry.info });
    return new Promise((resolve) => entry.waiters.push(resolve));
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
    const cause = new Error("the actor was killed with lux.kill()");
    if (noRestart || entry.restartsLeft === 0) this.markDead(entry, cause);
    else this.workerDied(entry, "it was killed with lux.kill() and will restart");
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
        this.markDead(entry, new Error("its owner (the driver) exited; only detached actors outlive their driver"));
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
      entry.info = { ...entry.info, state: "RESTARTING", address: undefined, workerId: undefined, nodeId: undefined };
      void this.schedule(entry);
      return;
    }
    this.markDead(entry, new Error(`the actor's worker died: ${reason}`));
  }

  private markDead(entry: ActorEntry, cause: Error): void {
    const lease = entry.lease;
    entry.lease = undefined;
    if (lease !== undefined) this.releaseLease(lease);
    entry.info = {
      ...entry.info,
      state: "DEAD",
      address: undefined,
      deathCause: toWireError(cause),
    };
    if (entry.spec.name !== undefined) {
      const key = nameKey(entry.spec.namespace, entry.spec.name);
      if (this.names.get(key) === entry.spec.actorId) this.names.delete(key);
    }
    this.wake(entry);
  }

  private wake(entry: ActorEntry): void {
    for (const w of entry.waiters.splice(0)) w({ ...entry.info });
  }

  /** Kills the worker that hosted the actor and frees its resources. */
  private releaseLease(lease: LeaseGrant): void {
    const raylet = this.nodes.connection(lease.nodeId);
    raylet?.call("returnLease", { leaseId: lease.leaseId, disconnect: true }).catch(() => undefined);
  }

  private async schedule(entry: ActorEntry): Promise<void> {
    const spec = entry.spec;
    const node = this.pickNode(spec.resources);
    if (node === undefined) {
      log.warn(`actor ${spec.className} is pending: no alive node can ever provide ${JSON.stringify(spec.resources)}`);
      return;
    }
    let lease: LeaseGrant;
    try {
      lease = await node.connection.call("requestLease", {
        requestId: newTaskId(),
        jobId: spec.jobId,
        resources: spec.resources,
        description: `actor ${spec.className}`,
        actorId: spec.actorId,
        detachedActor: spec.detached,
      });
    } catch (e) {
      this.markDead(entry, new Error(`could not get a worker for the actor: ${(e as Error).message}`));
      return;
    }
    if (entry.info.state === "DEAD") {
      this.releaseLease(lease);
      return;
    }
    entry.lease = lease;
    let worker: RpcConnection<CoreWorkerService> | undefined;
    try {
      worker = await connectRpc<CoreWorkerService>(lease.workerAddress, rpcPeerOptions(this.token));
      await worker.call("createActor", { ...spec, gpuIds: lease.gpuIds });
    } catch (e) {
      worker?.close();
      entry.restartsLeft = 0;
      this.markDead(entry, e as Error);
      return;
    }
    worker.close();
    if (entry.lease !== lease) return; // died or killed while constructing
    entry.info = {
      ...entry.info,
      state: "ALIVE",
      address: lease.workerAddress,
      workerId: lease.workerId,
      nodeId: lease.nodeId,
    };
    this.wake(entry);
  }

  private pickNode(resources: Record<string, number>) {
    const fits = this.nodes
      .alive()
      .filter((n) => Object.entries(resources).every(([k, q]) => q <= 0 || (n.info.resources[k] ?? 0) >= q));
    if (fits.length === 0) return undefined;
    return fits[this.actors.size % fits.length];
  }
}

function nameKey(namespace: string, name: string): string {
  return `${namespace}\u0000${name}`;
}

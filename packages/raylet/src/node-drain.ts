/**
 * Draining this node before the autoscaler ends it (`drainNode`, from the control service).
 * A node is drained only while it is idle: no leases, no placement-group bundles, no driver
 * connected, and no worker that still owns objects in use (their owners would die with it).
 * Then it takes no more work (the cluster view leaves it out) and moves the primary copy of
 * every object in its store to another node: that node pulls it, keeps it as its primary, and
 * the owner records the new copy, so when this node dies the owner reads the object from there
 * and no `get` fails.
 */
import { ConnectionPool, type ConnectOptions, type CoreWorkerService, type NodeActivity, type RayletService, type RpcConnection, type ServiceDef } from "@lux/protocol";
import { createLogger } from "@lux/common";
import type { ArenaStore } from "@lux/object-store";
import type { RayletParts } from "./raylet-handlers.js";
import type { WorkerHandle } from "./worker-pool.js";

const log = createLogger("raylet");

export interface NodeDrainDeps {
  nodeId: string;
  store: ArenaStore;
  /** Leases and bundles held now. */
  activity(): Pick<NodeActivity, "leases" | "bundles">;
  /** Drivers connected to this raylet. */
  drivers(): number;
  /** The node's worker processes, and whether each may stop (it owns no objects in use). */
  workers(): readonly WorkerHandle[];
  canRetire(worker: WorkerHandle): Promise<boolean>;
  /** Other alive nodes that take work (not draining), as the cluster view has them. */
  otherNodes(): string[];
  nodePeers: ConnectionPool<RayletService>;
  /** Options of the connections to the objects' owners (opened for a drain, closed after it). */
  peerOptions: ConnectOptions<ServiceDef>;
  /** Turns the node's draining state on or off (the view, the report to the control service). */
  setDraining(on: boolean): void;
  /** Deadline of one object's move (a pull of its bytes). */
  moveTimeoutMs: number;
  /** Deadline of a small call (to an owner). */
  callTimeoutMs: number;
}

export interface DrainResult {
  accepted: boolean;
  /** Why the node is not drained now (busy): the autoscaler asks again later. */
  rejection?: string;
  /** Primary copies moved to other nodes. */
  movedObjects: number;
  /** Objects whose move failed (their owner is gone, or no node took them). */
  failedObjects: number;
}

export class NodeDrain {
  private draining: Promise<DrainResult> | undefined;

  constructor(private readonly deps: NodeDrainDeps) {}

  /** Drains the node if it is idle (one drain at a time; asked again, the same answer). */
  drain(): Promise<DrainResult> {
    this.draining ??= this.run().finally(() => (this.draining = undefined));
    return this.draining;
  }

  private async run(): Promise<DrainResult> {
    const busy = await this.busy();
    if (busy !== undefined) return { accepted: false, rejection: busy, movedObjects: 0, failedObjects: 0 };
    this.deps.setDraining(true);
    // A lease granted while the workers were asked: the node is busy after all.
    const late = this.leasesOrBundles();
    if (late !== undefined) {
      this.deps.setDraining(false);
      return { accepted: false, rejection: late, movedObjects: 0, failedObjects: 0 };
    }
    const { moved, failed } = await this.moveObjects();
    log.info(`drained: ${moved} object(s) moved to other nodes${failed > 0 ? `, ${failed} could not be moved` : ""}`);
    return { accepted: true, movedObjects: moved, failedObjects: failed };
  }

  private leasesOrBundles(): string | undefined {
    const { leases, bundles } = this.deps.activity();
    if (leases > 0) return `it holds ${leases} lease(s)`;
    if (bundles > 0) return `it holds bundles of ${bundles} placement group(s)`;
    return undefined;
  }

  private async busy(): Promise<string | undefined> {
    const held = this.leasesOrBundles();
    if (held !== undefined) return held;
    const drivers = this.deps.drivers();
    if (drivers > 0) return `${drivers} driver(s) are connected to it`;
    for (const w of this.deps.workers()) {
      if ((w.state === "idle" || w.state === "spent") && !(await this.deps.canRetire(w).catch(() => true))) {
        return `its worker ${w.workerId.slice(0, 8)} owns objects still in use`;
      }
    }
    return undefined;
  }

  private async moveObjects(): Promise<{ moved: number; failed: number }> {
    const owners = new ConnectionPool<CoreWorkerService>({ ...this.deps.peerOptions });
    try {
      return await this.moveAll(owners);
    } finally {
      owners.close();
    }
  }

  private async moveAll(owners: ConnectionPool<CoreWorkerService>): Promise<{ moved: number; failed: number }> {
    const targets = this.deps.otherNodes();
    let moved = 0;
    let failed = 0;
    let turn = 0;
    for (const { objectId, owner } of this.deps.store.primaries()) {
      if (targets.length === 0) {
        failed++;
        continue;
      }
      const target = targets[turn++ % targets.length] as string;
      try {
        await this.move(objectId, owner, target, owners);
        moved++;
      } catch (e) {
        failed++;
        log.warn(`drain: object ${objectId.slice(0, 12)} was not moved to node ${target.slice(0, 8)}: ${(e as Error).message}`);
      }
    }
    return { moved, failed };
  }

  /** `target` pulls the object and keeps it as its primary; then its owner learns of the copy. */
  private async move(objectId: string, ownerAddress: string, target: string, owners: ConnectionPool<CoreWorkerService>): Promise<void> {
    const peer = await this.deps.nodePeers.get(target);
    await peer.call("pullObject", { objectId, sources: [this.deps.nodeId], ownerAddress, priority: "arg", primary: true }, this.deps.moveTimeoutMs);
    peer.notify("releaseObjects", { objectIds: [objectId] });
    const owner: RpcConnection<CoreWorkerService> = await owners.get(ownerAddress);
    await owner.call("addObjectLocation", { objectId, nodeId: target }, this.deps.callTimeoutMs);
  }
}

/** The node's activity from its leases and bundles: idle for as long as the shorter of their idle times. */
export function nodeActivity(parts: RayletParts): NodeActivity {
  const leases = parts.leases().activity();
  const bundles = parts.bundles.activity();
  const idleForMs = leases.leases > 0 || bundles.groups > 0 ? 0 : Math.min(leases.idleForMs, bundles.emptyForMs);
  return { nodeId: parts.nodeId, leases: leases.leases, bundles: bundles.groups, idleForMs, draining: parts.leases().isDraining };
}

/** A NodeDrain over the raylet's parts. */
export function createNodeDrain(parts: RayletParts): NodeDrain {
  const callTimeoutMs = parts.config.rpcBestEffortTimeoutMs;
  return new NodeDrain({
    nodeId: parts.nodeId,
    store: parts.store,
    activity: () => nodeActivity(parts),
    drivers: () => parts.processes().filter((p) => p.info.driver === true).length,
    workers: () => parts.workers().all(),
    canRetire: async (worker) => {
      const conn = parts.workerConnections.get(worker.workerId);
      return conn === undefined || (await conn.call("canExit", {}, callTimeoutMs)).ok;
    },
    otherNodes: () => parts.view.nodes().filter((n) => n.nodeId !== parts.nodeId).map((n) => n.nodeId),
    nodePeers: parts.nodePeers,
    peerOptions: parts.nodePeers.connectOptions,
    setDraining: (on) => parts.leases().setDraining(on),
    moveTimeoutMs: parts.config.rpcTimeoutMs,
    callTimeoutMs,
  });
}

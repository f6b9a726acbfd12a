/**
 * Placement groups: reservations of several bundles of resources, all or nothing.
 *
 * Design. The control service owns every group (one PlacementGroupManager, composed in
 * gcs-server.ts like the ActorManager). A group is registered PENDING and holds nothing.
 * One reservation runs at a time, over the pending groups in creation order: the group's
 * bundles are placed on the resource view (bundle-placement.ts, per its strategy), then
 * reserved in two phases. Phase one asks each chosen raylet to `prepareBundles` (the
 * raylet takes all of its part from its ResourcePool or nothing, see the raylet's
 * BundleReservations); if any node refuses or fails, every node is told `returnBundles`
 * and the group stays PENDING. Phase two (`commitBundles` everywhere) makes it CREATED.
 * Reserved bundles are used resources in what the raylets report, so
 * `lux.availableResources()` shows them taken. Pending groups are tried again whenever
 * the cluster may have room: a node joins, a node reports its resources, a group is
 * removed. Removal marks the group REMOVED at once (its name is free again) and returns
 * its bundles; a reservation in flight sees the removal and returns what it prepared.
 * Non-detached groups are removed when their job ends.
 *
 * Not yet: rescheduling bundles of a dead node (RESCHEDULING), storage across restarts.
 */
import type { Clock, PlacementGroupInfo, PlacementGroupSpec, PlacementGroupState, RayletService, RpcConnection } from "@lux/protocol";
import { PlacementGroupNameTakenError, PlacementGroupNotFoundError, createLogger, type ConfigValues } from "@lux/common";
import { placeBundles } from "./bundle-placement.js";
import type { NodeManager } from "./node-manager.js";
import type { ResourceViewManager } from "./resource-view.js";

const log = createLogger("gcs");

export interface PlacementGroupManagerDeps {
  nodes: NodeManager;
  view: ResourceViewManager;
  /** Times waits for a group to be created. */
  clock: Clock;
  config: Pick<ConfigValues, "bundleReservationTimeoutMs">;
  /** A group was removed: the actors in it end (ActorManager). */
  removed(placementGroupId: string): void;
}

interface GroupEntry {
  spec: PlacementGroupSpec;
  state: PlacementGroupState;
  bundleNodeIds: (string | null)[];
  /** Callers of `wait` while the group is PENDING. */
  waiters: Set<() => void>;
}

export class PlacementGroupManager {
  private readonly groups = new Map<string, GroupEntry>();
  /** Live groups' ids by namespace and name. */
  private readonly names = new Map<string, string>();
  private reserving = false;
  /** Something changed while a pass over the pending groups ran: make another pass. */
  private again = false;

  constructor(private readonly deps: PlacementGroupManagerDeps) {
    deps.nodes.onNodeAdded(() => this.retryPending());
  }

  create(spec: PlacementGroupSpec): { placementGroupId: string } {
    // Sent again by a creator that reconnected after losing the control service.
    if (this.groups.has(spec.placementGroupId)) return { placementGroupId: spec.placementGroupId };
    if (spec.name !== undefined) {
      const key = nameKey(spec.namespace, spec.name);
      if (this.names.has(key)) throw new PlacementGroupNameTakenError({ name: spec.name, namespace: spec.namespace });
      this.names.set(key, spec.placementGroupId);
    }
    const entry: GroupEntry = { spec, state: "PENDING", bundleNodeIds: spec.bundles.map(() => null), waiters: new Set() };
    this.groups.set(spec.placementGroupId, entry);
    this.retryPending();
    return { placementGroupId: spec.placementGroupId };
  }

  /**
   * Ends the group and frees what it holds; a removed or unknown group is left as it is. The
   * actors in it die; every node is told, so it frees the group's bundles, fails the
   * group's queued lease requests and kills the workers of its leases.
   */
  async remove(placementGroupId: string): Promise<void> {
    const g = this.groups.get(placementGroupId);
    if (g === undefined || g.state === "REMOVED") return;
    this.setState(g, "REMOVED");
    if (g.spec.name !== undefined) this.names.delete(nameKey(g.spec.namespace, g.spec.name));
    this.deps.removed(placementGroupId);
    const everyNode = this.deps.nodes.alive().map((n) => n.info.nodeId);
    await Promise.all(everyNode.map((nodeId) => this.call(nodeId, (c) => c.call("returnBundles", { placementGroupId, removed: true }, this.timeoutMs))));
    this.retryPending();
  }

  /** The job ended: its groups end with it, unless detached. */
  onJobEnd(jobId: string): void {
    for (const g of this.groups.values()) {
      if (g.spec.jobId === jobId && !g.spec.detached && g.state !== "REMOVED") {
        this.remove(g.spec.placementGroupId).catch((e: unknown) => log.warn(`cannot remove placement group ${g.spec.placementGroupId}: ${(e as Error).message}`));
      }
    }
  }

  /** By id (removed ones too), or a live group by name. */
  get(query: { placementGroupId?: string | undefined; name?: string | undefined; namespace: string }): PlacementGroupInfo {
    const id = query.placementGroupId ?? (query.name === undefined ? undefined : this.names.get(nameKey(query.namespace, query.name)));
    const g = id === undefined ? undefined : this.groups.get(id);
    if (g === undefined) throw new PlacementGroupNotFoundError(query);
    return info(g);
  }

  table(): PlacementGroupInfo[] {
    return [...this.groups.values()].map(info);
  }

  /** Replies once the group is CREATED or REMOVED, or after `waitMs` with its state then. */
  wait(placementGroupId: string, waitMs: number): Promise<PlacementGroupInfo> {
    const g = this.groups.get(placementGroupId);
    if (g === undefined) return Promise.reject(new PlacementGroupNotFoundError({ placementGroupId, namespace: "" }));
    if (g.state === "CREATED" || g.state === "REMOVED") return Promise.resolve(info(g));
    return new Promise((resolve) => {
      const done = (): void => {
        timer.cancel();
        g.waiters.delete(done);
        resolve(info(g));
      };
      const timer = this.deps.clock.setTimeout(done, waitMs);
      g.waiters.add(done);
    });
  }

  /** Whether some group waits for room (the server then retries on resource reports). */
  get hasPending(): boolean {
    for (const g of this.groups.values()) if (g.state === "PENDING") return true;
    return false;
  }

  /** The cluster may have room now: try the pending groups again (one pass at a time). */
  retryPending(): void {
    if (this.reserving) {
      this.again = true;
      return;
    }
    if (!this.hasPending) return;
    this.reserving = true;
    this.reservePending()
      .catch((e: unknown) => log.warn(`placement group reservation failed: ${(e as Error).message}`))
      .finally(() => {
        this.reserving = false;
        if (this.again) {
          this.again = false;
          this.retryPending();
        }
      });
  }

  private async reservePending(): Promise<void> {
    for (const g of [...this.groups.values()]) if (g.state === "PENDING") await this.reserve(g);
  }

  /** Places the group on the current view and reserves it on its nodes in two phases. */
  private async reserve(g: GroupEntry): Promise<void> {
    const { placementGroupId, strategy, bundles } = g.spec;
    const plan = placeBundles(strategy, bundles, this.deps.view.alive());
    if (plan === undefined) return;
    // Counted as taken in the view until the nodes report, so the next group is placed around it.
    const undo = plan.map((nodeId, i) => this.deps.view.reserve(nodeId, bundles[i] ?? {}));
    const nodeIds = distinct(plan);
    const prepared = await Promise.all(
      nodeIds.map((nodeId) => {
        const part = plan.flatMap((n, index) => (n === nodeId ? [{ index, resources: bundles[index] ?? {} }] : []));
        return this.call(nodeId, (c) => c.call("prepareBundles", { placementGroupId, bundles: part }, this.timeoutMs)).then((r) => r?.prepared === true);
      }),
    );
    const committed = prepared.every(Boolean) && g.state === "PENDING" && (await this.commit(placementGroupId, nodeIds)) && g.state === "PENDING";
    if (!committed) {
      for (const u of undo) u();
      await this.returnBundles(placementGroupId, nodeIds);
      return;
    }
    g.bundleNodeIds = plan;
    this.setState(g, "CREATED");
    log.info(`placement group ${placementGroupId.slice(0, 8)} created on ${nodeIds.map((n) => n.slice(0, 8)).join(", ")}`);
  }

  private async commit(placementGroupId: string, nodeIds: string[]): Promise<boolean> {
    const done = await Promise.all(nodeIds.map((nodeId) => this.call(nodeId, (c) => c.call("commitBundles", { placementGroupId }, this.timeoutMs))));
    return done.every((r) => r !== undefined);
  }

  private async returnBundles(placementGroupId: string, nodeIds: string[]): Promise<void> {
    await Promise.all(nodeIds.map((nodeId) => this.call(nodeId, (c) => c.call("returnBundles", { placementGroupId }, this.timeoutMs))));
  }

  /** A call to a node's raylet; undefined when the node is gone or the call failed. */
  private async call<T>(nodeId: string, f: (c: RpcConnection<RayletService>) => Promise<T>): Promise<T | undefined> {
    const c = this.deps.nodes.connection(nodeId);
    if (c === undefined) return undefined;
    return f(c).catch((e: unknown) => {
      log.warn(`placement group call to node ${nodeId.slice(0, 8)} failed: ${(e as Error).message}`);
      return undefined;
    });
  }

  private get timeoutMs(): number {
    return this.deps.config.bundleReservationTimeoutMs;
  }

  private setState(g: GroupEntry, state: PlacementGroupState): void {
    g.state = state;
    for (const w of [...g.waiters]) w();
  }
}

function info(g: GroupEntry): PlacementGroupInfo {
  const { placementGroupId, name, namespace, strategy, bundles } = g.spec;
  return { placementGroupId, name: name ?? null, namespace, strategy, state: g.state, bundles, bundleNodeIds: [...g.bundleNodeIds] };
}

function distinct(ids: readonly (string | null)[]): string[] {
  return [...new Set(ids.filter((id): id is string => id !== null))];
}

function nameKey(namespace: string, name: string): string {
  return `${namespace}\0${name}`;
}

/**
 * Placement groups: reservations of several bundles of resources, all or nothing.
 *
 * Design. The control service owns every group (one PlacementGroupManager, composed in
 * gcs-server.ts like the ActorManager). A group is registered PENDING and holds nothing.
 * A pass over the pending groups (one pass at a time) places each group's bundles on the
 * resource view in creation order (bundle-placement.ts, per its strategy), each counted
 * there before the next is placed, and reserves them all side by side, in two phases. Phase one asks each chosen raylet to `prepareBundles` (the
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
 * When a node dies, each created group with bundles there turns RESCHEDULING: those bundles
 * are placed again on live nodes under the group's strategy, around the bundles it keeps
 * (a STRICT_SPREAD group waits for a node it does not use yet), by the same two phases, and
 * the group is CREATED again. Actors in it restart per their maxRestarts (the ActorManager)
 * and wait for the bundles. With storage (Redis), groups are written through and restored
 * when the control service restarts; raylets keep holding committed bundles meanwhile.
 */
import type { Clock, DemandEntry, PlacementGroupInfo, PlacementGroupSpec, PlacementGroupState, RayletService, ResourceSet, RpcConnection } from "@lux/protocol";
import { PlacementGroupNameTakenError, PlacementGroupNotFoundError, createLogger, type ConfigValues } from "@lux/common";
import { placeBundles } from "./bundle-placement.js";
import type { NodeManager } from "./node-manager.js";
import type { ResourceViewManager } from "./resource-view.js";
import type { GcsStorage } from "./storage.js";
import { StoredTable } from "./table.js";

const log = createLogger("gcs");

/** Removed groups kept for lookups by id (their table rows); the control service forgets older ones. */
const MAX_REMOVED_KEPT = 10_000;

export interface PlacementGroupManagerDeps {
  nodes: NodeManager;
  view: ResourceViewManager;
  /** Times waits for a group to be created. */
  clock: Clock;
  config: Pick<ConfigValues, "bundleReservationTimeoutMs">;
  /** A group was removed: the actors in it end (ActorManager). */
  removed(placementGroupId: string): void;
  /** Where groups are written through, to survive a restart (Redis); none: memory only. */
  storage?: GcsStorage | undefined;
}

/** A group as stored. */
interface StoredGroup {
  spec: PlacementGroupSpec;
  state: PlacementGroupState;
  bundleNodeIds: (string | null)[];
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
  /** Groups waiting for room (PENDING or RESCHEDULING). */
  private readonly waiting = new Set<GroupEntry>();
  /** Removed groups still answered by id, oldest first (at most MAX_REMOVED_KEPT). */
  private readonly removedIds = new Set<string>();
  /** Live groups' ids by namespace and name. */
  private readonly names = new Map<string, string>();
  private reserving = false;
  /** Something changed while a pass over the pending groups ran: make another pass. */
  private again = false;
  private readonly stored: StoredTable<StoredGroup> | undefined;

  constructor(private readonly deps: PlacementGroupManagerDeps) {
    this.stored = deps.storage === undefined ? undefined : new StoredTable(deps.storage, "placement_groups");
    deps.nodes.onNodeAdded(() => this.retryPending());
    deps.nodes.onNodeDeath((nodeId) => this.nodeDied(nodeId));
  }

  /** Loads the groups of a previous run (storage): returns how many. */
  async restore(): Promise<number> {
    if (this.stored === undefined) return 0;
    const stored = await this.stored.loadAll();
    for (const [id, s] of stored) {
      const entry: GroupEntry = { spec: s.spec, state: s.state, bundleNodeIds: s.bundleNodeIds, waiters: new Set() };
      this.groups.set(id, entry);
      if (waitsForRoom(entry)) this.waiting.add(entry);
      if (s.spec.name !== undefined) this.names.set(nameKey(s.spec.namespace, s.spec.name), id);
    }
    return stored.size;
  }

  /** Bundles on a dead node are placed again elsewhere: their groups turn RESCHEDULING. */
  private nodeDied(nodeId: string): void {
    for (const g of this.groups.values()) {
      if (g.state === "REMOVED" || !g.bundleNodeIds.includes(nodeId)) continue;
      g.bundleNodeIds = g.bundleNodeIds.map((n) => (n === nodeId ? null : n));
      log.warn(`placement group ${g.spec.placementGroupId.slice(0, 11)} lost its bundles on dead node ${nodeId.slice(0, 8)}: rescheduling them`);
      this.setState(g, "RESCHEDULING");
    }
    this.retryPending();
  }

  /**
   * Groups waiting for room, as the autoscaler's demand: per group, the bundles it still needs
   * (with their label selectors), its strategy, and the nodes its other bundles hold.
   */
  pendingDemand(): DemandEntry[] {
    const out: DemandEntry[] = [];
    for (const g of this.waiting) {
      const missing = g.spec.bundles.flatMap((b, i) => (g.bundleNodeIds[i] === null ? [i] : []));
      if (missing.length === 0) continue;
      const bundles = missing.map((i) => g.spec.bundles[i] as ResourceSet);
      const resources: ResourceSet = {};
      for (const b of bundles) for (const [k, v] of Object.entries(b)) resources[k] = (resources[k] ?? 0) + v;
      const nodesInUse = [...new Set(g.bundleNodeIds.filter((n) => n !== null))];
      out.push({
        resources,
        count: 1,
        infeasible: false,
        kind: "placementGroup",
        bundles,
        strategy: g.spec.strategy,
        ...(g.spec.bundleLabelSelector !== undefined ? { bundleLabelSelectors: missing.map((i) => g.spec.bundleLabelSelector?.[i] ?? {}) } : {}),
        ...(nodesInUse.length > 0 ? { nodesInUse } : {}),
      });
    }
    return out;
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
    this.waiting.add(entry);
    this.save(entry);
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
    return this.waiting.size > 0;
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
    // Each group is placed on the view (and counted there) before its first await, in
    // creation order: the reservations then run side by side, each around the ones before it.
    const pending = [...this.waiting];
    await Promise.all(pending.map((g) => this.reserve(g)));
  }

  /**
   * Places the group's unplaced bundles (all of a PENDING group's, a RESCHEDULING group's
   * lost ones) on the current view and reserves them on their nodes in two phases.
   */
  private async reserve(g: GroupEntry): Promise<void> {
    const { placementGroupId, strategy, bundles } = g.spec;
    const kept = [...g.bundleNodeIds];
    const plan = placeBundles(strategy, bundles, this.deps.view.schedulable(), kept, g.spec.bundleLabelSelector);
    if (plan === undefined) return;
    // What each node is asked for now: the bundles not kept from before.
    const parts = new Map<string, { index: number; resources: ResourceSet }[]>();
    plan.forEach((nodeId, index) => {
      if (kept[index] !== null) return;
      const part = parts.get(nodeId) ?? [];
      part.push({ index, resources: bundles[index] ?? {} });
      parts.set(nodeId, part);
    });
    // Counted as taken in the view until the nodes report, so the next group is placed around it.
    const undo = [...parts].flatMap(([nodeId, part]) => part.map((b) => this.deps.view.reserve(nodeId, b.resources)));
    const nodeIds = [...parts.keys()];
    const prepared = await Promise.all(
      nodeIds.map((nodeId) => this.call(nodeId, (c) => c.call("prepareBundles", { placementGroupId, bundles: parts.get(nodeId) ?? [] }, this.timeoutMs)).then((r) => r?.prepared === true)),
    );
    const committed = prepared.every(Boolean) && !removed(g) && (await this.commit(placementGroupId, nodeIds)) && !removed(g);
    if (!committed) {
      for (const u of undo) u();
      await Promise.all(
        nodeIds.map((nodeId) => {
          const bundleIndexes = (parts.get(nodeId) ?? []).map((b) => b.index);
          return this.call(nodeId, (c) => c.call("returnBundles", { placementGroupId, bundleIndexes }, this.timeoutMs));
        }),
      );
      return;
    }
    // A node that died meanwhile lost its new bundles again: they wait for the next pass.
    const alive = new Set(this.deps.view.alive().map((n) => n.nodeId));
    g.bundleNodeIds = g.bundleNodeIds.map((n, i) => {
      const placed = plan[i] ?? null;
      // Kept bundles stay as they are now (nulled if their node died meanwhile).
      return kept[i] !== null ? n : placed !== null && alive.has(placed) ? placed : null;
    });
    if (g.bundleNodeIds.includes(null)) {
      this.setState(g, g.state === "PENDING" ? "PENDING" : "RESCHEDULING");
      this.again = true;
      return;
    }
    this.setState(g, "CREATED");
    log.info(`placement group ${placementGroupId.slice(0, 11)} created on ${distinct(plan).map((n) => n.slice(0, 8)).join(", ")}`);
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
    if (waitsForRoom(g)) this.waiting.add(g);
    else this.waiting.delete(g);
    if (state === "REMOVED") this.forgetOldRemoved(g.spec.placementGroupId);
    this.save(g);
    for (const w of [...g.waiters]) w();
  }

  /** Keeps the last MAX_REMOVED_KEPT removed groups answerable by id; older ones are forgotten (then unknown, as removed). */
  private forgetOldRemoved(placementGroupId: string): void {
    this.removedIds.add(placementGroupId);
    if (this.removedIds.size <= MAX_REMOVED_KEPT) return;
    const oldest = this.removedIds.values().next().value as string;
    this.removedIds.delete(oldest);
    this.groups.delete(oldest);
  }

  /** Writes the group through to storage; a removed group is deleted (its name is free). */
  private save(g: GroupEntry): void {
    const id = g.spec.placementGroupId;
    if (g.state === "REMOVED") this.stored?.delete(id).catch(() => undefined);
    else this.stored?.write(id, { spec: g.spec, state: g.state, bundleNodeIds: g.bundleNodeIds });
  }
}

/** Read after an await: the group may have been removed meanwhile. */
function removed(g: GroupEntry): boolean {
  return g.state === "REMOVED";
}

/** PENDING or RESCHEDULING: some bundle holds nothing yet. */
function waitsForRoom(g: GroupEntry): boolean {
  return g.state === "PENDING" || g.state === "RESCHEDULING";
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

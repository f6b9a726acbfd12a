import type { Clock, ResourceSet, TimerHandle } from "@lux/protocol";
import { bundleResources, createLogger } from "@lux/common";
import type { Allocation, ResourcePool } from "./resources.js";

const log = createLogger("raylet");

type ReservationState = "prepared" | "committed";

interface HeldBundle {
  allocation: Allocation;
  /** The bundle-named resources added to the pool on commit; undefined while prepared. */
  added: ResourceSet | undefined;
}

interface Reservation {
  /** By bundle index. */
  bundles: Map<number, HeldBundle>;
  /** Returns the bundles still prepared when it fires (their commit never came: the control service died or gave up). */
  expiry: TimerHandle | undefined;
}

/**
 * This node's part of placement groups: bundles reserved out of the node's ResourcePool in
 * two phases driven by the control service. `prepare` takes all of the bundles asked for or
 * none (a bundle already held is kept: a retried call, or a group rescheduled around a dead
 * node adding bundles here); `commit` makes them hold and adds their named resources (see
 * bundle-resources.ts in @lux/common), which work in the group leases; `release` frees them,
 * prepared or committed. While held, bundles count as used in what the node reports. Bundles
 * prepared but not committed within `prepareTimeoutMs` are returned on their own.
 */
export class BundleReservations {
  private readonly groups = new Map<string, Reservation>();
  /** When the node last held a bundle (or when it started): how long it has held none. */
  private emptySince: number;

  constructor(
    private readonly pool: ResourcePool,
    private readonly clock: Clock,
    private readonly prepareTimeoutMs: number,
  ) {
    this.emptySince = clock.now();
  }

  /** Groups with bundles here, and for how long there have been none (0 while there are some). */
  activity(): { groups: number; emptyForMs: number } {
    return { groups: this.groups.size, emptyForMs: this.groups.size === 0 ? Math.max(0, this.clock.now() - this.emptySince) : 0 };
  }

  /** Takes every bundle not held yet if all fit together now; otherwise takes nothing and says so. */
  prepare(placementGroupId: string, bundles: readonly { index: number; resources: ResourceSet }[]): boolean {
    const held = this.groups.get(placementGroupId)?.bundles;
    const taken = new Map<number, HeldBundle>();
    for (const b of bundles) {
      if (held?.has(b.index) === true || taken.has(b.index)) continue;
      if (!this.pool.fits(b.resources)) {
        for (const t of taken.values()) this.pool.release(t.allocation);
        return false;
      }
      taken.set(b.index, { allocation: this.pool.acquire(b.resources), added: undefined });
    }
    const r = this.groups.get(placementGroupId) ?? { bundles: new Map<number, HeldBundle>(), expiry: undefined };
    this.groups.set(placementGroupId, r);
    for (const [index, t] of taken) r.bundles.set(index, t);
    if (taken.size > 0) this.expireLater(placementGroupId, r);
    return true;
  }

  /** Commits the group's prepared bundles; returns whether it has any bundle here. */
  commit(placementGroupId: string): boolean {
    const r = this.groups.get(placementGroupId);
    if (r === undefined) return false;
    r.expiry?.cancel();
    r.expiry = undefined;
    for (const [index, b] of r.bundles) {
      if (b.added !== undefined) continue;
      b.added = bundleResources(b.allocation.resources, placementGroupId, index);
      this.pool.add(b.added);
    }
    return true;
  }

  /** Frees the group's bundles here (only those of `indexes` if given), prepared or committed. */
  release(placementGroupId: string, indexes?: readonly number[]): void {
    const r = this.groups.get(placementGroupId);
    if (r === undefined) return;
    for (const [index, b] of [...r.bundles]) {
      if (indexes !== undefined && !indexes.includes(index)) continue;
      r.bundles.delete(index);
      if (b.added !== undefined) this.pool.remove(b.added);
      this.pool.release(b.allocation);
    }
    if (r.bundles.size > 0) return;
    r.expiry?.cancel();
    this.groups.delete(placementGroupId);
    if (this.groups.size === 0) this.emptySince = this.clock.now();
  }

  /** "committed" once every bundle of the group here is; "prepared" while one is not. */
  state(placementGroupId: string): ReservationState | undefined {
    const r = this.groups.get(placementGroupId);
    if (r === undefined) return undefined;
    for (const b of r.bundles.values()) if (b.added === undefined) return "prepared";
    return "committed";
  }

  /**
   * GPU devices for work in the group on this node: those of bundle `index`, or with -1 those
   * of the first of the group's bundles here that holds any.
   */
  gpuIds(placementGroupId: string, index: number): number[] {
    const r = this.groups.get(placementGroupId);
    if (r === undefined) return [];
    if (index >= 0) return r.bundles.get(index)?.allocation.gpuIds ?? [];
    for (const b of r.bundles.values()) if (b.allocation.gpuIds.length > 0) return b.allocation.gpuIds;
    return [];
  }

  private expireLater(placementGroupId: string, r: Reservation): void {
    r.expiry?.cancel();
    r.expiry = this.clock.setTimeout(() => {
      r.expiry = undefined;
      const stale = [...r.bundles].flatMap(([index, b]) => (b.added === undefined ? [index] : []));
      if (stale.length === 0) return;
      log.warn(`placement group ${placementGroupId}: bundles ${stale.join(", ")} prepared here were not committed within ${this.prepareTimeoutMs} ms; returning them`);
      this.release(placementGroupId, stale);
    }, this.prepareTimeoutMs);
    r.expiry.unref();
  }
}

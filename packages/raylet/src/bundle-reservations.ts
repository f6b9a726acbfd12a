import type { Clock, ResourceSet, TimerHandle } from "@lux/protocol";
import { bundleResources, createLogger } from "@lux/common";
import type { Allocation, ResourcePool } from "./resources.js";

const log = createLogger("raylet");

type ReservationState = "prepared" | "committed";

interface Reservation {
  state: ReservationState;
  /** By bundle index. */
  allocations: Map<number, Allocation>;
  /** The bundle-named resources added to the pool on commit. */
  added: ResourceSet[];
  /** Returns a prepared reservation whose commit never came (the control service died meanwhile). */
  expiry: TimerHandle | undefined;
}

/**
 * This node's part of placement groups: bundles reserved out of the node's ResourcePool in
 * two phases driven by the control service. `prepare` takes all of a group's bundles for
 * this node or none; `commit` makes the reservation hold and adds the bundles' named
 * resources (see bundle-resources.ts in @lux/common), which work in the group leases;
 * `release` frees it, prepared or committed. While held, the bundles count as used in what
 * the node reports. A prepared reservation not committed within `prepareTimeoutMs` is
 * returned on its own: the control service that prepared it is gone or gave up.
 */
export class BundleReservations {
  private readonly groups = new Map<string, Reservation>();

  constructor(
    private readonly pool: ResourcePool,
    private readonly clock: Clock,
    private readonly prepareTimeoutMs: number,
  ) {}

  /** Takes every bundle if all fit together now; otherwise takes nothing and says so. */
  prepare(placementGroupId: string, bundles: readonly { index: number; resources: ResourceSet }[]): boolean {
    // Asked again (the control service retried after losing the reply): what is held stands.
    if (this.groups.has(placementGroupId)) return true;
    const allocations = new Map<number, Allocation>();
    for (const b of bundles) {
      if (!this.pool.fits(b.resources)) {
        for (const a of allocations.values()) this.pool.release(a);
        return false;
      }
      allocations.set(b.index, this.pool.acquire(b.resources));
    }
    const expiry = this.clock.setTimeout(() => {
      if (this.groups.get(placementGroupId)?.state !== "prepared") return;
      log.warn(`placement group ${placementGroupId}: bundles prepared here were not committed within ${this.prepareTimeoutMs} ms; returning them`);
      this.release(placementGroupId);
    }, this.prepareTimeoutMs);
    expiry.unref();
    this.groups.set(placementGroupId, { state: "prepared", allocations, added: [], expiry });
    return true;
  }

  /** Returns whether the group had prepared bundles here to commit. */
  commit(placementGroupId: string): boolean {
    const r = this.groups.get(placementGroupId);
    if (r === undefined) return false;
    if (r.state === "committed") return true;
    r.state = "committed";
    r.expiry?.cancel();
    r.expiry = undefined;
    for (const [index, a] of r.allocations) {
      const added = bundleResources(a.resources, placementGroupId, index);
      r.added.push(added);
      this.pool.add(added);
    }
    return true;
  }

  release(placementGroupId: string): void {
    const r = this.groups.get(placementGroupId);
    if (r === undefined) return;
    this.groups.delete(placementGroupId);
    r.expiry?.cancel();
    for (const added of r.added) this.pool.remove(added);
    for (const a of r.allocations.values()) this.pool.release(a);
  }

  state(placementGroupId: string): ReservationState | undefined {
    return this.groups.get(placementGroupId)?.state;
  }

  /**
   * GPU devices for work in the group on this node: those of bundle `index`, or with -1 those
   * of the first of the group's bundles here that holds any.
   */
  gpuIds(placementGroupId: string, index: number): number[] {
    const r = this.groups.get(placementGroupId);
    if (r === undefined) return [];
    if (index >= 0) return r.allocations.get(index)?.gpuIds ?? [];
    for (const a of r.allocations.values()) if (a.gpuIds.length > 0) return a.gpuIds;
    return [];
  }
}

import type { ResourceSet } from "@lux/protocol";
import type { Allocation, ResourcePool } from "./resources.js";

type ReservationState = "prepared" | "committed";

interface Reservation {
  state: ReservationState;
  /** By bundle index. */
  allocations: Map<number, Allocation>;
}

/**
 * This node's part of placement groups: bundles reserved out of the node's ResourcePool in
 * two phases driven by the control service. `prepare` takes all of a group's bundles for
 * this node or none; `commit` makes the reservation hold; `release` frees it, prepared or
 * committed. While held, the bundles count as used in what the node reports.
 */
export class BundleReservations {
  private readonly groups = new Map<string, Reservation>();

  constructor(private readonly pool: ResourcePool) {}

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
    this.groups.set(placementGroupId, { state: "prepared", allocations });
    return true;
  }

  /** Returns whether the group had prepared bundles here to commit. */
  commit(placementGroupId: string): boolean {
    const r = this.groups.get(placementGroupId);
    if (r === undefined) return false;
    r.state = "committed";
    return true;
  }

  release(placementGroupId: string): void {
    const r = this.groups.get(placementGroupId);
    if (r === undefined) return;
    this.groups.delete(placementGroupId);
    for (const a of r.allocations.values()) this.pool.release(a);
  }

  state(placementGroupId: string): ReservationState | undefined {
    return this.groups.get(placementGroupId)?.state;
  }

  /** The bundle's allocation here (its GPU ids), for work scheduled into it. */
  bundle(placementGroupId: string, index: number): Allocation | undefined {
    return this.groups.get(placementGroupId)?.allocations.get(index);
  }
}

/**
 * Placement-group bundles as resources. A committed bundle adds resources named after its
 * group to its node: `CPU_group_<index>_<groupId>` (that bundle) and `CPU_group_<groupId>`
 * (any bundle of the group on the node), and the same for every resource it reserves, plus a
 * `bundle_group_…` marker so work asking for nothing still lands where the group is. Work in
 * the group asks for those names instead of `CPU`: the schedulers (raylets and the control
 * service) then place it like any custom resource, only where the group holds room, while
 * work outside the group cannot reach what the bundle reserved (its plain resources were
 * taken when it was prepared).
 */
import type { GcsService, ResourceSet, RpcCaller } from "@lux/protocol";
import { PlacementGroupNotFoundError } from "./errors.js";

/** Units of the marker resource each bundle adds, and what one piece of work takes of it. */
const MARKER_TOTAL = 1000;
const MARKER_TAKE = 0.001;
const SUFFIX = /_group_(?:(\d+)_)?(pg-[0-9a-zA-Z]+)$/;

/** The resources a committed bundle adds to its node. */
export function bundleResources(bundle: ResourceSet, placementGroupId: string, index: number): ResourceSet {
  const r: ResourceSet = {};
  for (const [k, q] of Object.entries(bundle)) {
    if (q <= 0) continue;
    r[`${k}_group_${index}_${placementGroupId}`] = q;
    r[`${k}_group_${placementGroupId}`] = q;
  }
  r[`bundle_group_${index}_${placementGroupId}`] = MARKER_TOTAL;
  r[`bundle_group_${placementGroupId}`] = MARKER_TOTAL;
  return r;
}

/** What work asking `req` inside a group's bundle (`bundleIndex` -1: any bundle) asks the scheduler for. */
export function resourcesInBundle(req: ResourceSet, placementGroupId: string, bundleIndex: number): ResourceSet {
  const r: ResourceSet = {};
  const indexed = bundleIndex >= 0;
  for (const [k, q] of Object.entries(req)) {
    if (q <= 0) continue;
    if (indexed) r[`${k}_group_${bundleIndex}_${placementGroupId}`] = q;
    r[`${k}_group_${placementGroupId}`] = q;
  }
  if (indexed) r[`bundle_group_${bundleIndex}_${placementGroupId}`] = MARKER_TAKE;
  r[`bundle_group_${placementGroupId}`] = MARKER_TAKE;
  return r;
}

/** Whether a resource name is one a bundle added (hidden from users' resource views). */
export function isBundleResource(name: string): boolean {
  return SUFFIX.test(name);
}

/** The plain resources a request in a bundle stands for (`{ CPU: 1 }` for `CPU_group_0_pg-…: 1`). */
export function plainResources(req: ResourceSet): ResourceSet {
  const indexed = Object.keys(req).some((k) => SUFFIX.exec(k)?.[1] !== undefined);
  const r: ResourceSet = {};
  for (const [k, q] of Object.entries(req)) {
    const m = SUFFIX.exec(k);
    if (m === null) {
      r[k] = q;
      continue;
    }
    // An indexed request asks both names for one amount: count the indexed one only.
    if ((m[1] !== undefined) !== indexed) continue;
    const base = k.slice(0, m.index);
    if (base !== "bundle") r[base] = (r[base] ?? 0) + q;
  }
  return r;
}

/**
 * Whether the control service says a placement group was removed (or never existed: a
 * control service restarted without storage forgot it, so nothing will ever create it).
 */
export async function placementGroupRemoved(gcs: RpcCaller<GcsService>, placementGroupId: string): Promise<boolean> {
  try {
    return (await gcs.call("getPlacementGroup", { placementGroupId, namespace: "" })).state === "REMOVED";
  } catch (e) {
    if (e instanceof PlacementGroupNotFoundError) return true;
    throw e;
  }
}

import type { PlacementGroupPlacement } from "@lux/protocol";
import { InvalidOptionError } from "@lux/common";

/**
 * Refuses work in a group that no bundle it may use could ever hold (it would wait forever):
 * InvalidOptionError showing the request and the bundles.
 */
export function checkFitsGroup(request: Record<string, number>, placement: PlacementGroupPlacement): void {
  const { bundles, bundleIndex } = placement;
  const fits = (b: Record<string, number>): boolean => Object.entries(request).every(([k, q]) => q <= 0 || (b[k] ?? 0) + 1e-9 >= q);
  const candidates = bundleIndex >= 0 ? [bundles[bundleIndex] ?? {}] : bundles;
  if (candidates.some(fits)) return;
  const where = bundleIndex >= 0 ? `bundle ${bundleIndex} of the group (${JSON.stringify(candidates[0])})` : `any bundle of the group (${JSON.stringify(bundles)})`;
  throw new InvalidOptionError({
    option: "schedulingStrategy.placementGroup",
    expected: `a request that fits ${where}; it asks ${JSON.stringify(request)}`,
  });
}

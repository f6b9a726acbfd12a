import type { NodeResources, PlacementStrategy, ResourceSet } from "@lux/protocol";
import { labelMatcher } from "@lux/common";

/** How many tries a search for a placement makes before it calls the group unplaceable for now. */
const SEARCH_BUDGET = 10_000;

/**
 * Where each bundle of a placement group goes, judged on what nodes have free now: node ids
 * by bundle index, or undefined when the group does not fit as a whole. STRICT_PACK puts
 * every bundle on one node; STRICT_SPREAD each on a different node; PACK prefers nodes the
 * group already uses (one node if it can), SPREAD prefers nodes it does not use yet.
 * `fixed`: bundles already placed (a group rescheduled after a node died keeps its bundles
 * on live nodes): only the others (null there) are placed, around them.
 * `labelSelectors[i]` (bundleLabelSelector): bundle i only goes to a node whose labels match.
 */
export function placeBundles(
  strategy: PlacementStrategy,
  bundles: readonly ResourceSet[],
  nodes: readonly NodeResources[],
  fixed: readonly (string | null)[] = bundles.map(() => null),
  labelSelectors?: readonly (Readonly<Record<string, string>> | undefined)[],
): string[] | undefined {
  const sorted = [...nodes].sort((a, b) => (a.nodeId < b.nodeId ? -1 : 1));
  const free = new Map(sorted.map((n) => [n.nodeId, { ...n.available }]));
  const allowed = allowedNodes(bundles, sorted, labelSelectors);
  const missing = bundles.flatMap((b, i) => (fixed[i] === null || fixed[i] === undefined ? [b] : []));
  const kept = [...new Set(fixed.filter((id): id is string => id !== null && id !== undefined))];
  const matchesMissing = (nodeId: string): boolean => allowed.every((ids, i) => (fixed[i] ?? null) !== null || ids.has(nodeId));
  const onOneNode = sorted.find((n) => (kept.length === 0 || (kept.length === 1 && kept[0] === n.nodeId)) && fits(sum(missing), n.available) && matchesMissing(n.nodeId));
  if (strategy === "STRICT_PACK" || (strategy === "PACK" && kept.length === 0 && onOneNode !== undefined)) {
    return onOneNode === undefined ? undefined : bundles.map((_, i) => fixed[i] ?? onOneNode.nodeId);
  }
  // Largest first: the bundles hardest to place choose before the easy ones fill nodes up.
  const order = bundles
    .map((_, i) => i)
    .filter((i) => fixed[i] === null || fixed[i] === undefined)
    .sort((a, b) => size(bundles[b] ?? {}) - size(bundles[a] ?? {}));
  const placed: (string | undefined)[] = bundles.map((_, i) => fixed[i] ?? undefined);
  let budget = SEARCH_BUDGET;
  const search = (k: number): boolean => {
    const index = order[k];
    if (index === undefined) return true;
    const bundle = bundles[index] ?? {};
    for (const nodeId of candidates(strategy, free, placed)) {
      if (--budget < 0) return false;
      const avail = free.get(nodeId) ?? {};
      if (!fits(bundle, avail) || allowed[index]?.has(nodeId) !== true) continue;
      take(avail, bundle, -1);
      placed[index] = nodeId;
      if (search(k + 1)) return true;
      placed[index] = undefined;
      take(avail, bundle, 1);
    }
    return false;
  };
  return search(0) ? (placed as string[]) : undefined;
}

/** By bundle index: the ids of the nodes whose labels match the bundle's selector. */
function allowedNodes(
  bundles: readonly ResourceSet[],
  nodes: readonly NodeResources[],
  labelSelectors: readonly (Readonly<Record<string, string>> | undefined)[] | undefined,
): Set<string>[] {
  return bundles.map((_, i) => {
    const matches = labelMatcher(labelSelectors?.[i]);
    return new Set(nodes.filter((n) => matches(n.labels)).map((n) => n.nodeId));
  });
}

/** The nodes a bundle may go to under the strategy, most preferred first. */
function candidates(strategy: PlacementStrategy, free: Map<string, ResourceSet>, placed: readonly (string | undefined)[]): string[] {
  const used = new Set(placed.filter((p): p is string => p !== undefined));
  const all = [...free.keys()];
  const fresh = all.filter((id) => !used.has(id));
  if (strategy === "STRICT_SPREAD") return fresh;
  if (strategy === "SPREAD") return [...fresh, ...used];
  return [...used, ...fresh];
}

export function fits(req: ResourceSet, set: ResourceSet): boolean {
  return Object.entries(req).every(([k, q]) => q <= 0 || (set[k] ?? 0) + 1e-9 >= q);
}

function take(set: ResourceSet, req: ResourceSet, sign: 1 | -1): void {
  for (const [k, q] of Object.entries(req)) if (q > 0) set[k] = (set[k] ?? 0) + sign * q;
}

function sum(bundles: readonly ResourceSet[]): ResourceSet {
  const total: ResourceSet = {};
  for (const b of bundles) take(total, b, 1);
  return total;
}

function size(bundle: ResourceSet): number {
  return Object.values(bundle).reduce((s, q) => s + Math.max(0, q), 0);
}

/**
 * Pending demand as the planner packs it: each task or actor of a queued shape is one item;
 * a pending placement group is one item per bundle (PACK, SPREAD), one item of all its bundles
 * together (STRICT_PACK: one node), or a gang whose bundles need distinct nodes (STRICT_SPREAD).
 */
import type { DemandEntry, ResourceSet } from "@lux/protocol";

export interface DemandItem {
  resources: ResourceSet;
  labelSelector: Record<string, string> | undefined;
  /** What it is for, in reports: "task", "actor", "placementGroup", "request". */
  kind: string;
}

/** Bundles of one STRICT_SPREAD group: each on its own node, none on `avoid` (nodes its other bundles hold). */
export interface SpreadGang {
  bundles: DemandItem[];
  avoid: readonly string[];
}

export interface Demand {
  items: DemandItem[];
  gangs: SpreadGang[];
}

/** Items of more than this many of one shape are packed as this many (a bound on the planner's work). */
const MAX_ITEMS_PER_SHAPE = 10_000;

export function expandDemand(entries: readonly DemandEntry[]): Demand {
  const items: DemandItem[] = [];
  const gangs: SpreadGang[] = [];
  for (const e of entries) {
    if (e.kind !== "placementGroup" || e.bundles === undefined) {
      for (let i = 0; i < Math.min(e.count, MAX_ITEMS_PER_SHAPE); i++) items.push({ resources: e.resources, labelSelector: e.labelSelector, kind: e.kind });
      continue;
    }
    const bundles = e.bundles.map((resources, i) => {
      const selector = e.bundleLabelSelectors?.[i];
      return { resources, labelSelector: selector !== undefined && Object.keys(selector).length > 0 ? selector : undefined, kind: "placementGroup" };
    });
    if (e.strategy === "STRICT_SPREAD") gangs.push({ bundles, avoid: e.nodesInUse ?? [] });
    else if (e.strategy === "STRICT_PACK") items.push({ resources: e.resources, labelSelector: mergedSelector(bundles), kind: "placementGroup" });
    else items.push(...bundles);
  }
  return { items, gangs };
}

/** A STRICT_PACK group's node must match every bundle's selector. */
function mergedSelector(bundles: readonly DemandItem[]): Record<string, string> | undefined {
  const merged: Record<string, string> = {};
  for (const b of bundles) Object.assign(merged, b.labelSelector);
  return Object.keys(merged).length > 0 ? merged : undefined;
}

/** Biggest first (GPUs, then CPUs, then the rest), so large items find room before small ones fill it. */
export function sizeOrder(a: DemandItem, b: DemandItem): number {
  const ga = a.resources["GPU"] ?? 0;
  const gb = b.resources["GPU"] ?? 0;
  if (ga !== gb) return gb - ga;
  const ca = a.resources["CPU"] ?? 0;
  const cb = b.resources["CPU"] ?? 0;
  if (ca !== cb) return cb - ca;
  return total(b.resources) - total(a.resources);
}

function total(r: ResourceSet): number {
  let t = 0;
  for (const [k, v] of Object.entries(r)) if (k !== "memory") t += v;
  return t;
}

/** The shape of an item, for counting items alike in reports. */
export function shapeKey(item: DemandItem): string {
  return `${item.kind}|${JSON.stringify(item.resources)}|${JSON.stringify(item.labelSelector ?? {})}`;
}

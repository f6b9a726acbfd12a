import type { ResourceSet } from "@lux/protocol";

/**
 * A node's free resources as a view should show them: what it last reported, less what
 * was placed there since (each amount floored at 0). A new set; `reported` is not changed.
 */
export function lessReserved(reported: ResourceSet, reservations: Iterable<{ resources: ResourceSet }>): ResourceSet {
  const available = { ...reported };
  for (const { resources } of reservations) {
    for (const [k, q] of Object.entries(resources)) if (q > 0) available[k] = Math.max(0, (available[k] ?? 0) - q);
  }
  return available;
}

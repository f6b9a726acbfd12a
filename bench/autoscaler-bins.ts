/** Bin packing references for bench/autoscaler.ts: random demands, and their optimal bin count by exhaustive search. */

/** A deterministic random demand (seeded): 4 to 14 items of 1 to 4 CPUs. */
export function randomShapes(seed: number): number[] {
  let s = (seed * 2654435761 + 12345) >>> 0;
  const next = (): number => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const n = 4 + Math.floor(next() * 11);
  return Array.from({ length: n }, () => 1 + Math.floor(next() * 4));
}

/** The fewest bins of `capacity` that hold `sizes` (exact: branch and bound, biggest first; small inputs only). */
export function optimalBins(sizes: readonly number[], capacity: number): number {
  const items = [...sizes].sort((a, b) => b - a);
  const lower = Math.ceil(items.reduce((a, b) => a + b, 0) / capacity);
  let best = items.length;
  const bins: number[] = [];
  const place = (i: number): void => {
    if (bins.length >= best) return;
    if (i === items.length) {
      best = bins.length;
      return;
    }
    const size = items[i] as number;
    const tried = new Set<number>();
    for (let b = 0; b < bins.length; b++) {
      const free = bins[b] as number;
      if (free < size || tried.has(free)) continue;
      tried.add(free);
      bins[b] = free - size;
      place(i + 1);
      bins[b] = free;
      if (best === lower) return;
    }
    bins.push(capacity - size);
    place(i + 1);
    bins.pop();
  };
  place(0);
  return best;
}

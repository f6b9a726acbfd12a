import type { ResourceSet } from "@lux/protocol";

/** Quantities are kept in 1/10000 units so fractional requests add up exactly. */
const SCALE = 10_000;
const toUnits = (q: number): number => Math.round(q * SCALE);
const fromUnits = (u: number): number => u / SCALE;

export interface Allocation {
  resources: ResourceSet;
  gpuIds: number[];
}

/** A node's resources: totals, what is free, and which GPU device ids are free. */
export class ResourcePool {
  private readonly total = new Map<string, number>();
  private readonly free = new Map<string, number>();
  private readonly freeGpus: number[];
  /** Called after every change of what is free (the raylet reports it to the control service). */
  onChange: (() => void) | undefined;

  constructor(totals: ResourceSet) {
    for (const [k, q] of Object.entries(totals)) {
      this.total.set(k, toUnits(q));
      this.free.set(k, toUnits(q));
    }
    this.freeGpus = Array.from({ length: Math.floor(totals["GPU"] ?? 0) }, (_, i) => i);
  }

  /** Could this node ever run the request, if it were idle? */
  feasible(req: ResourceSet): boolean {
    return Object.entries(req).every(([k, q]) => q <= 0 || (this.total.get(k) ?? 0) >= toUnits(q));
  }

  fits(req: ResourceSet): boolean {
    return Object.entries(req).every(([k, q]) => q <= 0 || (this.free.get(k) ?? 0) >= toUnits(q));
  }

  /** Takes the resources (the caller checked `fits`, or forces an overcommit). */
  acquire(req: ResourceSet): Allocation {
    for (const [k, q] of Object.entries(req)) {
      if (q > 0) this.free.set(k, (this.free.get(k) ?? 0) - toUnits(q));
    }
    const gpus = req["GPU"] ?? 0;
    // Whole GPUs get their own devices; a fraction shares device 0..n by first free id.
    const count = gpus >= 1 ? Math.floor(gpus) : gpus > 0 ? 1 : 0;
    const gpuIds = gpus >= 1 ? this.freeGpus.splice(0, count) : gpus > 0 ? [this.sharedGpu()] : [];
    this.onChange?.();
    return { resources: req, gpuIds };
  }

  release(allocation: Allocation): void {
    for (const [k, q] of Object.entries(allocation.resources)) {
      if (q > 0) this.free.set(k, (this.free.get(k) ?? 0) + toUnits(q));
    }
    if ((allocation.resources["GPU"] ?? 0) >= 1) {
      this.freeGpus.push(...allocation.gpuIds);
      this.freeGpus.sort((a, b) => a - b);
    }
    this.onChange?.();
  }

  /** Releases or re-takes just the CPU of an allocation (a worker blocked in `get`). */
  adjustCpu(allocation: Allocation, give: boolean): void {
    const cpu = allocation.resources["CPU"] ?? 0;
    if (cpu <= 0) return;
    this.free.set("CPU", (this.free.get("CPU") ?? 0) + (give ? 1 : -1) * toUnits(cpu));
    this.onChange?.();
  }

  view(): { total: ResourceSet; available: ResourceSet } {
    const total: ResourceSet = {};
    const available: ResourceSet = {};
    for (const [k, u] of this.total) {
      total[k] = fromUnits(u);
      available[k] = Math.max(0, fromUnits(this.free.get(k) ?? 0));
    }
    return { total, available };
  }

  private sharedGpu(): number {
    return this.freeGpus[0] ?? 0;
  }
}

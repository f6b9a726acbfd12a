import type { ResourceSet } from "@lux/protocol";

/** Quantities are kept in 1/10000 units so fractional requests add up exactly. */
const SCALE = 10_000;
const toUnits = (q: number): number => Math.round(q * SCALE);
const fromUnits = (u: number): number => u / SCALE;

export interface Allocation {
  resources: ResourceSet;
  gpuIds: number[];
}

/**
 * A node's resources: totals, what is free, and how much of each GPU device is in use. A
 * whole-GPU request takes entirely free devices; a fraction shares one device, never
 * beyond its capacity.
 */
export class ResourcePool {
  private readonly total = new Map<string, number>();
  private readonly free = new Map<string, number>();
  /** Units in use per GPU device id, in the order devices are handed out. */
  private readonly gpuUse = new Map<number, number>();
  /** Called after every change of what is free (the raylet reports it to the control service). */
  onChange: (() => void) | undefined;

  /**
   * `gpuIds`: the node's GPU device ids (those nvidia-smi found and CUDA_VISIBLE_DEVICES
   * allows); default 0 .. GPU-1.
   */
  constructor(totals: ResourceSet, gpuIds?: readonly number[]) {
    for (const [k, q] of Object.entries(totals)) {
      this.total.set(k, toUnits(q));
      this.free.set(k, toUnits(q));
    }
    const ids = gpuIds ?? Array.from({ length: Math.floor(totals["GPU"] ?? 0) }, (_, i) => i);
    for (const id of ids) this.gpuUse.set(id, 0);
  }

  /** Could this node ever run the request, if it were idle? */
  feasible(req: ResourceSet): boolean {
    return Object.entries(req).every(([k, q]) => q <= 0 || (this.total.get(k) ?? 0) >= toUnits(q));
  }

  fits(req: ResourceSet): boolean {
    const gpus = req["GPU"] ?? 0;
    if (gpus > 0 && this.gpuUse.size > 0 && this.pickGpus(gpus) === undefined) return false;
    return Object.entries(req).every(([k, q]) => q <= 0 || (this.free.get(k) ?? 0) >= toUnits(q));
  }

  /** Takes the resources (the caller checked `fits`, or forces an overcommit). */
  acquire(req: ResourceSet): Allocation {
    for (const [k, q] of Object.entries(req)) {
      if (q > 0) this.free.set(k, (this.free.get(k) ?? 0) - toUnits(q));
    }
    const gpus = req["GPU"] ?? 0;
    // An overcommit (forced) that finds no device gets none rather than someone else's.
    const gpuIds = gpus > 0 ? (this.pickGpus(gpus) ?? []) : [];
    const share = gpus >= 1 ? SCALE : toUnits(gpus);
    for (const id of gpuIds) this.gpuUse.set(id, (this.gpuUse.get(id) ?? 0) + share);
    this.onChange?.();
    return { resources: req, gpuIds };
  }

  release(allocation: Allocation): void {
    for (const [k, q] of Object.entries(allocation.resources)) {
      // A resource removed meanwhile (a placement group's bundle) is not brought back.
      if (q > 0 && this.total.has(k)) this.free.set(k, (this.free.get(k) ?? 0) + toUnits(q));
    }
    const gpus = allocation.resources["GPU"] ?? 0;
    const share = gpus >= 1 ? SCALE : toUnits(gpus);
    for (const id of allocation.gpuIds) if (this.gpuUse.has(id)) this.gpuUse.set(id, Math.max(0, (this.gpuUse.get(id) ?? 0) - share));
    this.onChange?.();
  }

  /** Adds resources to the node, all free (a committed placement-group bundle's named resources). */
  add(totals: ResourceSet): void {
    for (const [k, q] of Object.entries(totals)) {
      this.total.set(k, (this.total.get(k) ?? 0) + toUnits(q));
      this.free.set(k, (this.free.get(k) ?? 0) + toUnits(q));
    }
    this.onChange?.();
  }

  /** Takes resources added by `add` off the node again, in use or not. */
  remove(totals: ResourceSet): void {
    for (const [k, q] of Object.entries(totals)) {
      const left = (this.total.get(k) ?? 0) - toUnits(q);
      if (left > 0) {
        this.total.set(k, left);
        this.free.set(k, (this.free.get(k) ?? 0) - toUnits(q));
      } else {
        this.total.delete(k);
        this.free.delete(k);
      }
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

  /**
   * Devices for a GPU request: `n` entirely free devices for n whole GPUs; for a fraction,
   * the busiest device it still fits on (packing fractions keeps whole devices free).
   */
  private pickGpus(gpus: number): number[] | undefined {
    if (gpus >= 1) {
      const free = [...this.gpuUse].flatMap(([id, use]) => (use === 0 ? [id] : []));
      const n = Math.floor(gpus);
      return free.length >= n ? free.slice(0, n) : undefined;
    }
    const need = toUnits(gpus);
    let best: number | undefined;
    let bestUse = -1;
    for (const [id, use] of this.gpuUse) {
      if (use + need <= SCALE && use > bestUse) {
        best = id;
        bestUse = use;
      }
    }
    return best === undefined ? undefined : [best];
  }
}

/**
 * How many trials fit at once: the cluster's resources (re-read when a trial does not fit, at
 * most once a second, so nodes added later are used) less what running trials (and actors kept
 * for reuse) reserve. A trial that could never fit fails fit() at once with
 * InsufficientResourcesError.
 */
import * as lux from "lux";
import { InsufficientResourcesError } from "lux";

export type Resources = Readonly<Record<string, number>>;

const EPSILON = 1e-9;
const REFRESH_MS = 1_000;

export function addResources(a: Resources, b: Resources, times = 1): Record<string, number> {
  const out: Record<string, number> = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = (out[k] ?? 0) + v * times;
  return out;
}

/** `1.5/2 CPUs, 0/1 GPUs`: what running trials reserve of the cluster's CPUs (and GPUs, if any). */
export function usageLine(used: Resources, total: Resources): string {
  const n = (v: number): string => String(Math.round(v * 1e4) / 1e4);
  const parts = [`${n(used["CPU"] ?? 0)}/${n(total["CPU"] ?? 0)} CPUs`];
  if ((total["GPU"] ?? 0) > 0 || (used["GPU"] ?? 0) > 0) parts.push(`${n(used["GPU"] ?? 0)}/${n(total["GPU"] ?? 0)} GPUs`);
  return parts.join(", ");
}

function show(r: Resources): string {
  return `{ ${Object.entries(r).map(([k, v]) => `${k}: ${Math.round(v * 1e4) / 1e4}`).join(", ")} }`;
}

export class Capacity {
  private totals: Resources = {};
  private readAt = -Infinity;

  /** Reads the cluster's totals; throws InsufficientResourcesError when one trial's `demand` exceeds them. */
  async start(what: string, demand: Resources): Promise<void> {
    await this.refresh(true);
    const short = Object.entries(demand).filter(([k, v]) => v > (this.totals[k] ?? 0) + EPSILON);
    if (short.length > 0) {
      throw new InsufficientResourcesError({ what, demand: `${show(demand)} per trial`, totals: `${show(this.totals)} in all` });
    }
  }

  get total(): Resources {
    return this.totals;
  }

  private async refresh(force = false): Promise<void> {
    if (!force && performance.now() - this.readAt < REFRESH_MS) return;
    this.readAt = performance.now();
    this.totals = await lux.clusterResources();
  }

  /** Whether `demand` fits beside `used` (the totals re-read first when it does not, at most once a second). */
  async fits(demand: Resources, used: Resources): Promise<boolean> {
    if (this.fitsNow(demand, used)) return true;
    await this.refresh();
    return this.fitsNow(demand, used);
  }

  private fitsNow(demand: Resources, used: Resources): boolean {
    return Object.entries(demand).every(([k, v]) => v <= EPSILON || (used[k] ?? 0) + v <= (this.totals[k] ?? 0) + EPSILON);
  }
}

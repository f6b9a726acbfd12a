/**
 * This process's metrics: each declared name once, with what was recorded since the last
 * report. Every report of the process's core worker takes it (`take`) and sends it to the
 * node's raylet, which sums what the node's processes send. Values recorded before
 * lux.init() wait here for the first report.
 */
import { InvalidMetricError } from "@lux/core";
import { addMetricsSource } from "@lux/core/internal";
import type { MetricData, MetricKind, MetricSeries } from "@lux/protocol";

export interface MetricDefinition {
  readonly name: string;
  readonly kind: MetricKind;
  readonly description: string;
  readonly tagKeys: readonly string[];
  /** A histogram's boundaries. */
  readonly boundaries?: readonly number[];
}

/** What one tag set recorded since the last report. */
interface Pending {
  tags: string[];
  /** Counter: the increments' sum; gauge: the last value; histogram: the observations' sum. */
  value: number;
  /** Histogram: observations per bucket (the last one +Inf). */
  counts?: number[];
}

/** One declared metric and what it recorded since the last report, by tag set. */
export class MetricState {
  private pending = new Map<string, Pending>();

  constructor(readonly definition: MetricDefinition) {}

  inc(tags: string[], value: number): void {
    this.entry(tags).value += value;
  }

  set(tags: string[], value: number): void {
    this.entry(tags).value = value;
  }

  observe(tags: string[], value: number): void {
    const bounds = this.definition.boundaries as readonly number[];
    const e = this.entry(tags);
    e.counts ??= new Array<number>(bounds.length + 1).fill(0);
    let i = 0;
    while (i < bounds.length && value > (bounds[i] as number)) i++;
    (e.counts[i] as number) += 1;
    e.value += value;
  }

  /** What was recorded since the previous call, as it travels (undefined: nothing). */
  take(): MetricData | undefined {
    if (this.pending.size === 0) return undefined;
    const series: MetricSeries[] = [];
    for (const p of this.pending.values()) series.push(p.counts === undefined ? { tags: p.tags, value: p.value } : { tags: p.tags, value: p.value, counts: p.counts });
    this.pending = new Map();
    const { name, kind, description, tagKeys, boundaries } = this.definition;
    return { name, kind, description, tagKeys: [...tagKeys], ...(boundaries !== undefined ? { boundaries: [...boundaries] } : {}), series };
  }

  private entry(tags: string[]): Pending {
    const key = tags.length === 0 ? "" : tags.join("\u0000");
    let e = this.pending.get(key);
    if (e === undefined) this.pending.set(key, (e = { tags, value: 0 }));
    return e;
  }
}

const metrics = new Map<string, MetricState>();

/**
 * The state of metric `definition.name`: a name declared again with the same kind, tag keys
 * and boundaries shares it (a module imported twice); with another definition, it throws.
 */
export function declare(definition: MetricDefinition): MetricState {
  const known = metrics.get(definition.name);
  if (known === undefined) {
    const state = new MetricState(definition);
    metrics.set(definition.name, state);
    return state;
  }
  const a = known.definition;
  const same = a.kind === definition.kind && sameList(a.tagKeys, definition.tagKeys) && sameList(a.boundaries ?? [], definition.boundaries ?? []);
  if (!same) {
    throw new InvalidMetricError({
      metric: definition.name,
      problem: `this process already declared it as a ${a.kind} with tag keys [${a.tagKeys.join(", ")}]${a.boundaries !== undefined ? ` and boundaries [${a.boundaries.join(", ")}]` : ""}; use another name`,
    });
  }
  return known;
}

/** What every metric recorded since the previous call. */
export function takeRecorded(): MetricData[] {
  const out: MetricData[] = [];
  for (const m of metrics.values()) {
    const data = m.take();
    if (data !== undefined) out.push(data);
  }
  return out;
}

function sameList<T>(a: readonly T[], b: readonly T[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

addMetricsSource(takeRecorded);

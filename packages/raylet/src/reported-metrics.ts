/**
 * What the node's processes report (`reportMetrics`): lux.util.metrics and each process's own
 * series, summed per node. Counters and histograms arrive as increments and are added to the
 * node's totals, which outlive the processes (a counter never goes down); gauges arrive as a
 * process's last value per tag set, kept per process and summed at scrape time, and forgotten
 * when the process goes. A name reported again with another kind, tag keys or boundaries is
 * refused (logged once per name); so is a series that does not fit its declaration.
 */
import { METRIC_NAME_PATTERN, METRIC_TAG_KEY_PATTERN, type MetricData, type MetricKind, type MetricSeries } from "@lux/protocol";

export interface Definition {
  name: string;
  kind: MetricKind;
  description: string;
  tagKeys: readonly string[];
  boundaries: readonly number[];
}

interface Totals {
  tags: readonly string[];
  value: number;
  counts: number[] | undefined;
}

interface Family {
  definition: Definition;
  /** Counters and histograms: the node's totals by tag set. */
  totals: Map<string, Totals>;
  /** Gauges: each process's last values by tag set. */
  gauges: Map<unknown, Map<string, Totals>>;
}

/** One series of a family as served: its tag values and value (a histogram's with counts). */
export interface ServedSeries {
  tags: readonly string[];
  value: number;
  counts?: readonly number[];
}

export class ReportedMetrics {
  private readonly families = new Map<string, Family>();
  private readonly warned = new Set<string>();

  constructor(private readonly warn: (message: string) => void) {}

  /** Adds what `process` (any key: its connection) reported. */
  add(process: unknown, metrics: readonly MetricData[]): void {
    for (const m of metrics) {
      const family = this.family(m);
      if (family === undefined) continue;
      for (const s of m.series) if (fits(family.definition, s)) this.record(family, process, s);
    }
  }

  /** Forgets the gauges of a process that went away. */
  processGone(process: unknown): void {
    for (const f of this.families.values()) f.gauges.delete(process);
  }

  /** Every family with its series (gauges summed over processes), in the order first reported. */
  *served(): Generator<{ definition: Definition; series: ServedSeries[] }> {
    for (const f of this.families.values()) {
      if (f.definition.kind !== "gauge") {
        yield { definition: f.definition, series: [...f.totals.values()].map((t) => (t.counts === undefined ? { tags: t.tags, value: t.value } : { tags: t.tags, value: t.value, counts: t.counts })) };
        continue;
      }
      const sums = new Map<string, { tags: readonly string[]; value: number }>();
      for (const perProcess of f.gauges.values()) {
        for (const [key, g] of perProcess) {
          const s = sums.get(key);
          if (s === undefined) sums.set(key, { tags: g.tags, value: g.value });
          else s.value += g.value;
        }
      }
      yield { definition: f.definition, series: [...sums.values()] };
    }
  }

  private family(m: MetricData): Family | undefined {
    const known = this.families.get(m.name);
    const boundaries = m.boundaries ?? [];
    if (known === undefined) {
      const problem = invalid(m, boundaries);
      if (problem !== undefined) {
        this.warnOnce(m.name, `metric ${JSON.stringify(m.name)} was refused: ${problem}`);
        return undefined;
      }
      const family: Family = { definition: { name: m.name, kind: m.kind, description: m.description, tagKeys: [...m.tagKeys], boundaries: [...boundaries] }, totals: new Map(), gauges: new Map() };
      this.families.set(m.name, family);
      return family;
    }
    const d = known.definition;
    if (d.kind === m.kind && same(d.tagKeys, m.tagKeys) && same(d.boundaries, boundaries)) return known;
    this.warnOnce(m.name, `metric ${m.name} was reported as a ${m.kind} with tag keys [${m.tagKeys.join(", ")}], but is a ${d.kind} with tag keys [${d.tagKeys.join(", ")}] on this node: those values are dropped (give the metric another name)`);
    return undefined;
  }

  private record(family: Family, process: unknown, s: MetricSeries): void {
    const key = s.tags.join("\u0000");
    if (family.definition.kind === "gauge") {
      let own = family.gauges.get(process);
      if (own === undefined) family.gauges.set(process, (own = new Map()));
      own.set(key, { tags: s.tags, value: s.value, counts: undefined });
      return;
    }
    let t = family.totals.get(key);
    if (t === undefined) {
      t = { tags: s.tags, value: 0, counts: s.counts === undefined ? undefined : new Array<number>(s.counts.length).fill(0) };
      family.totals.set(key, t);
    }
    t.value += s.value;
    if (t.counts !== undefined && s.counts !== undefined) for (let i = 0; i < t.counts.length; i++) (t.counts[i] as number) += s.counts[i] as number;
  }

  private warnOnce(name: string, message: string): void {
    if (this.warned.has(name)) return;
    this.warned.add(name);
    this.warn(message);
  }
}

function invalid(m: MetricData, boundaries: readonly number[]): string | undefined {
  if (!METRIC_NAME_PATTERN.test(m.name)) return "not a valid Prometheus name";
  if (m.tagKeys.some((k) => !METRIC_TAG_KEY_PATTERN.test(k) || k === "node_id" || k === "le") || new Set(m.tagKeys).size !== m.tagKeys.length) return "invalid tag keys";
  if (m.kind === "histogram" && (boundaries.length === 0 || boundaries.some((b, i) => !Number.isFinite(b) || (i > 0 && b <= (boundaries[i - 1] as number))))) return "invalid boundaries";
  return undefined;
}

/** Whether a series fits its family: one value per tag key, a finite value (never negative for a counter), a histogram's counts per bucket. */
function fits(d: Definition, s: MetricSeries): boolean {
  if (s.tags.length !== d.tagKeys.length || !Number.isFinite(s.value)) return false;
  if (d.kind === "counter") return s.value >= 0 && s.counts === undefined;
  if (d.kind === "gauge") return s.counts === undefined;
  return s.counts !== undefined && s.counts.length === d.boundaries.length + 1 && s.counts.every((c) => Number.isFinite(c) && c >= 0);
}

function same<T>(a: readonly T[], b: readonly T[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

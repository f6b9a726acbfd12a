/**
 * Prometheus' text exposition format (version 0.0.4): what a raylet's `/metrics` answers. One
 * `# HELP` and `# TYPE` per family, then its samples; label values and help text escaped.
 */

/** A sample's labels, in order. */
export type Labels = readonly (readonly [string, string])[];

export interface HistogramSample {
  labels: Labels;
  /** Observations per bucket, not cumulative: one per boundary, then +Inf. */
  counts: ArrayLike<number>;
  sum: number;
}

export class PrometheusText {
  private readonly lines: string[] = [];
  private readonly families = new Set<string>();

  /** A gauge (`type` "gauge") or counter family (its name should end in `_total`). */
  family(name: string, type: "gauge" | "counter", help: string, samples: Iterable<{ labels: Labels; value: number }>): void {
    if (!this.header(name, type, help)) return;
    for (const s of samples) this.lines.push(`${name}${labelText(s.labels)} ${numberText(s.value)}`);
  }

  /** A histogram family: `_bucket` per boundary and +Inf (cumulative), `_sum` and `_count` per sample. */
  histogram(name: string, help: string, boundaries: readonly number[], samples: Iterable<HistogramSample>): void {
    if (!this.header(name, "histogram", help)) return;
    for (const s of samples) {
      let cumulative = 0;
      for (let i = 0; i <= boundaries.length; i++) {
        cumulative += s.counts[i] ?? 0;
        const le = i < boundaries.length ? numberText(boundaries[i] as number) : "+Inf";
        this.lines.push(`${name}_bucket${labelText([...s.labels, ["le", le]])} ${numberText(cumulative)}`);
      }
      this.lines.push(`${name}_sum${labelText(s.labels)} ${numberText(s.sum)}`);
      this.lines.push(`${name}_count${labelText(s.labels)} ${numberText(cumulative)}`);
    }
  }

  toString(): string {
    return this.lines.length === 0 ? "" : `${this.lines.join("\n")}\n`;
  }

  /** False for a family already written (a second one of the same name would make the text invalid). */
  private header(name: string, type: string, help: string): boolean {
    if (this.families.has(name)) return false;
    this.families.add(name);
    this.lines.push(`# HELP ${name} ${help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")}`, `# TYPE ${name} ${type}`);
    return true;
  }
}

function labelText(labels: Labels): string {
  if (labels.length === 0) return "";
  return `{${labels.map(([k, v]) => `${k}="${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`).join(",")}}`;
}

function numberText(n: number): string {
  if (Number.isNaN(n)) return "NaN";
  if (n === Infinity) return "+Inf";
  if (n === -Infinity) return "-Inf";
  return String(n);
}

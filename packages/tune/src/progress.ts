/**
 * The progress table a Tuner prints (verbose >= 1) every `progressIntervalMs` and at the end:
 * the time and how long the experiment has run, the logical resources its running trials
 * reserve, the best trial so far, the trials by status, and a row per trial (name, status,
 * searched params, iterations, time, metric). Plain text.
 */
import { flatten } from "./search/space.js";
import type { Mode, TrialInfo, TrialStatus } from "./types.js";
import { metricOf } from "./types.js";

export interface ProgressInput {
  readonly now: Date;
  readonly elapsedMs: number;
  /** e.g. "1.5/2 CPUs". */
  readonly usage: string;
  readonly metric: string | undefined;
  readonly mode: Mode | undefined;
  readonly trials: readonly (TrialInfo & { readonly timeTotalMs: number; readonly iteration: number })[];
  /** The config keys searched (flattened, `opt/beta`), shown as columns. */
  readonly params: readonly string[];
}

const STATUS_ORDER: readonly TrialStatus[] = ["RUNNING", "PAUSED", "PENDING", "TERMINATED", "ERROR"];

function clock(ms: number): string {
  const s = ms / 1000;
  const two = (n: number): string => String(Math.floor(n)).padStart(2, "0");
  return `${two(s / 3600)}:${two((s % 3600) / 60)}:${(s % 60).toFixed(2).padStart(5, "0")}`;
}

function localTime(d: Date): string {
  const two = (n: number): string => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

function cell(value: unknown): string {
  if (typeof value === "number") return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(5)));
  if (value === undefined || value === null) return "";
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** "3 TERMINATED, 1 ERROR": the count of each status there is. */
export function statusLine(trials: readonly TrialInfo[]): string {
  return STATUS_ORDER.flatMap((s) => {
    const n = trials.filter((t) => t.status === s).length;
    return n > 0 ? [`${n} ${s}`] : [];
  }).join(", ");
}

/** The trial with the best latest value of `metric` (by `mode`). */
export function bestTrial<T extends TrialInfo>(trials: readonly T[], metric: string, mode: Mode): { trial: T; value: number } | undefined {
  let best: { trial: T; value: number } | undefined;
  for (const t of trials) {
    const v = metricOf(t.lastResult, metric);
    if (v === undefined) continue;
    if (best === undefined || (mode === "min" ? v < best.value : v > best.value)) best = { trial: t, value: v };
  }
  return best;
}

function table(rows: readonly string[][]): string[] {
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? "").length))) ?? [];
  return rows.map((r) => r.map((v, c) => v.padEnd(widths[c] ?? 0)).join("  ").trimEnd());
}

export function formatProgress(p: ProgressInput): string {
  const lines = ["== Status ==", `Current time: ${localTime(p.now)} (running for ${clock(p.elapsedMs)})`, `Logical resource usage: ${p.usage}`];
  if (p.metric !== undefined && p.mode !== undefined) {
    const best = bestTrial(p.trials, p.metric, p.mode);
    if (best !== undefined) lines.push(`Current best trial: ${best.trial.trialId} with ${p.metric}=${best.value}`);
  }
  lines.push(`Trial status: ${statusLine(p.trials)}`);
  const header = ["Trial name", "status", ...p.params, "iter", "total time (s)", ...(p.metric !== undefined ? [p.metric] : [])];
  const rows = p.trials.map((t) => {
    const config = flatten(t.config);
    return [
      t.trialName,
      t.status,
      ...p.params.map((k) => cell(config[k])),
      cell(t.iteration),
      (t.timeTotalMs / 1000).toFixed(2),
      ...(p.metric !== undefined ? [cell(metricOf(t.lastResult, p.metric))] : []),
    ];
  });
  lines.push(...table([header, ...rows]));
  return lines.join("\n");
}

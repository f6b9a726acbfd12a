/**
 * One run of a trial (from its start, or from its latest checkpoint, to its end, a decision, a
 * failure or an abort) and what it reports to the controller. A run applies the decisions the
 * controller makes at each result; how it ends says what becomes of the trial.
 */
import * as lux from "lux";
import { TaskError } from "lux";
import type { Decision } from "../schedulers/scheduler.js";
import type { Trial } from "../trial.js";
import type { Metrics } from "../metrics.js";
import type { Resources } from "../capacity.js";

export type Outcome =
  /** The trainable returned (a class's result said done). */
  | { readonly kind: "completed" }
  /** The controller's decision ended the run. */
  | { readonly kind: "decided"; readonly decision: Exclude<Decision, "CONTINUE"> }
  | { readonly kind: "failed"; readonly error: Error }
  /** The controller ended it (the experiment stops). */
  | { readonly kind: "aborted" };

/** A result as a run hands it over. */
export interface RunResult {
  readonly metrics: Metrics;
  /** A checkpoint folder (a name in the trial's folder) persisted with this result. */
  readonly checkpoint: string | undefined;
  readonly timeTotalMs: number;
  readonly timeThisIterMs: number;
}

/** What a run tells the controller. */
export interface RunHost {
  /** Records a result and decides on it. */
  result(trial: Trial, result: RunResult): Decision;
  /** Records a checkpoint saved after the trial's latest result. */
  checkpoint(trial: Trial, dir: string): void;
  /** A run that ended at a safe point gives its actor back (reused for the next trial, or ended). */
  release(actor: lux.ActorHandle<unknown>, demand: Resources): void;
}

export interface TrialRun {
  readonly trial: Trial;
  /** What it reserves while it runs. */
  readonly demand: Resources;
  run(): Promise<Outcome>;
  /** Ends it now (or at its next result, for a trainer's run). */
  abort(): void;
}

/** The error behind a failed call: the trainable's own rather than the TaskError around it. */
export function unwrap(e: unknown): Error {
  if (e instanceof TaskError && e.cause instanceof Error) return e.cause;
  return e instanceof Error ? e : new TypeError(String(e));
}

/** Actor options that ask for exactly `resources` (and, with a placement group, from its first bundle). */
export function actorOptions(resources: Resources, pg: lux.PlacementGroup | undefined): lux.ActorOptions {
  const { CPU = 0, GPU, memory, ...custom } = resources;
  return {
    numCpus: CPU,
    ...(GPU !== undefined ? { numGpus: GPU } : {}),
    ...(memory !== undefined ? { memory } : {}),
    ...(Object.keys(custom).length > 0 ? { resources: custom } : {}),
    maxConcurrency: 4,
    ...(pg !== undefined ? { schedulingStrategy: { placementGroup: pg, bundleIndex: 0 } } : {}),
  };
}

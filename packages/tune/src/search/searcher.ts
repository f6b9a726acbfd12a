/**
 * The `Searcher` interface: what suggests the next trial's config. The Tuner gives it the
 * experiment's metric, mode, param space and seed (`setSearchProperties`), asks `suggest` for
 * each new trial, and tells it each result and each trial's end.
 */
import type { Mode, TrialResult } from "../types.js";
import type { ParamSpace } from "./space.js";

/** What `suggest` returns when the searcher will suggest nothing more. */
export const FINISHED = "FINISHED";

/** What the Tuner gives a searcher before its first `suggest`. */
export interface SearchProperties {
  /** tuneConfig's metric and mode (the searcher's own, if it has them, agree with them). */
  readonly metric: string | undefined;
  readonly mode: Mode | undefined;
  readonly paramSpace: ParamSpace;
  /** tuneConfig.seed, for a searcher without a seed of its own. */
  readonly seed: number | undefined;
  /** tuneConfig.numSamples. */
  readonly numSamples: number;
}

export interface Searcher {
  /** The metric it optimizes, if set on it (it must agree with tuneConfig.metric). */
  readonly metric?: string | undefined;
  readonly mode?: Mode | undefined;
  setSearchProperties?(properties: SearchProperties): void;
  /**
   * The config of trial `trialId`; `null` (or undefined) when it has none to give now (ask
   * again once a trial ends); `FINISHED` when it will give no more.
   */
  suggest(trialId: string): Record<string, unknown> | null | undefined | typeof FINISHED;
  /** Each result a trial reports. */
  onTrialResult?(trialId: string, result: TrialResult): void;
  /** A trial ended: with its last result (undefined if it made none), `error` when it failed. */
  onTrialComplete?(trialId: string, result: TrialResult | undefined, error: boolean): void;
}

/** A searcher of @lux/tune whose options and state the experiment state keeps, so Tuner.restore makes it again. */
export interface PersistedSearcher {
  readonly type: string;
  readonly options: unknown;
  readonly state: unknown;
}

export const PERSIST = Symbol("lux.tune.persist");

export interface Persistable<T> {
  [PERSIST](): T | undefined;
}

export function persistable<T>(value: unknown): value is Persistable<T> {
  return typeof (value as Partial<Persistable<T>> | null)?.[PERSIST] === "function";
}

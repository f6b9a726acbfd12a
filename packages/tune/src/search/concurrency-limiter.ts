/**
 * ConcurrencyLimiter: at most `maxConcurrent` trials of a searcher's suggestions run at once;
 * past that it suggests nothing until one ends (a searcher that learns from finished trials
 * then learns before suggesting more).
 */
import { InvalidOptionError } from "lux";
import type { TrialResult } from "../types.js";
import { PERSIST, persistable, type PersistedSearcher, type SearchProperties, type Searcher } from "./searcher.js";

export interface ConcurrencyLimiterOptions {
  maxConcurrent: number;
}

export class ConcurrencyLimiter implements Searcher {
  readonly maxConcurrent: number;
  private readonly live = new Set<string>();

  constructor(
    readonly searcher: Searcher,
    options: ConcurrencyLimiterOptions,
  ) {
    if (typeof (searcher as Partial<Searcher> | null)?.suggest !== "function") {
      throw new InvalidOptionError({ option: "ConcurrencyLimiter searcher", expected: "a Searcher (an object with suggest())", received: searcher });
    }
    const max = (options as Partial<ConcurrencyLimiterOptions> | undefined)?.maxConcurrent;
    if (typeof max !== "number" || !Number.isInteger(max) || max < 1) {
      throw new InvalidOptionError({ option: "ConcurrencyLimiter maxConcurrent", expected: "a positive integer", received: max });
    }
    this.maxConcurrent = max;
  }

  get metric(): string | undefined {
    return this.searcher.metric;
  }

  get mode(): Searcher["mode"] {
    return this.searcher.mode;
  }

  setSearchProperties(p: SearchProperties): void {
    this.searcher.setSearchProperties?.(p);
  }

  suggest(trialId: string): ReturnType<Searcher["suggest"]> {
    if (this.live.size >= this.maxConcurrent) return null;
    const config = this.searcher.suggest(trialId);
    if (typeof config === "object" && config !== null) this.live.add(trialId);
    return config;
  }

  onTrialResult(trialId: string, result: TrialResult): void {
    this.searcher.onTrialResult?.(trialId, result);
  }

  onTrialComplete(trialId: string, result: TrialResult | undefined, error: boolean): void {
    this.live.delete(trialId);
    this.searcher.onTrialComplete?.(trialId, result, error);
  }

  [PERSIST](): PersistedSearcher | undefined {
    const inner = persistable<PersistedSearcher>(this.searcher) ? this.searcher[PERSIST]() : undefined;
    return inner === undefined ? undefined : { type: "ConcurrencyLimiter", options: { maxConcurrent: this.maxConcurrent }, state: { inner, live: [...this.live] } };
  }

  restoreState(state: unknown): void {
    const { inner, live } = (state ?? {}) as { inner?: PersistedSearcher; live?: string[] };
    for (const id of live ?? []) this.live.add(id);
    const restorable = this.searcher as Partial<{ restoreState(s: unknown): void }>;
    if (inner !== undefined) restorable.restoreState?.(inner.state);
  }
}

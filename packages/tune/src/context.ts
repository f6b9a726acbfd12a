/**
 * `tune.getContext()`: where the current trial sits. Held in an AsyncLocalStorage around the
 * trainable in its trial's actor (so it holds across awaits, and only there).
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { TuneSessionError } from "lux";

/** The trial the calling code runs in. */
export interface TrialContext {
  /** e.g. "3f2a9_00004". */
  readonly trialId: string;
  /** e.g. "objective_3f2a9_00004": the trainable's name and the id. */
  readonly trialName: string;
  /** The trial's folder, storagePath/name/trialName (params.json, result.json, progress.csv, checkpoints). */
  readonly trialDir: string;
  /** runConfig.name. */
  readonly experimentName: string;
}

const STORAGE = Symbol.for("lux.tune.context");
/** One store per process, even with two copies of this package loaded. */
const storage = ((globalThis as Record<symbol, unknown>)[STORAGE] ??= new AsyncLocalStorage<TrialContext>()) as AsyncLocalStorage<TrialContext>;

export function runInTrial<T>(context: TrialContext, fn: () => T): T {
  return storage.run(context, fn);
}

/** The current trial's `{ trialId, trialName, trialDir, experimentName }`; TuneSessionError outside a trial. */
export function getContext(): TrialContext {
  const c = storage.getStore();
  if (c === undefined) {
    throw new TuneSessionError({
      operation: "tune.getContext()",
      reason: "called outside a trial: it works in the trainable a Tuner runs (a function, or the methods of a tune.Trainable), in its trial's actor",
    });
  }
  return c;
}

/**
 * Errors of `@lux/tune` (declared here with the others, so they cross the wire from trial
 * actors and from a Tuner run inside an actor, and come back as their class).
 */
import { defineError, describeError } from "@lux/protocol";

/** A trial of a Tuner failed, and `failureConfig.failFast` made `fit()` reject at once. */
export const TrialFailedError = defineError(
  "LUX_TUNE_TRIAL_FAILED",
  "TrialFailedError",
  (f: {
    /** The trial's id, e.g. "3f2a9_00004". */
    readonly trialId: string;
    /** How many times it failed (restarts within maxFailures, plus the last one). */
    readonly failures: number;
    readonly cause?: unknown;
  }) =>
    `trial ${f.trialId} failed${f.failures > 1 ? ` (${f.failures} times)` : ""}: ${describeError(f.cause)}. ` +
    "runConfig.failureConfig.failFast stopped the experiment at this error; `cause` has the trainable's error with its remote stack. " +
    "Fix it, or run without failFast (the trial is then marked ERROR and the others go on), or raise maxFailures to restart it from its last checkpoint.",
  { fields: (f) => ({ trialId: f.trialId, failures: f.failures }) },
);
export type TrialFailedError = InstanceType<typeof TrialFailedError>;

/** `tune.getContext()` (or another trial-only call) was made outside a trial, or a Trainable broke its contract. */
export const TuneSessionError = defineError(
  "LUX_TUNE_SESSION",
  "TuneSessionError",
  (f: {
    /** The call, e.g. "tune.getContext()". */
    readonly operation: string;
    /** What is wrong, with what to do. */
    readonly reason: string;
  }) => `${f.operation}: ${f.reason}`,
);
export type TuneSessionError = InstanceType<typeof TuneSessionError>;

/** `Tuner.restore(path)` found no experiment to restore at `path`. */
export const ExperimentNotFoundError = defineError(
  "LUX_TUNE_EXPERIMENT_NOT_FOUND",
  "ExperimentNotFoundError",
  (f: { readonly path: string; readonly reason: string }) =>
    `no Tune experiment to restore at "${f.path}": ${f.reason}. Give the experiment's folder, storagePath/name, the one holding experiment-state.json (Tuner.canRestore(path) says whether there is one).`,
);
export type ExperimentNotFoundError = InstanceType<typeof ExperimentNotFoundError>;

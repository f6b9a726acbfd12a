/**
 * `storagePath/name/experiment-state.json`: what a new driver needs to go on with an experiment
 * (Tuner.restore): its settings, the search space, the searcher's and scheduler's state (those of
 * @lux/tune; another's cannot be written) and every trial with its status, config, latest
 * result and checkpoints. Written (whole, then renamed into place) on each trial status change
 * and whenever a checkpoint is persisted.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { ExperimentNotFoundError } from "lux";
import type { PersistedSearcher } from "./search/searcher.js";
import type { TrialJSON } from "./trial.js";
import type { Mode } from "./types.js";

export const STATE_FILE = "experiment-state.json";

export interface ExperimentState {
  readonly version: 1;
  readonly name: string;
  readonly trainableName: string;
  readonly startTime: number;
  readonly metric: string | null;
  readonly mode: Mode | null;
  readonly numSamples: number;
  readonly seed: number | null;
  readonly maxConcurrentTrials: number | null;
  readonly timeBudgetMs: number | null;
  readonly reuseActors: boolean;
  readonly maxFailures: number;
  readonly failFast: boolean;
  readonly checkpointConfig: Record<string, unknown>;
  /** runConfig.stop when it is thresholds (a function or Stopper cannot be written). */
  readonly stop: Record<string, number> | null;
  readonly verbose: number;
  readonly progressIntervalMs: number;
  /** null when a domain cannot be written (sampleFrom). */
  readonly paramSpace: unknown;
  readonly searcher: PersistedSearcher | null;
  readonly searcherFinished: boolean;
  readonly scheduler: PersistedSearcher | null;
  readonly trials: readonly TrialJSON[];
}

export function writeState(dir: string, state: ExperimentState): void {
  const file = path.join(dir, STATE_FILE);
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(state, null, 1));
  fs.renameSync(tmp, file);
}

export function canRestore(dir: string): boolean {
  try {
    return fs.statSync(path.join(dir, STATE_FILE)).isFile();
  } catch {
    return false;
  }
}

export function readState(dir: string): ExperimentState {
  const file = path.join(path.resolve(dir), STATE_FILE);
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ExperimentNotFoundError({ path: path.resolve(dir), reason: code === "ENOENT" ? `no ${STATE_FILE} there` : `cannot read ${STATE_FILE} (${code ?? String(e)})`, cause: e });
  }
  try {
    const state = JSON.parse(text) as ExperimentState;
    if (state.version !== 1 || !Array.isArray(state.trials)) throw new TypeError(`not a state this version of @lux/tune wrote (version ${String(state.version)})`);
    return state;
  } catch (e) {
    throw new ExperimentNotFoundError({ path: path.resolve(dir), reason: `${STATE_FILE} is not valid: ${(e as Error).message}`, cause: e });
  }
}

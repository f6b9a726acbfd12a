/**
 * What a library that runs a trainer for its own purposes (Tune: one run per trial) needs of a
 * DataParallelTrainer: the resources its workers take, and a copy of it (same class, same loop,
 * same options otherwise) with a run of its own: another `trainLoopConfig`, folder and
 * checkpoint to resume from.
 */
import type { PlacementStrategy } from "lux";
import type { Checkpoint } from "./checkpoint.js";
import type { CompiledOptions } from "./config.js";
import { checkName } from "./config-checks.js";
import type { DataParallelTrainer } from "./trainer.js";

/** The workers a trainer's run reserves (a placement group of `numWorkers` bundles). */
export interface TrainerDemand {
  readonly numWorkers: number;
  readonly bundle: Readonly<Record<string, number>>;
  readonly placementStrategy: PlacementStrategy;
}

/** What a variant changes. */
export interface TrainerVariant {
  readonly trainLoopConfig: unknown;
  readonly storagePath: string;
  readonly name: string;
  readonly resumeFromCheckpoint: Checkpoint | undefined;
}

type WithOptions = { options: CompiledOptions };

export function trainerDemand(trainer: DataParallelTrainer<never>): TrainerDemand {
  const o = (trainer as unknown as WithOptions).options;
  return { numWorkers: o.numWorkers, bundle: { ...o.bundle }, placementStrategy: o.placementStrategy };
}

/** The trainer's loop config (the base a variant's config is merged over). */
export function trainerLoopConfig(trainer: DataParallelTrainer<never>): unknown {
  return (trainer as unknown as WithOptions).options.trainLoopConfig;
}

export function trainerVariant<T extends DataParallelTrainer<never>>(trainer: T, change: TrainerVariant): T {
  const options: CompiledOptions = { ...(trainer as unknown as WithOptions).options, ...change, name: checkName(change.name) };
  // A copy of every own field (a subclass's too, e.g. TfjsTrainer's backend), with its own options.
  return Object.assign(Object.create(Object.getPrototypeOf(trainer) as object) as T, trainer, { options });
}

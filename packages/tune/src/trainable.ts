/**
 * What a Tuner runs: a function `(config) => …` that reports with `tune.report`, a class
 * extending `tune.Trainable` (setup, step, saveCheckpoint, loadCheckpoint, resetConfig), or a
 * DataParallelTrainer of @lux/train (the space under `trainLoopConfig`); each maybe wrapped by
 * `tune.withResources` to say what a trial reserves.
 */
import { InvalidOptionError } from "lux";
import type { DataParallelTrainer } from "@lux/train";
import type { Metrics } from "./metrics.js";

/**
 * A class trainable: the Tuner makes one per trial in the trial's actor (`new YourClass()`), sets
 * `config`, calls `setup(config)` (then `loadCheckpoint(dir)` when it continues from one), then
 * `step()` once per result until the trial ends (a result with `done: true` ends it too).
 * Checkpoints are saved per `checkpointConfig` (checkpointFrequency, checkpointAtEnd), when the
 * trial pauses, and when PBT asks.
 */
export abstract class Trainable<C = Record<string, unknown>> {
  /** The trial's config (set before `setup`). */
  config!: C;

  /** Called once per actor before the first step (and after a restart). */
  setup(_config: C): void | Promise<void> {}

  /** One step of training: its metrics (`done: true` ends the trial after this result). */
  abstract step(): Metrics | Promise<Metrics>;

  /** Saves what `loadCheckpoint` needs into folder `dir` (made already). */
  saveCheckpoint(_dir: string): void | Promise<void> {}

  /** Goes back to the state saved in folder `dir`. */
  loadCheckpoint(_dir: string): void | Promise<void> {}

  /** Takes a new config in place (PBT, reused actors): true when it did; false (default) makes a new instance. */
  resetConfig(_newConfig: C): boolean | Promise<boolean> {
    return false;
  }

  /** Called when the trial's instance is done with. */
  cleanup(): void | Promise<void> {}
}

/** A class extending tune.Trainable (or implementing it: every method of it defined). */
export type TrainableClass<C> = new () => Trainable<C>;

/** A function trainable: runs the whole trial, reporting with `tune.report`. */
export type TrainableFunction<C> = (config: C) => void | Promise<void>;

/** The methods a class trainable has (those of tune.Trainable): one that does not extend it has them all. */
const TRAINABLE_METHODS = ["setup", "step", "saveCheckpoint", "loadCheckpoint", "resetConfig", "cleanup"] as const;

/**
 * A class extending tune.Trainable, or one of its shape (`implements tune.Trainable<C>`: a
 * library's class with a base of its own, e.g. an RL algorithm).
 */
export function isTrainableClass(value: unknown): value is TrainableClass<unknown> {
  if (typeof value !== "function" || typeof value.prototype !== "object" || value.prototype === null) return false;
  const proto = value.prototype as Record<string, unknown>;
  return proto instanceof Trainable || TRAINABLE_METHODS.every((m) => typeof proto[m] === "function");
}

/** What a trial reserves: one set of resources for its actor, or bundles (a placement group, the actor in the first). */
export type TrialResources = Readonly<Record<string, number>> | readonly Readonly<Record<string, number>>[];

/** A trainable and what each of its trials reserves (`tune.withResources`). */
export class WithResources<T> {
  constructor(
    readonly trainable: T,
    readonly resources: TrialResources,
  ) {
    Object.freeze(this);
  }
}

function checkBundle(value: unknown, field: string): Record<string, number> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new InvalidOptionError({ option: field, expected: "an object of resource amounts, e.g. { CPU: 0.5 }", received: value });
  }
  for (const [name, amount] of Object.entries(value)) {
    if (typeof amount !== "number" || !Number.isFinite(amount) || amount < 0) throw new InvalidOptionError({ option: `${field}.${name}`, expected: "a number >= 0", received: amount });
  }
  return { ...(value as Record<string, number>) };
}

/**
 * `trainable` with what each of its trials reserves: `{ CPU: 0.5 }` for its actor, or an array
 * of bundles (a placement group per trial: the actor takes the first bundle, the trainable may
 * start work in the others with `lux.getCurrentPlacementGroup()`). Default `{ CPU: 1 }`; a
 * DataParallelTrainer reserves its workers (its scalingConfig) instead.
 */
export function withResources<T>(trainable: T, resources: TrialResources): WithResources<T> {
  const checked = Array.isArray(resources)
    ? (() => {
        if (resources.length === 0) throw new InvalidOptionError({ option: "withResources resources", expected: "a resource set or a non-empty array of bundles", received: resources });
        return resources.map((b: unknown, i) => checkBundle(b, `withResources resources[${i}]`));
      })()
    : checkBundle(resources, "withResources resources");
  return new WithResources(trainable, checked);
}

/** What the Tuner is given, any form. */
export type AnyTrainable<C> = TrainableFunction<C> | TrainableClass<C> | DataParallelTrainer<never>;

/**
 * Tune's class-trainable contract, as @lux/tune's issue pins it: `setup(config)`, `step()`
 * (one iteration's metrics), `saveCheckpoint(dir)`, `loadCheckpoint(dir)`, `resetConfig(config)`
 * (and `cleanup()`). An `Algorithm` has this shape, so Tune can run `rl.PPO` or `rl.DQN` as a
 * trainable with a config dict (`PPOConfig.toDict()` with search spaces in it).
 *
 * Stand-in until @lux/tune exists: then this file becomes `import type { Trainable } from
 * "@lux/tune"` (types only) and `Algorithm` declares `implements Trainable<…>`.
 */
export interface TuneTrainable<C> {
  setup(config: C): void | Promise<void>;
  step(): object | Promise<object>;
  saveCheckpoint(dir: string): void | Promise<void>;
  loadCheckpoint(dir: string): void | Promise<void>;
  resetConfig(config: C): boolean | Promise<boolean>;
  cleanup(): void | Promise<void>;
}

/** A class Tune can make trainables of: `new Cls()` then `setup(config)`, or `new Cls(config)`. */
export type TuneTrainableClass<C> = new (config?: C) => TuneTrainable<C>;

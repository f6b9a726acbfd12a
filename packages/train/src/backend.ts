/** A trainer's `backend`: hooks that run in the driver around a `fit()` (the tfjs integration is one). */

/** What a backend's hooks are given (in the driver). */
export interface BackendContext {
  /** The run's name. */
  readonly experimentName: string;
  /** `storagePath/name`. */
  readonly path: string;
  /** The number of workers. */
  readonly worldSize: number;
}

/** Hooks that run in the driver, once per `fit()`, in this order. */
export interface TrainBackend {
  /** Before the first worker group starts. */
  onStart?(context: BackendContext): void | Promise<void>;
  /** Once the first worker group is up, before the loops start. */
  onTrainingStart?(context: BackendContext): void | Promise<void>;
  /** After the run ended, whether it succeeded or failed. */
  onShutdown?(context: BackendContext): void | Promise<void>;
}

/**
 * `lux.util`: patterns built on tasks and actors, after Ray's `ray.util`: ActorPool (values
 * over a set of actors), Queue (a queue held by an actor, shared by processes), Pool (a
 * process pool like Python's multiprocessing.Pool), kv (the control service's key-value
 * store), collective (allreduce and the like among actors), metrics (counters, gauges and
 * histograms that every node serves to Prometheus) and listeners (ports a library opened,
 * listed by `lux status --listeners`). Also importable alone:
 * `import { Queue } from "lux/util"`.
 *
 * @example
 * ```ts
 * import * as lux from "lux";
 * await lux.init();
 * await lux.util.kv.put("config", JSON.stringify({ lr: 0.1 }));
 * const queue = new lux.util.Queue<string>();
 * await queue.put("job-1");
 * console.log(await queue.get()); // "job-1"
 * ```
 */
export { ActorPool, type PoolCall, type GetNextOptions } from "./actor-pool.js";
export { Queue, type QueueOptions, type PutOptions, type GetItemOptions } from "./queue.js";
export { Pool, type PoolOptions, type MapOptions } from "./pool.js";
export * as kv from "./kv.js";
export * as listeners from "./listeners.js";
export * as collective from "./collective/index.js";
export * as metrics from "./metrics/index.js";

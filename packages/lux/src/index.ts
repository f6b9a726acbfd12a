/**
 * Lux: distributed computing for TypeScript. See the README for a quick start.
 *
 * @example
 * ```ts
 * import * as lux from "lux";
 * await lux.init();
 * const square = lux.remote((x: number) => x * x);
 * console.log(await lux.get(square.remote(4))); // 16
 * await lux.shutdown();
 * ```
 */
import { setClusterLauncher } from "@lux/core/internal";
import { initLauncher } from "@lux/launcher";

// Core starts no processes: lux.init()'s private cluster (and address "auto") come from here.
setClusterLauncher(initLauncher);

export * from "@lux/core";
/** ActorPool, Queue, Pool, kv and collective: patterns built on tasks and actors (see docs/util.md). */
export * as util from "@lux/util";

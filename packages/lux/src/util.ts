/**
 * `lux/util`: the same as `lux.util` (ActorPool, Queue, Pool, kv, collective), for importing alone.
 *
 * @example
 * ```ts
 * import * as lux from "lux";
 * import { Queue } from "lux/util";
 * await lux.init();
 * const queue = new Queue<number>({ maxsize: 10 });
 * ```
 */
export * from "@lux/util";

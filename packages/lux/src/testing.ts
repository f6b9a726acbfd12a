/**
 * `lux/testing`: test utilities (LocalCluster, a real multi-process cluster on loopback).
 *
 * @example
 * ```ts
 * import { LocalCluster } from "lux/testing";
 * await using cluster = await LocalCluster.start({ head: { numCpus: 2 } });
 * ```
 */
export * from "@lux/testing";

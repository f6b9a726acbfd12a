/**
 * `lux/testing`: test utilities: LocalCluster, a real multi-process cluster on loopback, and
 * fakes of Lux's processes for unit tests of its parts (FakeNetwork, FakeRaylet, FakeWorker,
 * FakeGcs; see docs/cluster.md).
 *
 * @example
 * ```ts
 * import { LocalCluster } from "lux/testing";
 * await using cluster = await LocalCluster.start({ head: { numCpus: 2 } });
 * ```
 */
export * from "@lux/testing";

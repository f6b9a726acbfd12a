/**
 * Test utilities for Lux: `import { LocalCluster } from "lux/testing"`.
 */
export { LocalCluster, type LocalClusterOptions, type LocalClusterState, type LocalNode, type LocalNodeOptions } from "./local-cluster.js";

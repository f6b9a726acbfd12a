/**
 * Test utilities for Lux: `import { LocalCluster } from "lux/testing"` for a real cluster of
 * processes, and fakes of its processes for unit tests (FakeNetwork, FakeRaylet, FakeWorker,
 * FakeGcs), which serve the real RPC services in memory and do what the test says.
 */
export { LocalCluster, type LocalClusterOptions, type LocalClusterState, type LocalClusterTls, type LocalNode, type LocalNodeOptions } from "./local-cluster.js";
export { FakeNetwork, type FakeListener, type FakeNetworkOptions } from "./fake-network.js";
export { FakePeer, type FakeCall, type FakeHandler } from "./fake-peer.js";
export { FakeWorker, PushedTask, FAKE_VALUE, type FakeExit, type FakeReturn, type FakeWorkerOptions } from "./fake-worker.js";
export { FakeRaylet, LeaseRequestHandle, type FakeLease, type FakeRayletOptions, type SpillbackTarget } from "./fake-raylet.js";
export { FakeGcs, type FakeGcsOptions } from "./fake-gcs.js";
export { settle, eventually } from "./settle.js";
export { MADE_UP_IDS, coreWorkerRequests, gcsRequests, rayletRequests, type RequestIds, type ValidRequests } from "./valid-requests.js";
export {
  FakeKubeApiServer,
  type FakeKubeApiServerOptions,
  type InjectedError,
  type KubeRequest,
  type KubeResource,
  type KubeVerb,
} from "./fake-kube-api-server.js";
export type { FakePod, FakeContainer } from "./fake-kubelet.js";

/**
 * Process supervision for Lux: starting and stopping the daemons (the control service and
 * raylets) as child processes, the registry of the daemons `lux start` left running, the
 * private cluster of `lux.init()`, and a small control-service client for tools. Used by
 * the `lux` package (for `lux.init()`), the `lux` command and `@lux/testing`.
 */
export {
  startControlService,
  startRaylet,
  makeSessionDir,
  nodeResources,
  type DaemonHandle,
  type DaemonExit,
  type DaemonKind,
  type ControlServiceOptions,
  type RayletOptions,
} from "./node-launcher.js";
export { startDashboard, type DashboardOptions } from "./dashboard-launcher.js";
export { startAutoscaler, type AutoscalerOptions } from "./autoscaler-launcher.js";
export { PrivateCluster, initLauncher, type PrivateClusterOptions } from "./cluster-launcher.js";
export { connectControlService, type ControlServiceClient } from "./cluster-client.js";
export {
  recordDaemon,
  forgetDaemon,
  liveDaemons,
  isRecordedDaemon,
  autoAddress,
  procStartTime,
  type DaemonRecord,
} from "./daemon-registry.js";

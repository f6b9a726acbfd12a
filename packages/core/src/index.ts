/**
 * Lux: distributed computing for TypeScript.
 *
 * @example
 * ```ts
 * import * as lux from "lux";
 *
 * await lux.init();
 * const square = lux.remote((x: number) => x * x);
 * console.log(await lux.get([1, 2, 3].map((x) => square.remote(x)))); // [1, 4, 9]
 *
 * class Counter {
 *   n = 0;
 *   incr(by = 1) { return (this.n += by); }
 * }
 * const counter = lux.remote(Counter).remote();
 * console.log(await lux.get(counter.incr.remote(5))); // 5
 * await lux.shutdown();
 * ```
 */
export {
  init,
  shutdown,
  isInitialized,
  main,
  getActor,
  kill,
  exitActor,
  cancel,
  type InitOptions,
  type InitResult,
} from "./api.js";
export { remote } from "./remote.js";
export { get, put, wait, free, type GetOptions, type WaitOptions } from "./object-api.js";
export { nodes, clusterResources, availableResources, type NodeView } from "./cluster-info.js";
export { requestResources, type ResourceRequest } from "./request-resources.js";
export { getRuntimeContext, type RuntimeContext } from "./runtime-context.js";
export { ObjectRef } from "./object-ref.js";
/** The state API: list, get and count tasks, actors, objects, nodes, jobs, placement groups and workers (docs/observability.md). */
export * as state from "./state.js";
export { ObjectRefGenerator } from "./object-ref-generator.js";
export { ship, loadShipped, type Shipped } from "./shipped-functions.js";
export type { TaskOptions, ActorOptions, ActorMethodDefaults, MethodOptions, SchedulingStrategy, PlacementGroupSchedulingStrategy } from "./options.js";
export type { RuntimeEnv } from "./runtime-env.js";
export {
  PlacementGroup,
  placementGroup,
  removePlacementGroup,
  getPlacementGroup,
  placementGroupTable,
  getCurrentPlacementGroup,
  type PlacementGroupOptions,
  type PlacementGroupTableEntry,
} from "./placement-group.js";
export type { PlacementStrategy } from "@lux/protocol";
export type {
  RemoteFunction,
  MultiReturnFunction,
  ActorClass,
  ActorHandle,
  ActorMethod,
  RemoteArgs,
  ReturnRefs,
  RemoteResult,
} from "./types.js";
export {
  LuxError,
  TaskError,
  GetTimeoutError,
  ActorDiedError,
  ActorUnavailableError,
  TaskCancelledError,
  WorkerCrashedError,
  ObjectLostError,
  OwnerDiedError,
  ObjectFreedError,
  ObjectStoreFullError,
  OutOfMemoryError,
  ActorNameTakenError,
  ActorNotFoundError,
  PlacementGroupNameTakenError,
  PlacementGroupNotFoundError,
  PlacementGroupRemovedError,
  InvalidOptionError,
  InvalidConfigError,
  NotInitializedError,
  ClusterLostError,
  SerializationError,
  ProtocolError,
  InvalidRequestError,
  NodeAffinityError,
  RuntimeEnvSetupError,
  InitError,
  LeaseFailedError,
  NodeStartError,
  NotInActorError,
  ConnectionClosedError,
  ConnectFailedError,
  RpcTimeoutError,
  QueueFullError,
  QueueEmptyError,
  PendingCallsLimitExceededError,
  CollectiveError,
  InvalidStateQueryError,
  InvalidMetricError,
  LogNotFoundError,
  DataPathNotFoundError,
  SchemaMismatchError,
  InvalidRowError,
  InvalidBatchError,
  UnknownColumnError,
  DataIteratorError,
  UnknownEnvError,
  InvalidEnvConfigError,
  EnvCheckError,
  EnvError,
  EnvRunnerError,
  AlgorithmConfigError,
  RlCheckpointError,
  TrainingFailedError,
  WorkerGroupError,
  TrainSessionError,
  InsufficientResourcesError,
  CheckpointNotFoundError,
  TrialFailedError,
  TuneSessionError,
  ExperimentNotFoundError,
  InvalidClusterConfigError,
  NodeProviderError,
  BackPressureError,
  DeploymentFailedError,
  InvalidServeConfigError,
  BatchSizeMismatchError,
  ApplicationNotFoundError,
  type ErrorCode,
  /** Explicit config entries (`lux.init({ systemConfig })`); every entry is in docs/config.md. */
  type SystemConfig,
} from "@lux/common";

export {
  ERROR_CODES,
  type ErrorCode,
  type LuxErrorClass,
  type DeclaredErrorClass,
  defineError,
  errorClassForCode,
  registeredErrorCodes,
  describeError,
  type LuxErrorOptions,
  LuxError,
  TaskError,
  GetTimeoutError,
  ActorDiedError,
  ActorUnavailableError,
  TaskCancelledError,
  WorkerCrashedError,
  OutOfMemoryError,
  type OutOfMemoryFields,
  type ProcessMemoryUse,
  ObjectLostError,
  OwnerDiedError,
  ObjectFreedError,
  ObjectStoreFullError,
  ActorNameTakenError,
  PlacementGroupNameTakenError,
  PlacementGroupNotFoundError,
  PlacementGroupRemovedError,
  ActorNotFoundError,
  InvalidOptionError,
  InvalidConfigError,
  ProtocolError,
  InvalidRequestError,
  NotInitializedError,
  InitError,
  ClusterLostError,
  SerializationError,
  NodeAffinityError,
  RuntimeEnvSetupError,
  NoLauncherError,
  LeaseFailedError,
  NodeStartError,
  NotInActorError,
  ConnectionClosedError,
  ConnectFailedError,
  RpcTimeoutError,
} from "./errors.js";
export { QueueFullError, QueueEmptyError } from "./queue-errors.js";
export { DataPathNotFoundError, SchemaMismatchError, InvalidRowError, InvalidBatchError, UnknownColumnError, DataIteratorError } from "./data-errors.js";
export {
  UnknownEnvError,
  InvalidEnvConfigError,
  EnvCheckError,
  EnvError,
  EnvRunnerError,
  AlgorithmConfigError,
  RlCheckpointError,
} from "./rl-errors.js";
export { TrainingFailedError, WorkerGroupError, TrainSessionError, InsufficientResourcesError, CheckpointNotFoundError } from "./train-errors.js";
export { TrialFailedError, TuneSessionError, ExperimentNotFoundError } from "./tune-errors.js";
export { PendingCallsLimitExceededError } from "./actor-call-errors.js";
export { BackPressureError, DeploymentFailedError, InvalidServeConfigError, BatchSizeMismatchError, ApplicationNotFoundError } from "./serve-errors.js";
export { CollectiveError } from "./collective-errors.js";
export { InvalidMetricError } from "./metric-errors.js";
export { metricsTargetsFile } from "./metrics-targets-file.js";
/** Injectable time (from @lux/protocol), for packages that may import only this one (the dashboard). */
export { type Clock, type TimerHandle, SystemClock, systemClock, FakeClock, sleep } from "@lux/protocol";
export { JobNotFoundError, JobExistsError, InvalidJobRequestError, JobNotFinishedError, JobApiError } from "./job-errors.js";
export {
  InvalidStateQueryError,
  type StateQueryPart,
  checkStateKind,
  checkSummaryKind,
  checkStateFilters,
  parseStateFilter,
} from "./state-query.js";
export { LogNotFoundError } from "./log-errors.js";
export {
  InvalidClusterConfigError,
  NodeProviderError,
  describeClusterConfigProblem,
  type ClusterConfigProblem,
} from "./autoscaler-errors.js";
export { AUTOSCALER_REQUEST_KEY, AUTOSCALER_STATUS_KEY, type AutoscalerRequest } from "./autoscaler-keys.js";
export { RotatingFile, type RotatingFileOptions, rotatedName } from "./rotating-file.js";
export {
  type OutputContext,
  OUTPUT_MARKER_PREFIX,
  NO_OUTPUT_CONTEXT_MARKER,
  outputMarker,
  isOutputMarker,
  parseOutputMarker,
} from "./output-markers.js";
export { type WireError, toWireError, fromWireError, ensureError } from "./wire-error.js";
export {
  type ConfigType,
  type ConfigEntry,
  type NumberConfigSpec,
  type StringConfigSpec,
  type BooleanConfigSpec,
  type DurationConfigSpec,
  defineConfig,
  configEnvVar,
  durationMs,
} from "./config-define.js";
export {
  type ConfigName,
  type ConfigValue,
  type ConfigValues,
  type SystemConfig,
  CONFIG_ENTRIES,
  CONFIG_GROUPS,
  config,
  setConfig,
  nonDefaultConfig,
  adoptClusterConfig,
  applyConfig,
  resetConfig,
  configGeneration,
  configSnapshot,
  defaultConfig,
  checkConfig,
  compileConfig,
  configToEnv,
  configEnv,
  nearestConfigName,
} from "./config.js";
export {
  type LogLevel,
  type LogSink,
  type Logger,
  createLogger,
  setLogSink,
  setLogLevel,
  useLogFile,
} from "./logger.js";
export {
  type JobId,
  type NodeId,
  type WorkerId,
  type ActorId,
  type TaskId,
  type ObjectId,
  ID_HEX_LENGTH,
  MAX_RETURN_INDEX,
  newJobId,
  newNodeId,
  newWorkerId,
  newActorId,
  newTaskId,
  newActorCallTaskId,
  isOwnActorCallTaskId,
  objectIdFor,
  returnIdsOf,
  newPutObjectId,
  isPutObjectId,
  taskIdOfObject,
  returnIndexOfObject,
  isId,
} from "./ids.js";
export { type Disposable, isDisposable, closeAll } from "./disposable.js";
export { wireErrorCodec, rpcPeerOptions } from "./peer.js";
export { type TlsFiles, tlsFilesFromConfig, tlsFilesOf, checkTlsFiles, tlsConfigEntries, loadTlsMaterial, isLoopbackHost, warnIfExposed, tlsClientOptions, type TlsMaterial } from "./tls.js";
export { TlsConfigError } from "./tls-errors.js";
export {
  parseFlags,
  READY_PREFIX,
  printReady,
  exitWithParent,
  publishAddress,
  readPublishedAddress,
  guardDaemonProcess,
  onFatalExit,
  daemonStop,
  FATAL_EXIT_CODE,
} from "./process.js";
export { CLUSTER_TOKEN_BYTES, newClusterToken, tokenFilePath, writeTokenFile, removeTokenFile, readTokenFile, tokenFileAddresses } from "./token-file.js";
export { runtimeEnvKey } from "./runtime-env-key.js";
export { controlServiceStateLost } from "./control-service.js";
export { lessReserved } from "./resource-sets.js";
export { bundleResources, resourcesInBundle, isBundleResource, plainResources, placementGroupRemoved } from "./bundle-resources.js";
export {
  type NodeLabels,
  type LabelSelector,
  BUILTIN_LABEL_PREFIX,
  NODE_ID_LABEL,
  ACCELERATOR_TYPE_LABEL,
  NODE_TYPE_LABEL,
  INSTANCE_ID_LABEL,
  labelKeyProblem,
  labelValueProblem,
  labelMatcher,
  labelsMatch,
  checkLabelSelector,
  checkNodeLabels,
} from "./label-selector.js";

/**
 * Every Lux tunable, declared once, grouped by area. docs/config.md lists them (a test
 * checks it against these declarations). A default is today's behaviour; the doc says what
 * a larger or smaller value trades.
 */
import { defineConfig } from "./config-define.js";

/** Connections and calls between Lux processes. */
export const RPC_ENTRIES = [
  defineConfig({
    name: "maxFrameBytes",
    type: "number",
    default: 2 ** 31 - 1,
    integer: true,
    min: 1024,
    doc: "Largest wire frame accepted from a peer; a bigger frame is a protocol error and drops the connection.",
  }),
  defineConfig({
    name: "rpcConnectTimeoutMs",
    type: "number",
    default: 10_000,
    integer: true,
    min: 1,
    doc: "One deadline for opening an RPC connection: the TCP or Unix-socket connect and the handshake together. A server also drops a client that has not finished its handshake within it.",
  }),
  defineConfig({
    name: "rpcTimeoutMs",
    type: "number",
    default: 10_000,
    integer: true,
    min: 1,
    doc: "Deadline of every RPC call that names no other: past it the call fails with RpcTimeoutError. Shorter notices a hung peer sooner; too short fails calls a loaded peer would have answered. Calls that wait on user work are bounded by the peer's liveness or long-poll instead (see docs/config.md).",
  }),
  defineConfig({
    name: "rpcLongPollMs",
    type: "number",
    default: 5000,
    integer: true,
    min: 1,
    doc: "How long a peer holds a call that waits for something not ready yet (an object's value from its owner, an actor becoming alive) before it answers \"still pending\" and the caller asks again. Each round has the deadline rpcLongPollMs + rpcTimeoutMs; shorter rounds cost more messages.",
  }),
  defineConfig({
    name: "rpcRegisterTimeoutMs",
    type: "number",
    default: 30_000,
    integer: true,
    min: 1,
    doc: "Deadline of registering with the control service after a reconnection (a node, a job) and of subscribing to node deaths: it may be busy restoring its tables after a restart.",
  }),
  defineConfig({
    name: "rpcBestEffortTimeoutMs",
    type: "number",
    default: 5000,
    integer: true,
    min: 1,
    doc: "Deadline of calls whose answer only improves a message or a report: how a worker ended, an actor's cause of death, each node's resources and pending demand (for lux.clusterResources() and lux status), a warning for a driver, whether an idle worker may stop. Past it the caller goes on without the answer.",
  }),
  defineConfig({
    name: "gcsReconnectWindowMs",
    type: "number",
    default: 60_000,
    integer: true,
    min: 0,
    doc: "How long raylets, workers and drivers try to reconnect (with backoff) to a control service they lost before giving up; also how long a restarted control service waits for the nodes and drivers it restored to come back before declaring them dead.",
  }),
  defineConfig({
    name: "rpcReconnectInitialDelayMs",
    type: "number",
    default: 100,
    integer: true,
    min: 1,
    doc: "First pause between attempts to reconnect to a lost control service; each failed attempt doubles it, up to rpcReconnectMaxDelayMs. Shorter reconnects sooner after a quick restart at the cost of more attempts.",
  }),
  defineConfig({
    name: "rpcReconnectMaxDelayMs",
    type: "number",
    default: 2000,
    integer: true,
    min: 1,
    doc: "Longest pause between attempts to reconnect to a lost control service. Longer sends fewer attempts while it is down; shorter notices its return sooner.",
  }),
] as const;

/** Submitting tasks from an owner, and running them in a worker. */
export const TASK_ENTRIES = [
  defineConfig({
    name: "workerLeaseIdleMs",
    type: "number",
    // Long enough to reuse a lease between back-to-back tasks, short enough not to keep
    // CPUs from other owners waiting for them.
    default: 20,
    integer: true,
    min: 0,
    doc: "How long an owner keeps a leased worker with no queued tasks before returning it to the raylet.",
  }),
  defineConfig({
    name: "maxTasksInFlightPerWorker",
    type: "number",
    default: 256,
    integer: true,
    min: 1,
    doc: "Tasks an owner pushes ahead to one leased worker (pipelining), so it runs them back to back without a round trip between them. A worker hands them back when the task before runs long or blocks; 1 turns pipelining off.",
  }),
  defineConfig({
    name: "pipelineRequeueAfterMs",
    type: "number",
    default: 20,
    integer: true,
    min: 0,
    doc: "A worker hands tasks pipelined behind a running one back to their owner once that task has run this long, so they can run elsewhere. Shorter spreads work sooner; longer keeps more short tasks on one worker.",
  }),
  defineConfig({
    name: "maxPendingLeaseRequests",
    type: "number",
    default: 16,
    integer: true,
    min: 1,
    doc: "Lease requests an owner keeps in flight per task shape (resources, strategy, runtime env). More leases workers faster for a burst of tasks; fewer sends fewer requests that end up cancelled.",
  }),
  defineConfig({
    name: "maxLeaseSpillbacks",
    type: "number",
    default: 20,
    integer: true,
    min: 0,
    doc: "Spillbacks one lease request follows (they chain only while the raylets' views disagree) before its task fails with LeaseFailedError.",
  }),
  defineConfig({
    name: "spillbackRetryMs",
    type: "number",
    default: 50,
    integer: true,
    min: 0,
    doc: "Pause before an owner asks its local raylet again when the node a lease request was spilled to cannot be reached.",
  }),
  defineConfig({
    name: "maxWorkerStartFailures",
    type: "number",
    default: 10,
    integer: true,
    min: 1,
    doc: "Lease requests of one task shape that may fail in a row (workers dying while they start) before the next task of that shape fails.",
  }),
  defineConfig({
    name: "runtimeEnvMaxBytes",
    type: "number",
    default: 100 * 1024 * 1024,
    integer: true,
    min: 1,
    doc: "Most bytes of files a runtimeEnv.workingDir may hold (after excludes); a bigger one fails with RuntimeEnvSetupError.",
  }),
] as const;

/** Objects: inline values, the shared-memory store, transfers between nodes, recovery. */
export const OBJECT_ENTRIES = [
  defineConfig({
    name: "inlineObjectMaxBytes",
    type: "number",
    default: 100 * 1024,
    integer: true,
    min: 0,
    doc: "Objects up to this size travel inline in task specs and replies and live in the owner's memory; larger ones go to the shared-memory object store.",
  }),
  defineConfig({
    name: "objectStorePressureIntervalMs",
    type: "number",
    default: 250,
    integer: true,
    min: 1,
    doc: "While creates wait for space in a full object store, how often the node's processes are asked to collect garbage (dropped refs then free their objects) and the store tries again to make room. Shorter frees space sooner at the cost of more collections.",
  }),
  defineConfig({
    name: "objectStoreFullTimeoutMs",
    type: "number",
    default: 10_000,
    integer: true,
    min: 0,
    doc: "How long creating an object may wait for the object store to free or spill space before ObjectStoreFullError.",
  }),
  defineConfig({
    name: "spillChunkBytes",
    type: "number",
    default: 8 * 1024 * 1024,
    integer: true,
    min: 4096,
    doc: "Size of each read and write that moves an object between the object store and its spill file. Larger chunks mean fewer system calls and a larger buffer per move.",
  }),
  defineConfig({
    name: "objectTransferChunkBytes",
    type: "number",
    default: 8 * 1024 * 1024,
    integer: true,
    min: 4096,
    doc: "Size of each chunk a raylet reads from another node's raylet when it pulls an object.",
  }),
  defineConfig({
    name: "objectTransferMaxBytesInFlight",
    type: "number",
    default: 64 * 1024 * 1024,
    integer: true,
    min: 4096,
    doc: "Most bytes of object chunks a raylet has requested from other nodes and not yet written, over all pulls.",
  }),
  defineConfig({
    name: "objectTransferChunksInFlightPerPull",
    type: "number",
    default: 4,
    integer: true,
    min: 1,
    doc: "Most chunks of one object a raylet requests at once while pulling it.",
  }),
  defineConfig({
    name: "objectTransferChunkTimeoutMs",
    type: "number",
    default: 60_000,
    integer: true,
    min: 1,
    doc: "Deadline of reading one chunk of an object from another node's raylet; past it the pull tries the next node that holds a copy (none left: the object is lost there).",
  }),
  defineConfig({
    name: "maxLineageBytes",
    type: "number",
    default: 64 * 1024 * 1024,
    integer: true,
    min: 0,
    doc: "Bytes of task specs (lineage) an owner keeps so it can re-run the tasks that made its stored objects when a node dies; beyond this the oldest lineage is dropped and those objects can no longer be rebuilt.",
  }),
  defineConfig({
    name: "lostObjectConfirmTimeoutMs",
    type: "number",
    default: 40_000,
    integer: true,
    min: 0,
    doc: "How long an owner told that no copy of an object could be read waits for the control service to declare the node of that copy dead before it answers that the object is not lost.",
  }),
  defineConfig({
    name: "maxObjectLostRetries",
    type: "number",
    default: 3,
    integer: true,
    min: 0,
    doc: "Times a reader that could read no copy of an object asks its owner to re-create it before the get fails with ObjectLostError.",
  }),
] as const;

/** The raylet: placing leases, its view of the cluster, its worker processes. */
export const NODE_ENTRIES = [
  defineConfig({
    name: "localBusyThreshold",
    type: "number",
    default: 0.5,
    min: 0,
    max: 1,
    doc: "Work with the DEFAULT strategy stays on the local node while the node's busiest requested resource is used less than this share; beyond it, it goes to the least-loaded node that fits. Higher keeps more work local; lower spreads it sooner.",
  }),
  defineConfig({
    name: "resourceReportIntervalMs",
    type: "number",
    default: 50,
    integer: true,
    min: 0,
    doc: "A raylet reports its free resources to the control service at most once per this period (at once after a quiet spell). Shorter keeps other nodes' views fresher at the cost of more messages to every raylet.",
  }),
  defineConfig({
    name: "spillbackReservationLapseMs",
    type: "number",
    default: 1000,
    integer: true,
    min: 0,
    doc: "Resources a raylet counts as taken on a node it spilled a lease to stay counted until that node reports, or this long if it does not (the request may never be granted there).",
  }),
  defineConfig({
    name: "followedSpillbackRespillMs",
    type: "number",
    default: 500,
    integer: true,
    min: 0,
    doc: "A lease request that followed a spillback stays queued where it landed for this long before it may move on to a node that the view shows free, so requests do not bounce between nodes on stale views.",
  }),
  defineConfig({
    name: "workerReapIntervalMs",
    type: "number",
    default: 1000,
    integer: true,
    min: 1,
    doc: "How often the raylet looks at idle workers to stop those kept longer than idleWorkerKeepMs beyond maxIdleWorkers. Shorter stops them closer to their deadline.",
  }),
  defineConfig({
    name: "daemonStopGraceMs",
    type: "number",
    default: 10_000,
    integer: true,
    min: 0,
    doc: "How long `lux stop` waits for each daemon to exit after SIGTERM before it kills it with SIGKILL.",
  }),
  defineConfig({
    name: "workerStartTimeoutMs",
    type: "number",
    default: 30_000,
    integer: true,
    min: 1,
    doc: "How long the raylet waits for a new worker process to register before giving up on it.",
  }),
  defineConfig({
    name: "idleWorkerKeepMs",
    type: "number",
    default: 60_000,
    integer: true,
    min: 0,
    doc: "How long an idle worker process stays in the pool before the raylet stops it.",
  }),
  defineConfig({
    name: "maxIdleWorkers",
    type: "number",
    default: 0,
    integer: true,
    min: 0,
    doc: "Most idle worker processes a raylet keeps per job; 0 means the node's number of CPUs.",
  }),
  defineConfig({
    name: "workerExitWaitMs",
    type: "number",
    default: 2000,
    integer: true,
    min: 0,
    doc: "How long a raylet asked how a worker ended waits for the exit of a worker whose connection closed but whose process has not exited yet.",
  }),
  defineConfig({
    name: "runtimeEnvPackageTimeoutMs",
    type: "number",
    default: 60_000,
    integer: true,
    min: 1,
    doc: "Deadline of moving a runtime env package (up to runtimeEnvMaxBytes) through the control service: a driver uploading it, a raylet fetching it.",
  }),
] as const;

/** The control service. */
export const CONTROL_SERVICE_ENTRIES = [
  defineConfig({
    name: "gcsHealthCheckPeriodMs",
    type: "number",
    default: 1000,
    integer: true,
    min: 1,
    doc: "How often the control service checks that each node is alive.",
  }),
  defineConfig({
    name: "nodeDeathTimeoutMs",
    type: "number",
    default: 30_000,
    integer: true,
    min: 1,
    doc: "A node whose raylet has not answered a health check for this long is declared dead (its connection may still look open: a hung or partitioned machine). Work running there then fails over: calls waiting on its workers end.",
  }),
  defineConfig({
    name: "actorRegistrationWaitMs",
    type: "number",
    default: 60_000,
    integer: true,
    min: 0,
    doc: "How long a lookup of an actor id the control service does not know waits for the creator's registration (a handle can reach another process first) before the actor counts as dead.",
  }),
  defineConfig({
    name: "redisConnectTimeoutMs",
    type: "number",
    default: 10_000,
    integer: true,
    min: 1,
    doc: "Deadline of the control service connecting to its Redis storage at start.",
  }),
] as const;

/** Processes: logs, session files, daemon start. */
export const PROCESS_ENTRIES = [
  defineConfig({
    name: "logLevel",
    type: "string",
    default: "info",
    choices: ["debug", "info", "warn", "error"],
    doc: "Lowest level of log lines written (debug, info, warn, error).",
  }),
  defineConfig({
    name: "sessionDirRoot",
    type: "string",
    default: "/tmp/lux",
    doc: "Directory under which each cluster session keeps its sockets, logs and spilled objects.",
  }),
  defineConfig({
    name: "daemonStartTimeoutMs",
    type: "number",
    default: 30_000,
    integer: true,
    min: 1,
    doc: "How long starting a control service or raylet (lux.init, lux start, LocalCluster) waits for it to serve before NodeStartError.",
  }),
  defineConfig({
    name: "gcsAddressWaitMs",
    type: "number",
    default: 60_000,
    integer: true,
    min: 1,
    doc: "How long the raylet of a private cluster, started alongside its control service, waits for the control service's address.",
  }),
] as const;

/** The areas of the registry, in the order docs/config.md lists them. */
export const CONFIG_GROUPS = [
  { title: "RPC", entries: RPC_ENTRIES },
  { title: "Tasks", entries: TASK_ENTRIES },
  { title: "Objects", entries: OBJECT_ENTRIES },
  { title: "Nodes (raylet)", entries: NODE_ENTRIES },
  { title: "Control service", entries: CONTROL_SERVICE_ENTRIES },
  { title: "Processes", entries: PROCESS_ENTRIES },
] as const;

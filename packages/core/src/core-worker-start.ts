import * as fs from "node:fs";
import type {
  Clock,
  ConnectOptions as RpcConnectOptions,
  CoreWorkerService,
  Dial,
  GcsService,
  JobInfo,
  PeerOptions,
  RayletService,
  RpcCaller,
  RpcConnection,
  RuntimeEnvSpec,
} from "@lux/protocol";
import { ReconnectingConnection, RpcServer, connectRpc, systemClock } from "@lux/protocol";
import { InitError, createLogger, rpcPeerOptions, tlsFilesFromConfig, type ConfigValues } from "@lux/common";
import { openArena } from "@lux/object-store";
import type { CoreWorkerHandlers } from "./core-worker-handlers.js";
import type { FunctionRegistry } from "./function-registry.js";
import { StoreIO } from "./store-io.js";
import { SyncObjectCreator } from "./store-sync.js";

const log = createLogger("core");

/** A driver (runs the user's program) or a worker (started by a raylet to run tasks and actors). */
export type CoreWorkerMode = "driver" | "worker";

export interface CoreWorkerOptions {
  mode: CoreWorkerMode;
  gcsAddress: string;
  /** Driver: the raylet to use; by default the first alive node's. */
  rayletAddress?: string;
  token: string;
  jobId: string;
  namespace: string;
  workerId: string;
  /** Workers: also listen on this Unix socket, for processes of the same node. */
  socketPath?: string;
  /** Listen address of this process's RPC server; default: the interface that reaches the control service. */
  listenAddress?: string;
  functions: FunctionRegistry;
  /** Driver: connections do not keep the process alive unless calls are pending. */
  weak: boolean;
  /** Driver only: Node flags, cwd and env for the job's workers. */
  job?: { execArgv: string[]; cwd: string; env: Record<string, string>; entryUrl: string | undefined; logToDriver?: false };
  /** A driver: have its raylet start the job's workers once the job is registered (config workerPrestartLimit). */
  prestartWorkers?: boolean;
  /** Worker: the runtime env it runs in, inherited by the tasks and actors it submits. */
  runtimeEnv?: RuntimeEnvSpec | undefined;
  /** How outbound connections reach their peers (default: TCP or Unix sockets). */
  dial?: Dial;
  /** Times leases, retries, deadlines and timeouts (default: the system clock). */
  clock?: Clock;
  /** The tunables its parts are built with; default: this process's config (configSnapshot()). */
  config?: ConfigValues;
}

/** Options for the connections a core worker opens: its handlers answer the other side's calls. */
export type ConnectOptions = RpcConnectOptions<CoreWorkerService> & { handlers: CoreWorkerHandlers; weak: boolean };

/** The clock a core worker runs on. */
export function clockOf(options: CoreWorkerOptions): Clock {
  return options.clock ?? systemClock;
}

/** The options of every connection the core worker opens or accepts: the cluster's, its dial and its clock. */
export function peerOptionsOf(options: CoreWorkerOptions): PeerOptions {
  return {
    ...rpcPeerOptions(options.token, log),
    ...(options.dial !== undefined ? { dial: options.dial } : {}),
    clock: clockOf(options),
  };
}

/** The control service, reconnected to for up to gcsReconnectWindowMs when lost (see ClusterWatcher). */
export function connectControlService(
  options: CoreWorkerOptions,
  connect: ConnectOptions,
  config: Pick<ConfigValues, "gcsReconnectWindowMs" | "rpcReconnectInitialDelayMs" | "rpcReconnectMaxDelayMs">,
): Promise<ReconnectingConnection<GcsService, CoreWorkerService>> {
  const windowMs = config.gcsReconnectWindowMs;
  return ReconnectingConnection.open<GcsService, CoreWorkerService>({
    connect: () => connectRpc<GcsService, CoreWorkerService>(options.gcsAddress, connect),
    windowMs,
    initialDelayMs: config.rpcReconnectInitialDelayMs,
    maxDelayMs: config.rpcReconnectMaxDelayMs,
    weak: options.weak,
    clock: clockOf(options),
    onDisconnect: () =>
      log.warn(`lost the control service at ${options.gcsAddress}; reconnecting for up to ${windowMs} ms (running tasks go on; calls that need it wait)`),
  });
}

/**
 * The core worker's RPC servers: TCP where the cluster can reach it (by default on the
 * interface that reaches the control service), and for workers a Unix socket too.
 */
export async function listen(
  options: CoreWorkerOptions,
  peerOptions: PeerOptions,
  handlers: CoreWorkerHandlers,
  gcs: ReconnectingConnection<GcsService, CoreWorkerService>,
): Promise<{ server: RpcServer<CoreWorkerService>; socketServer: RpcServer<CoreWorkerService> | undefined }> {
  const listenAddress = options.listenAddress ?? `${gcs.connection?.transport.localHost ?? "127.0.0.1"}:0`;
  const server = await RpcServer.listen<CoreWorkerService>({ ...peerOptions, address: listenAddress, handlers });
  if (options.weak) server.setWeak();
  const socketServer = options.socketPath === undefined ? undefined : await listenUnix(options.socketPath, peerOptions, handlers);
  return { server, socketServer };
}

/** The raylet to use: the one given, else the first alive node's. */
export async function connectRaylet(
  options: CoreWorkerOptions,
  connect: ConnectOptions,
  gcs: RpcCaller<GcsService>,
): Promise<{ raylet: RpcConnection<RayletService, CoreWorkerService>; rayletAddress: string }> {
  const rayletAddress = options.rayletAddress ?? (await localRayletAddress(gcs));
  const raylet = await connectRpc<RayletService, CoreWorkerService>(rayletAddress, connect);
  return { raylet, rayletAddress };
}

/** Maps the node's shared-memory store (its file and size come from the raylet). */
export async function openStore(
  raylet: RpcConnection<RayletService, CoreWorkerService>,
  rayletAddress: string,
  token: string,
  cfg: ConfigValues,
): Promise<StoreIO> {
  const info = await raylet.call("getStoreInfo", {});
  return new StoreIO({ raylet, arena: openArena(info.path, info.capacity), creator: new SyncObjectCreator(rayletAddress, token, tlsFilesFromConfig()), config: cfg });
}

/**
 * Registers with the raylet (a worker: from then on it may be leased and pushed tasks; a
 * driver: as a client), and a driver's job with the control service.
 */
export async function register(
  options: CoreWorkerOptions,
  raylet: RpcConnection<RayletService, CoreWorkerService>,
  gcs: RpcCaller<GcsService>,
  address: string,
  socketServer: RpcServer<CoreWorkerService> | undefined,
): Promise<{ nodeId: string; nodeLabels: Record<string, string>; jobInfo: JobInfo | undefined }> {
  if (options.mode === "worker") {
    const { nodeId, labels } = await raylet.call("registerWorker", {
      workerId: options.workerId,
      address,
      ...(socketServer !== undefined ? { socketPath: socketServer.address } : {}),
      pid: process.pid,
    });
    return { nodeId, nodeLabels: labels, jobInfo: undefined };
  }
  const { nodeId, labels } = await raylet.call("registerClient", { address, workerId: options.workerId, pid: process.pid, jobId: options.jobId });
  const job = options.job ?? { execArgv: [], cwd: process.cwd(), env: {}, entryUrl: undefined };
  const jobInfo: JobInfo = { jobId: options.jobId, namespace: options.namespace, driverAddress: address, ...job };
  await gcs.call("registerJob", jobInfo);
  // Workers keyed by a job-wide runtime env cannot be started before the env is uploaded.
  if (options.prestartWorkers === true) raylet.notify("prestartWorkers", { jobId: options.jobId });
  return { nodeId, nodeLabels: labels, jobInfo };
}

async function localRayletAddress(gcs: RpcCaller<GcsService>): Promise<string> {
  const nodes = await gcs.call("getNodes", {});
  const node = nodes.find((n) => n.alive);
  if (node === undefined) throw new InitError({ reason: "the cluster has no alive node to run work on; start one with `lux start`" });
  return node.address;
}

/** A second listener on a Unix socket (same-node callers), replacing a stale file of a dead process. */
async function listenUnix(socketPath: string, peerOptions: PeerOptions, handlers: CoreWorkerHandlers): Promise<RpcServer<CoreWorkerService> | undefined> {
  try {
    fs.rmSync(socketPath, { force: true });
    return await RpcServer.listen<CoreWorkerService>({ ...peerOptions, address: socketPath, handlers });
  } catch (e) {
    log.warn(`not listening on ${socketPath} (${(e as Error).message}); same-node callers use TCP`);
    return undefined;
  }
}

import * as fs from "node:fs";
import * as os from "node:os";
import { pathToFileURL } from "node:url";
import {
  ActorNotFoundError,
  ClusterLostError,
  ConnectFailedError,
  ConnectionClosedError,
  InitError,
  InvalidOptionError,
  LuxError,
  NotInActorError,
  NotInitializedError,
  adoptClusterConfig,
  applyConfig,
  checkConfig,
  checkNodeLabels,
  config,
  createLogger,
  type SystemConfig,
  newJobId,
  newWorkerId,
  readTokenFile,
  rpcPeerOptions,
} from "@lux/common";
import { actorIdOf, makeActorHandle, setCoreAccessor } from "./actor-handle.js";
import { CoreWorker } from "./core-worker.js";
import { entryUrl, workerExecArgv } from "./driver-process.js";
import { FunctionRegistry } from "./function-registry.js";
import { clusterLauncher, workerMainPath, type PrivateClusterHandle } from "./launcher.js";
import { ObjectRef } from "./object-ref.js";
import { ObjectRefGenerator } from "./object-ref-generator.js";
import { customResources, quantity } from "./options.js";
import { checkRuntimeEnv, packWorkingDir, type RuntimeEnv } from "./runtime-env.js";
import { RpcTimeoutError, connectRpc, parseAddress, systemClock, type GcsService, type RuntimeEnvSpec } from "@lux/protocol";
import type { ActorHandle } from "./types.js";
import { setClassLookup } from "./serialization/index.js";
import { startPrinting } from "./worker-output-printer.js";
import "./wire-types.js";

const log = createLogger("lux");

let luxApi: unknown;
/** @internal the remote functions and actor classes this process defined (see remote.ts) */
export const functions = new FunctionRegistry(entryUrl(), () => luxApi);
// Classes of instances that cross the wire are found in modules as functions are.
setClassLookup({
  toWire: (url) => functions.unmapUrl(url),
  fromWire: (url) => functions.mapUrl(url),
  functionsOf: (url) => functions.functionsOf(url),
  isEntryWithoutMain: (url) => functions.isEntryWithoutMain(url),
});
let core: CoreWorker | undefined;
let cluster: PrivateClusterHandle | undefined;
let starting: Promise<InitResult> | undefined;
let workerMode = false;
let namespace = "";
/** Puts back this process's config as it was before init() applied its systemConfig. */
let undoSystemConfig: (() => void) | undefined;

/** @internal this process's core worker, if connected (for `@lux/core/internal`) */
export function currentCoreWorker(): CoreWorker | undefined {
  return core;
}

/** @internal the namespace this process's named actors are created and looked up in */
export function currentNamespace(): string {
  return namespace;
}

/** @internal the public API object given to by-value code as `lux` */
export function setLuxApi(api: unknown): void {
  luxApi = api;
}

/** @internal this process's core worker; NotInitializedError (naming `operation`) before init() */
export function requireCore(operation: string): CoreWorker {
  if (core === undefined) throw new NotInitializedError({ operation });
  return core;
}

/**
 * @internal this process's core worker, to submit work or read and write objects: as
 * requireCore, and ClusterLostError once its raylet or control service is gone for good.
 */
export function requireConnected(operation: string): CoreWorker {
  const c = core;
  if (c === undefined) throw new NotInitializedError({ operation });
  const lost = c.lostError;
  if (lost !== undefined) throw new ClusterLostError({ component: lost.component, address: lost.address, cause: lost });
  return c;
}
setCoreAccessor(requireConnected);

/**
 * @internal a call to the control service found it gone for good (or it did not answer in
 * time): the API fails as pending work does, with ClusterLostError, never a connection error.
 */
export function clusterLost(c: CoreWorker): (error: unknown) => never {
  return (error) => {
    const address = c.options.gcsAddress;
    if (error instanceof ConnectionClosedError) throw new ClusterLostError({ component: "control service", address, cause: error });
    if (error instanceof RpcTimeoutError) {
      throw new ClusterLostError({ component: "control service", address, reason: `it did not answer ${error.method} within ${error.timeoutMs} ms`, cause: error });
    }
    throw error;
  };
}

/**
 * What a failed connect of `lux.init()` tells the user: a peer that closed the connection
 * or never answered the handshake is not a Lux process we can join (ConnectFailedError).
 */
function connectFailed(error: unknown): unknown {
  if (error instanceof ConnectionClosedError) {
    const reason = "the connection closed before the Lux handshake completed: is a Lux control service of this version listening there?";
    return new ConnectFailedError({ address: error.peer, reason, cause: error });
  }
  if (error instanceof RpcTimeoutError) {
    return new ConnectFailedError({ address: error.peer, reason: `no answer to ${error.method} within ${error.timeoutMs} ms: is a Lux process listening there?`, cause: error });
  }
  return error;
}

/** Options of `lux.init`. */
export interface InitOptions {
  /**
   * Address of a running cluster ("HOST:PORT"), or "auto" for the cluster started by `lux start`
   * on this machine. Default: `LUX_ADDRESS`, else a private local cluster.
   */
  address?: string;
  /** CPUs of the private cluster's node. Default: the number of cores. */
  numCpus?: number;
  /**
   * GPUs of the private cluster's node (may be fake: only ids are assigned). Default: the
   * GPUs `nvidia-smi` finds (0 without it; see docs/labels-and-gpus.md).
   */
  numGpus?: number;
  /** Custom resources of the private cluster's node. */
  resources?: Record<string, number>;
  /** Labels of the private cluster's node, for `labelSelector` (e.g. `{ zone: "a" }`). */
  labels?: Record<string, string>;
  /** Bytes of the node's object store. Default: 30% of RAM. */
  objectStoreMemory?: number;
  /** Namespace for named actors. Default: a namespace of this job's own. */
  namespace?: string;
  /**
   * The job's runtime env: `workingDir` is packed now and shipped to every node that runs
   * its tasks and actors; `envVars` are set in their workers. See docs/runtime-env.md.
   */
  runtimeEnv?: RuntimeEnv;
  /**
   * Config entries (see docs/config.md) for the private cluster's control service, raylet
   * and workers, and for this process, e.g. `{ workerLeaseIdleMs: 50 }`: over the `LUX_*`
   * environment variables, until `shutdown()`. An unknown entry fails with
   * InvalidConfigError naming the nearest one. Not with `address` (a running cluster keeps
   * the config it was started with: `lux start --system-config`).
   */
  systemConfig?: SystemConfig;
  /**
   * Print what this job's workers write (console.log, stderr) here, each line prefixed
   * `(fn pid=… node=…)` or `(ClassName pid=…)`, stderr to stderr (default true). false: it
   * only goes to the workers' log files (`lux logs`).
   */
  logToDriver?: boolean;
}

export interface InitResult {
  /** Address of the cluster's control service. */
  address: string;
}

const INIT_KEYS = new Set(["address", "numCpus", "numGpus", "resources", "labels", "objectStoreMemory", "namespace", "runtimeEnv", "systemConfig", "logToDriver"]);

/**
 * Connects this process to a cluster: the one at `address` (or `LUX_ADDRESS`), or a
 * private local cluster started now and stopped by `shutdown()` or when this process exits.
 */
export async function init(options: InitOptions = {}): Promise<InitResult> {
  if (workerMode) return { address: requireCore("init").options.gcsAddress };
  if (core !== undefined) {
    throw new InitError({ reason: "lux.init() was already called in this process; call lux.shutdown() first to connect again" });
  }
  if (starting !== undefined) return starting;
  starting = doInit(options).finally(() => {
    starting = undefined;
  });
  return starting;
}

async function doInit(options: InitOptions): Promise<InitResult> {
  const { numCpus, numGpus } = checkInitOptions(options);
  const address = clusterAddress(options);
  // Validated before anything starts; this process runs with it too, until shutdown().
  const systemConfig = options.systemConfig === undefined ? undefined : checkConfig(options.systemConfig);
  if (systemConfig !== undefined && address !== undefined && address !== "") {
    throw new InvalidOptionError({
      option: "systemConfig",
      expected: "no systemConfig when connecting to a running cluster (it has the config it was started with, `lux start --system-config`, and this driver takes it)",
    });
  }
  undoSystemConfig = systemConfig === undefined ? undefined : applyConfig(systemConfig);
  try {
    return await connectDriver(options, address, { numCpus, numGpus, systemConfig });
  } catch (e) {
    undoSystemConfig?.();
    undoSystemConfig = undefined;
    throw e;
  }
}

async function connectDriver(
  options: InitOptions,
  address: string | undefined,
  node: { numCpus: number; numGpus: number | undefined; systemConfig: SystemConfig | undefined },
): Promise<InitResult> {
  const { numCpus, numGpus, systemConfig } = node;
  // Packed before any cluster starts: a workingDir over the size cap fails init at once.
  const runtimeEnv = checkRuntimeEnv(options.runtimeEnv);
  const packed = runtimeEnv?.workingDir !== undefined ? packWorkingDir({ ...runtimeEnv, workingDir: runtimeEnv.workingDir }, config("runtimeEnvMaxBytes")) : undefined;
  const jobId = newJobId();
  namespace = options.namespace ?? `anonymous-${jobId}`;
  const logToDriver = options.logToDriver !== false;
  const job = { execArgv: workerExecArgv(), cwd: process.cwd(), env: {}, entryUrl: functions.entryOptedIn ? entryUrl() : undefined, ...(logToDriver ? {} : { logToDriver: false as const }) };
  let target: { gcsAddress: string; rayletAddress?: string; token: string };
  if (address !== undefined && address !== "") {
    target = existingCluster(address, options);
    // The cluster's config is this driver's too (its own environment's entries aside), as it
    // is its workers': one cluster, one set of tunables (task events, timeouts, limits).
    undoSystemConfig = adoptClusterConfig(await clusterConfig(target.gcsAddress, target.token).catch((e: unknown) => Promise.reject(connectFailed(e))));
  } else {
    cluster = await clusterLauncher("start a private cluster").startPrivateCluster({
      workerMain: workerMainPath,
      numCpus,
      numGpus,
      resources: options.resources ?? {},
      labels: checkNodeLabels(options.labels, "labels"),
      objectStoreMemory: options.objectStoreMemory,
      // The first worker boots while the cluster and this driver connect (not with a job-wide
      // runtime env: those workers are keyed by the env, known once it is uploaded).
      ...(runtimeEnv === undefined && numCpus >= 1 ? { prestartJob: { jobId, namespace, execArgv: job.execArgv, cwd: job.cwd, env: job.env } } : {}),
      ...(systemConfig !== undefined ? { config: systemConfig } : {}),
    });
    target = { gcsAddress: cluster.gcsAddress, rayletAddress: cluster.rayletAddress, token: cluster.token };
  }
  const { gcsAddress, rayletAddress, token } = target;
  // Before the job registers: its workers' output may come at once.
  const printing = logToDriver ? startPrinting({ dedup: config("dedupLogs"), windowMs: config("logDedupWindowMs"), clock: systemClock }) : undefined;
  try {
    core = await CoreWorker.start({
      mode: "driver",
      gcsAddress,
      ...(rayletAddress !== undefined ? { rayletAddress } : {}),
      token,
      jobId,
      namespace,
      workerId: newWorkerId(),
      functions,
      weak: true,
      job,
      prestartWorkers: runtimeEnv === undefined,
    });
    if (runtimeEnv !== undefined) await core.runtimeEnvs.setJobEnv(runtimeEnv, packed);
    if (printing !== undefined) core.onClose(drainOutput(core, jobId, printing));
  } catch (e) {
    printing?.stop();
    await core?.close();
    core = undefined;
    await cluster?.stop();
    cluster = undefined;
    throw connectFailed(e);
  }
  return { address: gcsAddress };
}

/** At shutdown: the job's last output, from the raylets that hold it, before the connections close. */
function drainOutput(c: CoreWorker, jobId: string, printing: ReturnType<typeof startPrinting>): () => Promise<void> {
  return async () => {
    await printing.printer.drain(jobId, c.raylet, c.config.rpcBestEffortTimeoutMs);
    printing.stop();
  };
}

/** Refuses unknown keys and bad values before anything starts; the node's CPUs and GPUs for a private cluster. */
function checkInitOptions(options: InitOptions): { numCpus: number; numGpus: number | undefined } {
  if (options === null || typeof options !== "object" || Array.isArray(options)) {
    throw new TypeError(`lux.init() takes an options object, got ${describe(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!INIT_KEYS.has(key)) throw new InvalidOptionError({ option: key, expected: `one of the init options: ${[...INIT_KEYS].join(", ")}` });
  }
  const numCpus = quantity("numCpus", options.numCpus) ?? os.availableParallelism();
  const numGpus = quantity("numGpus", options.numGpus);
  checkStoreMemory(options.objectStoreMemory);
  checkNodeLabels(options.labels, "labels");
  customResources(options.resources, NODE_RESERVED);
  if (options.namespace !== undefined && (typeof options.namespace !== "string" || options.namespace.trim() === "")) {
    throw new InvalidOptionError({ option: "namespace", expected: "a non-empty string", received: options.namespace });
  }
  if (options.logToDriver !== undefined && typeof options.logToDriver !== "boolean") {
    throw new InvalidOptionError({ option: "logToDriver", expected: "true or false", received: options.logToDriver });
  }
  if (options.address !== undefined && typeof options.address !== "string") {
    throw new InvalidOptionError({ option: "address", expected: ADDRESS_FORMS, received: options.address });
  }
  return { numCpus, numGpus };
}

/** Node resources with options of their own. */
const NODE_RESERVED = new Set(["CPU", "GPU"]);
const ADDRESS_FORMS = '"HOST:PORT" of a control service (e.g. "127.0.0.1:6380"), "auto", or an absolute Unix socket path';

/** A whole number of bytes > 0, at most what /dev/shm (where the store lives) can hold now. */
function checkStoreMemory(v: unknown): void {
  if (v === undefined) return;
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v <= 0) {
    throw new InvalidOptionError({ option: "objectStoreMemory", expected: "a whole number of bytes > 0", received: v });
  }
  const free = shmFreeBytes();
  if (free !== undefined && v > free) {
    throw new InvalidOptionError({
      option: "objectStoreMemory",
      expected: `at most ${free} bytes, what /dev/shm can hold now (the object store lives there; enlarge it or ask for less)`,
      received: v,
    });
  }
}

function shmFreeBytes(): number | undefined {
  try {
    const st = fs.statfsSync("/dev/shm");
    return st.bavail * st.bsize;
  } catch {
    return undefined; // no /dev/shm: the store is a file elsewhere
  }
}

/** A cluster address must be one we can dial (checked before anything starts). */
function checkAddress(address: string, from: string): void {
  let port = 1;
  try {
    const parsed = parseAddress(address);
    if ("port" in parsed) port = parsed.port;
  } catch {
    port = 0;
  }
  if (port <= 0) throw new InvalidOptionError({ option: from, expected: ADDRESS_FORMS, received: address });
}

/** The cluster to connect to (`address`, else LUX_ADDRESS; "auto" finds one on this machine); none: start a private one. */
function clusterAddress(options: InitOptions): string | undefined {
  const address = options.address ?? process.env["LUX_ADDRESS"];
  if (address !== "auto") {
    if (address !== undefined && address !== "") checkAddress(address, options.address !== undefined ? "address" : "address (from LUX_ADDRESS)");
    return address;
  }
  const found = clusterLauncher('find the cluster `lux start` started (address "auto")').autoAddress();
  if (found === undefined) {
    throw new InitError({ reason: 'address "auto": no cluster started by `lux start` runs on this machine; start one with `lux start --head`' });
  }
  return found;
}

/** An existing cluster: its token (LUX_TOKEN, else the token file `lux start` wrote); node resources are refused. */
/** The config entries the cluster at `gcsAddress` was started with (those not at their defaults). */
async function clusterConfig(gcsAddress: string, token: string): Promise<Record<string, unknown>> {
  const gcs = await connectRpc<GcsService>(gcsAddress, rpcPeerOptions(token));
  try {
    return (await gcs.call("getControlServiceInfo", {})).config;
  } finally {
    gcs.close();
  }
}

function existingCluster(address: string, options: InitOptions): { gcsAddress: string; token: string } {
  for (const k of ["numCpus", "numGpus", "resources", "labels", "objectStoreMemory"] as const) {
    if (options[k] !== undefined) {
      throw new InvalidOptionError({ option: k, expected: "no node resources when connecting to an existing cluster (set them with `lux start`)" });
    }
  }
  const token = process.env["LUX_TOKEN"] || readTokenFile(address);
  if (token === undefined) {
    throw new InitError({ reason: `no token for the cluster at ${address}: set LUX_TOKEN to the token printed by \`lux start\`` });
  }
  return { gcsAddress: address, token };
}

/** @internal started by the worker process entry */
export async function startWorker(env: NodeJS.ProcessEnv): Promise<CoreWorker> {
  workerMode = true;
  const need = (k: string): string => {
    const v = env[k];
    if (v === undefined) throw new LuxError(`worker started without ${k}`);
    return v;
  };
  namespace = env["LUX_NAMESPACE"] ?? "";
  const runtimeEnv = workerRuntimeEnv(env);
  core = await CoreWorker.start({
    mode: "worker",
    gcsAddress: need("LUX_GCS_ADDRESS"),
    rayletAddress: need("LUX_RAYLET_ADDRESS"),
    token: need("LUX_TOKEN"),
    jobId: need("LUX_JOB_ID"),
    namespace,
    workerId: need("LUX_WORKER_ID"),
    // Workers listen on their node's address (where their raylet listens).
    listenAddress: `${hostOf(need("LUX_RAYLET_ADDRESS"))}:0`,
    ...(env["LUX_SOCKET_DIR"] !== undefined ? { socketPath: `${env["LUX_SOCKET_DIR"]}/w${process.pid}.sock` } : {}),
    functions,
    weak: false,
    runtimeEnv,
  });
  return core;
}

/**
 * A worker's runtime env (LUX_RUNTIME_ENV, set by the raylet), inherited by what it submits;
 * with a workingDir, module URLs under the driver's copy map into this node's (LUX_RUNTIME_ENV_DIR).
 */
function workerRuntimeEnv(env: NodeJS.ProcessEnv): RuntimeEnvSpec | undefined {
  const text = env["LUX_RUNTIME_ENV"];
  if (text === undefined || text === "") return undefined;
  const spec = JSON.parse(text) as RuntimeEnvSpec;
  const dir = env["LUX_RUNTIME_ENV_DIR"];
  if (spec.workingDirUrl !== undefined && dir !== undefined && dir !== "") {
    functions.mapModules(spec.workingDirUrl, pathToFileURL(dir).href.replace(/\/?$/, "/"));
  }
  return spec;
}

/** Whether `init()` has connected this process to a cluster. */
export function isInitialized(): boolean {
  return core !== undefined;
}

/** Disconnects; a private cluster and every process it started end. `init()` may be called again. */
export async function shutdown(): Promise<void> {
  if (workerMode) return;
  await starting?.catch(() => undefined);
  const c = core;
  const cl = cluster;
  core = undefined;
  cluster = undefined;
  await c?.close();
  await cl?.stop();
  undoSystemConfig?.();
  undoSystemConfig = undefined;
}

/**
 * Runs the program's main code in the driver only. Workers import an entry script
 * that uses `lux.main` to find its remote definitions, without running `body`.
 * Shuts Lux down when `body` settles.
 */
export function main(body: () => Promise<unknown> | unknown): void {
  if (workerMode) return;
  functions.noteMainCalled();
  void (async () => {
    try {
      await functions.startMainBody(body);
    } catch (e) {
      process.exitCode = 1;
      console.error(e);
    } finally {
      await shutdown();
    }
  })();
}

/** The handle of a named actor; rejects with ActorNotFoundError if there is none. */
export async function getActor<T = unknown>(name: string, options: { namespace?: string } = {}): Promise<ActorHandle<T>> {
  if (typeof name !== "string") throw new TypeError(`lux.getActor() takes an actor's name (a string), got ${describe(name)}`);
  const c = requireCore("lux.getActor");
  const ns = options.namespace ?? namespace;
  // Creating a named actor returns at once; find one this process just created.
  await c.namedActorRegistered(name, ns);
  const info = await c.gcs.call("getNamedActor", { name, namespace: ns }).catch(clusterLost(c));
  if (info.state === "DEAD") throw new ActorNotFoundError({ name, namespace: ns });
  const limits = { concurrencyGroups: info.concurrencyGroups, maxPendingCalls: info.maxPendingCalls };
  return makeActorHandle(info.actorId, info.className, undefined, info.methods, limits) as ActorHandle<T>;
}

/**
 * Kills an actor; later calls reject with ActorDiedError. With `noRestart: false` an actor
 * that has restarts left (`maxRestarts`) is restarted instead: its constructor runs again in a
 * new process, and calls made meanwhile wait for it.
 */
export async function kill(handle: unknown, options: { noRestart?: boolean } = {}): Promise<void> {
  const actorId = actorIdOf(handle);
  if (actorId === undefined) throw new TypeError(`lux.kill() takes an actor handle, got ${describe(handle)}`);
  const c = requireCore("lux.kill");
  await c.killActor(actorId, options.noRestart ?? true).catch(clusterLost(c));
}

/**
 * Ends the current actor gracefully, from inside one of its methods: the call that invokes it
 * completes (its result is returned), then the actor's process exits. The actor is not
 * restarted, whatever its `maxRestarts`; later calls reject with ActorDiedError saying it
 * exited, and its name is free again.
 *
 * @example
 * ```ts
 * class Job {
 *   finish() { lux.exitActor(); return "done"; }
 * }
 * ```
 */
export function exitActor(): void {
  if (!workerMode) throw new NotInActorError({ operation: "lux.exitActor" });
  requireCore("lux.exitActor").exitActor();
}

/**
 * Cancels the task or actor call that returns `ref` (any ref: the process that submitted the
 * task does it), or the task of a generator (the next ref it gives rejects with TaskCancelledError). Its `get` rejects with TaskCancelledError at once and it is never retried. Not
 * started yet: it never runs. Running: it is not interrupted, but `getRuntimeContext().signal`
 * aborts in it; a task that ignores the signal (synchronous code) keeps its worker and
 * resources until it returns. `force` kills the worker running a task instead (an actor call
 * with `force` throws InvalidOptionError: use `kill`). `recursive` (default true) also cancels
 * the tasks it submitted. A finished task: nothing happens.
 */
export async function cancel(ref: ObjectRef | ObjectRefGenerator<unknown>, options: { force?: boolean; recursive?: boolean } = {}): Promise<void> {
  const target = ref instanceof ObjectRefGenerator ? ref.completed() : ref;
  if (!(target instanceof ObjectRef)) throw new TypeError(`lux.cancel() takes an ObjectRef or an ObjectRefGenerator, got ${describe(ref)}`);
  await requireCore("lux.cancel").cancel(target, options.force ?? false, options.recursive ?? true);
}

/** @internal what a wrong argument is, for error messages */
export function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  return typeof v === "object" ? `an object (${(v as object).constructor?.name ?? "Object"})` : typeof v;
}

function hostOf(address: string): string {
  return address.slice(0, address.lastIndexOf(":")).replace(/^\[|\]$/g, "");
}

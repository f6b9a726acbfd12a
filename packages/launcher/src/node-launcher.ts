/**
 * Starts Lux daemons (the control service, raylets) as child processes and hands back a
 * handle to each. Used by the private cluster of `lux.init()`, by `LocalCluster` and by
 * the `lux start` command (detached: the daemon outlives the process that started it).
 * The daemons' scripts are found through the declared @lux/gcs and @lux/raylet packages;
 * the workers' script is the caller's (core's), so this package does not depend on core.
 */
import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { LuxError, NodeStartError, READY_PREFIX, config, configEnv, configToEnv, type SystemConfig } from "@lux/common";
import { removeArenasOf } from "@lux/object-store";
import type { JobInfo } from "@lux/protocol";

export type DaemonKind = "gcs" | "raylet" | "dashboard" | "autoscaler";

/** Where raylets keep their object store files (see packages/raylet/src/main.ts). */
const SHM_DIR = "/dev/shm";

export interface DaemonExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A running daemon process. */
export interface DaemonHandle {
  readonly kind: DaemonKind;
  readonly pid: number;
  /** Where it serves ("HOST:PORT"). */
  readonly address: string;
  /** The raylet's node id. */
  readonly nodeId: string | undefined;
  /** The script the process runs (to recognize the pid later). */
  readonly main: string;
  /** Settles when the process exits (only while the starting process lives, for detached daemons). */
  readonly exited: Promise<DaemonExit>;
  /** Whether the process has exited (as seen by this process). */
  readonly hasExited: boolean;
  kill(signal?: NodeJS.Signals): void;
  /** Resolves once the process exited, keeping this process alive meanwhile (`exited` does not). */
  waitExit(): Promise<DaemonExit>;
  /** SIGTERM, then SIGKILL if it is still running after `deadlineMs`; resolves once it exited. */
  stop(deadlineMs?: number): Promise<void>;
}

export interface CommonDaemonOptions {
  /** The cluster token (LUX_TOKEN of the daemon). */
  token: string;
  /** Where to listen, "HOST:PORT" (default 127.0.0.1:0, or NODE_IP:0 for a raylet with nodeIpAddress). */
  address?: string;
  /** Log file of the process. */
  logFile?: string;
  /** Session folder (sockets, spill files). */
  sessionDir?: string;
  /** Exit when this process exits (private clusters and test clusters). */
  exitWithParent?: boolean;
  /**
   * Outlive this process: own process group, output appended to `logFile` (required),
   * nothing kept open in this process.
   */
  detached?: boolean;
  /** Extra environment for the daemon. */
  env?: Record<string, string>;
  /**
   * Config entries for the daemon (and so for the workers a raylet starts, which inherit
   * them), over this process's own: validated here (InvalidConfigError names the nearest
   * entry to an unknown key) and passed as the entries' LUX_* variables.
   */
  config?: SystemConfig;
  /** How long to wait for the daemon to serve (default: config daemonStartTimeoutMs). */
  readyTimeoutMs?: number;
  /**
   * A command the daemon runs under, e.g. `["ip", "netns", "exec", "ns1"]` to start a node
   * in a network namespace (the wrapper must exec the daemon, keeping its pid).
   */
  wrapper?: readonly string[];
}

export interface ControlServiceOptions extends CommonDaemonOptions {
  /** Publish the token for drivers on this machine while it runs (see token-file.ts). */
  writeTokenFile?: boolean;
  /** Table storage: "memory" (default) or "redis://HOST:PORT". */
  storage?: string;
}

export interface RayletOptions extends CommonDaemonOptions {
  /**
   * The control service's address, or a file that will hold it: the raylet then boots
   * (imports, object store) while the control service starts, and reads the file when it
   * appears (see `publishAddress`).
   */
  gcsAddress: string | { file: string };
  /** The script the raylet's workers run (`workerMainPath` of `@lux/core/internal`). */
  workerMain: string;
  /** CPU, GPU, memory and custom resources of the node; without GPU, the raylet looks for GPUs with nvidia-smi. */
  resources: Record<string, number>;
  /** The node's labels (keys outside `lux.io/`). */
  labels?: Record<string, string>;
  /** Bytes of the node's object store (default: the raylet's own). */
  objectStoreMemory?: number;
  /**
   * The node's memory monitor counts the node's own processes (the raylet and its workers)
   * against this many bytes instead of the machine's memory (for tests).
   */
  memoryCapacity?: number;
  /** Folder in which the raylet makes its spill folder `spill-<pid>` (default: the session folder). */
  spillDir?: string;
  /** The node's IP address: the raylet binds there. */
  nodeIpAddress?: string;
  /** The autoscaler's id of this node (its provider's), shown as the label lux.io/instance-id. */
  instanceId?: string;
  /** The node type (cluster YAML) of a node the autoscaler started: the label lux.io/node-type. */
  nodeType?: string;
  /** A job whose first worker the raylet starts at once (a private cluster's driver, before it registers). */
  prestartJob?: Pick<JobInfo, "jobId" | "namespace" | "execArgv" | "cwd" | "env">;
}

function controlServiceMain(): string {
  return fileURLToPath(import.meta.resolve("@lux/gcs/main"));
}

function rayletMain(): string {
  return fileURLToPath(import.meta.resolve("@lux/raylet/main"));
}

/** Starts the control service; resolves once it serves. */
export function startControlService(opts: ControlServiceOptions): Promise<DaemonHandle> {
  const args = ["--address", opts.address ?? "127.0.0.1:0"];
  if (opts.writeTokenFile === true) args.push("--write-token-file");
  if (opts.storage !== undefined) args.push("--storage", opts.storage);
  return startDaemon("gcs", controlServiceMain(), [...args, ...commonArgs(opts)], opts);
}

/** Starts a raylet; resolves once it registered with the control service and serves. */
export function startRaylet(opts: RayletOptions): Promise<DaemonHandle> {
  const address = opts.address ?? `${opts.nodeIpAddress ?? "127.0.0.1"}:0`;
  const args = [
    "--address",
    address,
    ...(typeof opts.gcsAddress === "string" ? ["--gcs-address", opts.gcsAddress] : ["--gcs-address-file", opts.gcsAddress.file]),
    "--worker-main",
    opts.workerMain,
    "--resources",
    JSON.stringify(opts.resources),
  ];
  if (opts.objectStoreMemory !== undefined) args.push("--object-store-memory", String(opts.objectStoreMemory));
  if (opts.memoryCapacity !== undefined) args.push("--memory-capacity", String(opts.memoryCapacity));
  if (opts.spillDir !== undefined) args.push("--spill-dir", opts.spillDir);
  if (opts.nodeIpAddress !== undefined) args.push("--node-ip-address", opts.nodeIpAddress);
  if (opts.prestartJob !== undefined) args.push("--prestart-job", JSON.stringify(opts.prestartJob));
  if (opts.labels !== undefined && Object.keys(opts.labels).length > 0) args.push("--labels", JSON.stringify(opts.labels));
  if (opts.instanceId !== undefined) args.push("--instance-id", opts.instanceId);
  if (opts.nodeType !== undefined) args.push("--node-type", opts.nodeType);
  return startDaemon("raylet", rayletMain(), [...args, ...commonArgs(opts)], opts);
}

/**
 * Resources of a node from the usual options. `numGpus` undefined leaves GPU out: the raylet
 * then finds the node's GPUs with nvidia-smi (0 is passed on: no GPUs, none looked for).
 */
export function nodeResources(opts: {
  numCpus?: number | undefined;
  numGpus?: number | undefined;
  /** Bytes of the `memory` resource (default: the raylet's, its RAM minus its object store). */
  memory?: number | undefined;
  resources?: Record<string, number> | undefined;
}): Record<string, number> {
  const resources: Record<string, number> = { ...opts.resources };
  if (opts.numCpus !== undefined) resources["CPU"] = opts.numCpus;
  if (opts.numGpus !== undefined) resources["GPU"] = opts.numGpus;
  if (opts.memory !== undefined) resources["memory"] = opts.memory;
  return resources;
}

/** A new session folder `<sessionDirRoot>/session_<time>_<pid>_<rand>` with a `logs` folder. */
export function makeSessionDir(): string {
  const root = config("sessionDirRoot");
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace("T", "_").slice(0, 15);
  const dir = path.join(root, `session_${stamp}_${process.pid}_${randomBytes(3).toString("hex")}`);
  fs.mkdirSync(path.join(dir, "logs"), { recursive: true, mode: 0o700 });
  return dir;
}

function commonArgs(opts: CommonDaemonOptions): string[] {
  const args: string[] = [];
  if (opts.exitWithParent === true) args.push("--exit-with-parent");
  if (opts.logFile !== undefined) args.push("--log-file", opts.logFile);
  if (opts.sessionDir !== undefined) args.push("--session-dir", opts.sessionDir);
  return args;
}

function daemonEnv(opts: CommonDaemonOptions): NodeJS.ProcessEnv {
  const explicit = opts.config === undefined ? {} : configToEnv(opts.config);
  const env: NodeJS.ProcessEnv = { ...process.env, ...configEnv(), ...explicit, ...opts.env, LUX_TOKEN: opts.token };
  delete env["NODE_OPTIONS"];
  return env;
}

function spawnDaemon(opts: CommonDaemonOptions, args: string[], spawnOptions: SpawnOptions): ChildProcess {
  const [command, ...prefix] = [...(opts.wrapper ?? []), process.execPath];
  return spawn(command as string, [...prefix, ...args], spawnOptions);
}

/** Starts `main` as a daemon of `kind`; resolves once it printed its ready line. */
export async function startDaemon(kind: DaemonKind, main: string, args: string[], opts: CommonDaemonOptions): Promise<DaemonHandle> {
  const env = daemonEnv(opts);
  const timeoutMs = opts.readyTimeoutMs ?? config("daemonStartTimeoutMs");
  let child: ChildProcess;
  let ready: Promise<Record<string, unknown>>;
  if (opts.detached === true) {
    if (opts.logFile === undefined) throw new LuxError(`a detached ${kind} needs a log file`);
    fs.mkdirSync(path.dirname(opts.logFile), { recursive: true });
    const fd = fs.openSync(opts.logFile, "a");
    const start = fs.fstatSync(fd).size;
    try {
      child = spawnDaemon(opts, [main, ...args], { env, detached: true, stdio: ["ignore", fd, fd] });
    } finally {
      fs.closeSync(fd);
    }
    await checkSpawned(child, kind);
    ready = readyFromFile(child, kind, opts.logFile, start, timeoutMs);
  } else {
    child = spawnDaemon(opts, [main, ...args], { env, stdio: ["pipe", "pipe", "pipe"] });
    await checkSpawned(child, kind);
    ready = readyFromPipe(child, kind, timeoutMs);
  }
  const exited = new Promise<DaemonExit>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve({ code: child.exitCode, signal: child.signalCode });
    else child.once("exit", (code, signal) => resolve({ code, signal }));
  });
  // A raylet that was killed could not remove its object store file (RAM, in /dev/shm).
  if (kind === "raylet" && child.pid !== undefined) {
    const pid = child.pid;
    exited.then(() => removeArenasOf(SHM_DIR, pid)).catch(() => undefined); // best effort: the next raylet removes orphans too
  }
  let info: Record<string, unknown>;
  try {
    info = await ready;
  } catch (e) {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await exited;
    throw e;
  }
  unrefChild(child);
  return makeHandle(kind, main, child, info, exited);
}

function makeHandle(
  kind: DaemonKind,
  main: string,
  child: ChildProcess,
  info: Record<string, unknown>,
  exited: Promise<DaemonExit>,
): DaemonHandle {
  const hasExited = (): boolean => child.exitCode !== null || child.signalCode !== null;
  const waitExit = async (): Promise<DaemonExit> => {
    // The child is unref'd: hold the event loop open until it is gone.
    const keepAlive = setInterval(() => {}, 1000);
    try {
      return await exited;
    } finally {
      clearInterval(keepAlive);
    }
  };
  return {
    kind,
    pid: child.pid ?? 0,
    address: info["address"] as string,
    nodeId: typeof info["nodeId"] === "string" ? info["nodeId"] : undefined,
    main,
    exited,
    get hasExited() {
      return hasExited();
    },
    kill(signal: NodeJS.Signals = "SIGKILL") {
      if (!hasExited()) child.kill(signal);
    },
    waitExit,
    async stop(deadlineMs = 5000) {
      if (!hasExited()) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => {
          if (!hasExited()) child.kill("SIGKILL");
        }, deadlineMs);
        await waitExit();
        clearTimeout(timer);
      }
      child.stdout?.unpipe(process.stdout);
      child.stderr?.unpipe(process.stderr);
    },
  };
}

function readyFromPipe(child: ChildProcess, kind: DaemonKind, timeoutMs: number): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    let buffered = "";
    let stderr = "";
    const cleanup = (): void => {
      clearTimeout(timer);
      child.stdout?.off("data", onData);
      child.stderr?.off("data", onStderr);
      child.off("exit", onExit);
    };
    const onStderr = (chunk: Buffer): void => {
      stderr += chunk.toString("utf8");
    };
    const onData = (chunk: Buffer): void => {
      buffered += chunk.toString("utf8");
      const nl = buffered.indexOf("\n");
      if (nl < 0 || !buffered.startsWith(READY_PREFIX)) return;
      cleanup();
      const info = JSON.parse(buffered.slice(READY_PREFIX.length, nl)) as Record<string, unknown>;
      const rest = buffered.slice(nl + 1);
      if (rest !== "") process.stdout.write(rest);
      // From now on the daemon's output is its workers' output, for the user to see.
      child.stdout?.pipe(process.stdout, { end: false });
      child.stderr?.pipe(process.stderr, { end: false });
      resolve(info);
    };
    const onExit = (code: number | null, signal: string | null): void => {
      cleanup();
      reject(new NodeStartError({ component: kind, reason: `exited during start (${signal ?? `code ${code}`}): ${stderr.trim() || "no output"}` }));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new NodeStartError({ component: kind, reason: `did not start serving within ${timeoutMs} ms: ${stderr.trim() || "no output"}` }));
    }, timeoutMs);
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onStderr);
    child.once("exit", onExit);
  });
}

/** A detached daemon writes its ready line into its log file: poll the part written since `start`. */
function readyFromFile(child: ChildProcess, kind: DaemonKind, file: string, start: number, timeoutMs: number): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  const tail = (): string => {
    try {
      const fd = fs.openSync(file, "r");
      try {
        const size = fs.fstatSync(fd).size;
        const buf = Buffer.alloc(Math.max(0, size - start));
        fs.readSync(fd, buf, 0, buf.length, start);
        return buf.toString("utf8");
      } finally {
        fs.closeSync(fd);
      }
    } catch {
      return "";
    }
  };
  return new Promise((resolve, reject) => {
    const poll = (): void => {
      const text = tail();
      const at = text.indexOf(READY_PREFIX);
      const nl = at < 0 ? -1 : text.indexOf("\n", at);
      if (nl >= 0) {
        resolve(JSON.parse(text.slice(at + READY_PREFIX.length, nl)) as Record<string, unknown>);
        return;
      }
      if (child.exitCode !== null || child.signalCode !== null) {
        const status = child.signalCode ?? `code ${child.exitCode}`;
        reject(new NodeStartError({ component: kind, reason: `exited during start (${status}); see ${file}:\n${text.trim().slice(-2000)}` }));
        return;
      }
      if (Date.now() > deadline) {
        reject(new NodeStartError({ component: kind, reason: `did not start serving within ${timeoutMs} ms; see ${file}` }));
        return;
      }
      setTimeout(poll, 25);
    };
    poll();
  });
}

/**
 * Throws NodeStartError if the process could not be spawned (EMFILE, EAGAIN: this machine
 * is out of file descriptors or processes; ENOENT): no exit follows such a failure. Later
 * errors of the process (a kill that failed) and of its pipes (EPIPE once it is gone) are
 * ignored: its exit is what counts.
 */
async function checkSpawned(child: ChildProcess, kind: DaemonKind): Promise<void> {
  if (child.pid === undefined) {
    const error = await new Promise<Error>((resolve) => child.once("error", resolve));
    throw new NodeStartError({ component: kind, reason: `could not be started: ${error.message}` });
  }
  child.on("error", () => undefined);
  for (const pipe of [child.stdin, child.stdout, child.stderr]) pipe?.on("error", () => undefined);
}

function unrefChild(child: ChildProcess): void {
  child.unref();
  for (const s of [child.stdin, child.stdout, child.stderr]) {
    (s as unknown as { unref?: () => void } | null)?.unref?.();
  }
}

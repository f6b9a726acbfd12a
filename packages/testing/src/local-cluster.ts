/**
 * A real multi-process Lux cluster on this machine, for tests: one control service and
 * one raylet process per node, each node with its own object store.
 *
 * @example
 * ```ts
 * import * as lux from "lux";
 * import { LocalCluster } from "lux/testing";
 * await using cluster = await LocalCluster.start({ head: { numCpus: 1 } });
 * await cluster.addNode({ numCpus: 2, resources: { special: 1 } });
 * // Tunables go to the daemons (and their workers) as options, not through process.env:
 * await cluster.addNode({ numCpus: 1, config: { idleWorkerKeepMs: 500 } });
 * await cluster.waitForNodes(2);
 * await lux.init({ address: cluster.address });
 * ```
 */
import * as path from "node:path";
import { checkConfig, checkNodeLabels, checkTlsFiles, newClusterToken, removeTokenFile, tlsConfigEntries, type SystemConfig, type TlsFiles } from "@lux/common";
import { workerMainPath } from "@lux/core/internal";
import {
  connectControlService,
  makeSessionDir,
  nodeResources,
  startControlService,
  startDashboard,
  startRaylet,
  type DaemonHandle,
} from "@lux/launcher";

/** Resources of a node of a LocalCluster. */
export interface LocalNodeOptions {
  numCpus?: number;
  /** GPUs of the node; default: what nvidia-smi finds (found on the raylet's PATH, see `env`). */
  numGpus?: number;
  resources?: Record<string, number>;
  /** The node's labels (keys outside `lux.io/`), for `labelSelector`. */
  labels?: Record<string, string>;
  /**
   * Extra environment of the node's raylet process (and so of its workers), e.g. a PATH
   * that finds a fake `nvidia-smi` first, or CUDA_VISIBLE_DEVICES.
   */
  env?: Record<string, string>;
  /** Bytes of the node's object store. */
  objectStoreMemory?: number;
  /** Bytes of the node's `memory` resource (default: its RAM minus its object store, or memoryCapacity). */
  memory?: number;
  /**
   * The node's memory monitor counts only the node's own processes (the raylet and its
   * workers, their private memory) against this many bytes, instead of the machine's
   * memory: a test can run a node out of memory with a task that allocates a few hundred MiB.
   */
  memoryCapacity?: number;
  /** The node's memoryUsageThreshold (config entry; default 0.95). */
  memoryUsageThreshold?: number;
  /** The node's memoryMonitorIntervalMs (config entry; default 250). */
  memoryMonitorIntervalMs?: number;
  /** Folder in which the node's raylet spills objects (its own `spill-<pid>` in it); default the session folder. */
  spillDir?: string;
  /** A loopback address (127.0.0.2, ...) for the node to bind to; default 127.0.0.1. */
  nodeIp?: string;
  /**
   * Run the node's raylet (and so its workers) in this network namespace (`ip netns exec`),
   * with `nodeIp` an address of the namespace. Needs root.
   */
  netns?: string;
  /**
   * Config entries for this node's raylet and its workers (see docs/config.md), over the
   * cluster's `config`. An unknown entry fails with InvalidConfigError naming the nearest.
   */
  config?: SystemConfig;
  /** The node's own TLS files (a certificate naming `nodeIp`), over the cluster's `tls`. */
  tls?: LocalClusterTls;
}

/** PEM files of a TLS identity: a certificate, its key, and the CA that signs the cluster's certificates (`lux cert`). */
export interface LocalClusterTls {
  cert: string;
  key: string;
  ca: string;
}

export interface LocalClusterOptions {
  /** The head node (started with the control service); default: one CPU. */
  head?: LocalNodeOptions;
  /** Table storage of the control service: "memory" (default) or "redis://HOST:PORT" (survives restartGcs()). */
  gcsStorage?: string;
  /**
   * Config entries for the control service and every node (raylets and their workers), e.g.
   * `{ nodeDeathTimeoutMs: 1500 }` (see docs/config.md). Validated before anything starts: an
   * unknown entry fails with InvalidConfigError naming the nearest. The test process's own
   * config (and process.env) is left alone.
   */
  config?: SystemConfig;
  /**
   * Start the head's HTTP server too (dashboard, state routes, jobs API), on 127.0.0.1 at
   * `port` (default 0: a free port); its URL is `dashboardUrl`.
   */
  dashboard?: boolean | { port?: number };
  /** Every raylet serves `/metrics` without the token, read-only (config metricsPublic, as `lux start --metrics-public`). */
  metricsPublic?: boolean;
  /**
   * TLS for the whole cluster (docs/tls.md): every daemon, its workers, and this object's
   * own connections to the control service use these files (a node's `tls` replaces them
   * for that node). A driver in the test process needs TLS files of its own: the config
   * entries tlsCert, tlsKey, tlsCa (LUX_TLS_* for a driver process).
   */
  tls?: LocalClusterTls;
}

/** A node of a LocalCluster: one raylet process. */
export interface LocalNode {
  readonly nodeId: string;
  /** The raylet's address. */
  readonly address: string;
  readonly pid: number;
  /** The options the node was started with. */
  readonly options: LocalNodeOptions;
  /** Whether the raylet process is still running. */
  readonly alive: boolean;
}

export type LocalClusterState = "running" | "stopping" | "stopped";

interface NodeEntry extends LocalNode {
  readonly handle: DaemonHandle;
}

const DEFAULT_TIMEOUT_MS = 30_000;

export class LocalCluster {
  private state: LocalClusterState = "running";
  private readonly entries: NodeEntry[] = [];
  private dashboard: DaemonHandle | undefined;

  private constructor(
    /** The cluster token (also in the token file, so `lux.init({ address })` finds it). */
    readonly token: string,
    /** Session folder: logs/ has one file per process. */
    readonly sessionDir: string,
    private gcs: DaemonHandle,
    private readonly gcsStorage: string | undefined,
    /** Entries for every daemon of the cluster (the cluster's TLS files included). */
    private readonly config: SystemConfig,
    /** The cluster's TLS files: its own connections use them. */
    private readonly tls: TlsFiles | undefined,
  ) {}

  /** Starts the control service and the head node. */
  static async start(options: LocalClusterOptions = {}): Promise<LocalCluster> {
    const tls = checkTlsFiles(options.tls ?? {});
    const config = { ...checkConfig({ ...options.config, ...(options.metricsPublic === true ? { metricsPublic: true } : {}) }), ...tlsConfigEntries(tls) };
    checkConfig(options.head?.config ?? {});
    const token = newClusterToken();
    const sessionDir = makeSessionDir();
    const gcs = await startControlService({
      config,
      token,
      // The control service lives on the head node's address.
      ...(options.head?.nodeIp !== undefined ? { address: `${options.head.nodeIp}:0` } : {}),
      writeTokenFile: true,
      exitWithParent: true,
      logFile: path.join(sessionDir, "logs", "gcs.log"),
      ...(options.gcsStorage !== undefined ? { storage: options.gcsStorage } : {}),
    });
    const cluster = new LocalCluster(token, sessionDir, gcs, options.gcsStorage, config, tls);
    try {
      await cluster.addNode(options.head ?? { numCpus: 1 });
      if (options.dashboard !== undefined && options.dashboard !== false) {
        await cluster.startDashboard(options.dashboard === true ? 0 : (options.dashboard.port ?? 0));
      }
    } catch (e) {
      await cluster.shutdown();
      throw e;
    }
    return cluster;
  }

  /** The control service's address, for `lux.init({ address })` and `LUX_ADDRESS`. */
  get address(): string {
    return this.gcs.address;
  }

  /** The head's HTTP server, `http://127.0.0.1:PORT` (`https://` with `tls`; with the `dashboard` option), else undefined. */
  get dashboardUrl(): string | undefined {
    return this.dashboard === undefined ? undefined : `${this.tls === undefined ? "http" : "https"}://${this.dashboard.address}`;
  }

  /** The control service's pid. */
  get gcsPid(): number {
    return this.gcs.pid;
  }

  /** The nodes started by this cluster (including removed ones), head first. */
  get nodes(): readonly LocalNode[] {
    return this.entries;
  }

  /** Starts a raylet; resolves once the control service lists it alive. */
  async addNode(options: LocalNodeOptions = {}): Promise<LocalNode> {
    this.checkRunning("addNode");
    const index = this.entries.length;
    const handle = await startRaylet({
      token: this.token,
      gcsAddress: this.address,
      workerMain: workerMainPath,
      resources: nodeResources({ numCpus: options.numCpus ?? 1, numGpus: options.numGpus, memory: options.memory, resources: options.resources }),
      ...(options.labels !== undefined ? { labels: checkNodeLabels(options.labels, "labels") } : {}),
      ...(options.env !== undefined ? { env: options.env } : {}),
      ...(options.objectStoreMemory !== undefined ? { objectStoreMemory: options.objectStoreMemory } : {}),
      ...(options.memoryCapacity !== undefined ? { memoryCapacity: options.memoryCapacity } : {}),
      ...(options.spillDir !== undefined ? { spillDir: options.spillDir } : {}),
      ...(options.nodeIp !== undefined ? { nodeIpAddress: options.nodeIp } : {}),
      ...(options.netns !== undefined ? { wrapper: ["ip", "netns", "exec", options.netns] } : {}),
      config: { ...this.config, ...memoryConfig(options), ...options.config, ...tlsConfigEntries(checkTlsFiles(options.tls ?? {})) },
      exitWithParent: true,
      logFile: path.join(this.sessionDir, "logs", `raylet-${index}.log`),
      sessionDir: this.sessionDir,
    });
    const nodeId = handle.nodeId ?? "";
    const entry: NodeEntry = {
      nodeId,
      address: handle.address,
      pid: handle.pid,
      options,
      handle,
      get alive() {
        return !handle.hasExited;
      },
    };
    this.entries.push(entry);
    await this.poll(async (nodes) => nodes.some((n) => n.nodeId === nodeId && n.alive), `node ${nodeId} to register`);
    return entry;
  }

  /** Stops a node: SIGKILL by default (a crash), SIGTERM with `graceful: true`. */
  async removeNode(node: LocalNode, options: { graceful?: boolean } = {}): Promise<void> {
    const entry = this.entries.find((e) => e.nodeId === node.nodeId && e.pid === node.pid);
    if (entry === undefined) throw new Error(`removeNode(): node ${node.nodeId} is not a node of this cluster`);
    if (options.graceful === true) {
      await entry.handle.stop();
    } else {
      entry.handle.kill("SIGKILL");
      await entry.handle.waitExit();
    }
  }

  /** Waits until the control service lists at least `count` alive nodes. */
  async waitForNodes(count: number, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<void> {
    await this.poll(async (nodes) => nodes.filter((n) => n.alive).length >= count, `${count} alive nodes`, timeoutMs);
  }

  /**
   * Kills the control service (SIGKILL) and starts it again on the same address with the
   * same storage. With `gcsStorage: "redis://..."` it restores its tables from Redis; with
   * the default in-memory storage they are lost. Raylets and drivers reconnect by themselves.
   */
  async restartGcs(): Promise<void> {
    this.checkRunning("restartGcs");
    const address = this.gcs.address;
    this.gcs.kill("SIGKILL");
    await this.gcs.waitExit();
    this.gcs = await startControlService({
      config: this.config,
      token: this.token,
      address,
      writeTokenFile: true,
      exitWithParent: true,
      logFile: path.join(this.sessionDir, "logs", "gcs.log"),
      ...(this.gcsStorage !== undefined ? { storage: this.gcsStorage } : {}),
    });
  }

  /** Stops every node, then the control service. */
  async shutdown(): Promise<void> {
    if (this.state !== "running") return;
    this.state = "stopping";
    await this.dashboard?.stop();
    await Promise.all(this.entries.map((e) => e.handle.stop()));
    removeTokenFile(this.gcs.address);
    await this.gcs.stop();
    this.state = "stopped";
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.shutdown();
  }

  private async startDashboard(port: number): Promise<void> {
    this.dashboard = await startDashboard({
      token: this.token,
      gcsAddress: this.address,
      address: `127.0.0.1:${port}`,
      exitWithParent: true,
      logFile: path.join(this.sessionDir, "logs", "dashboard.log"),
      // The jobs API's entries (jobStopGraceMs, …) are read there.
      config: this.config,
    });
    const client = await connectControlService(this.address, this.token, this.tls);
    try {
      await client.setDashboardUrl(this.dashboardUrl as string);
    } finally {
      client.close();
    }
  }

  private checkRunning(what: string): void {
    if (this.state !== "running") throw new Error(`LocalCluster.${what}(): the cluster is ${this.state}`);
  }

  private async poll(
    condition: (nodes: { nodeId: string; alive: boolean }[]) => Promise<boolean>,
    what: string,
    timeoutMs = DEFAULT_TIMEOUT_MS,
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const client = await connectControlService(this.address, this.token, this.tls);
    try {
      for (;;) {
        if (await condition(await client.nodes())) return;
        if (Date.now() > deadline) throw new Error(`LocalCluster: timed out after ${timeoutMs} ms waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      client.close();
    }
  }
}

/** The memory monitor's options of a node, as the config entries its raylet reads. */
function memoryConfig(options: LocalNodeOptions): SystemConfig {
  return checkConfig({
    ...(options.memoryUsageThreshold !== undefined ? { memoryUsageThreshold: options.memoryUsageThreshold } : {}),
    ...(options.memoryMonitorIntervalMs !== undefined ? { memoryMonitorIntervalMs: options.memoryMonitorIntervalMs } : {}),
  });
}

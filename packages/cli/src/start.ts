/** `lux start`: the control service and/or a raylet, detached, recorded for `lux stop`. */
import * as path from "node:path";
import {
  checkTlsFiles,
  config,
  isLoopbackHost,
  loadTlsMaterial,
  metricsTargetsFile,
  newClusterToken,
  readTokenFile,
  tlsConfigEntries,
  type SystemConfig,
  type TlsFiles,
} from "@lux/common";
import { workerMainPath } from "@lux/core/internal";
import {
  connectControlService,
  forgetDaemon,
  makeSessionDir,
  nodeResources,
  recordDaemon,
  startControlService,
  startDashboard,
  startRaylet,
  type DaemonHandle,
} from "@lux/launcher";
import { startHeadAutoscaler } from "./autoscaler-head.js";
import { blockUntilStopped } from "./block.js";
import { CliError } from "./errors.js";

export interface StartOptions {
  head?: boolean;
  address?: string;
  port: number;
  numCpus?: number;
  numGpus?: number;
  resources?: Record<string, number>;
  /** The node's labels (`--labels '{"zone":"a"}'`). */
  labels?: Record<string, string>;
  objectStoreMemory?: number;
  /** Bytes of the node's memory resource. */
  memory?: number;
  /** The memory monitor's config entries memoryUsageThreshold and memoryMonitorIntervalMs, for this node. */
  memoryUsageThreshold?: number;
  memoryMonitorIntervalMs?: number;
  /** The memory monitor counts the node's own processes against this many bytes. */
  memoryCapacity?: number;
  nodeIpAddress: string;
  storage: string;
  /** Config entries for the daemons started here (and the raylet's workers). */
  systemConfig?: SystemConfig;
  /** Port of the head's HTTP server (dashboard, jobs API); 0: a free one. */
  dashboardPort: number;
  /** Address the head's HTTP server binds. */
  dashboardHost: string;
  /** Tasks the control service keeps (config taskEventsMax; --head only). */
  taskEventsMax?: number;
  /** Port of the node's Prometheus metrics (config metricsPort). */
  metricsPort?: number;
  /** Serve the node's `/metrics` without the token (config metricsPublic). */
  metricsPublic?: boolean;
  /** This node's certificate, its key and the cluster's CA (PEM files): TLS on every connection and HTTP server (docs/tls.md). */
  tlsCert?: string;
  tlsKey?: string;
  tlsCa?: string;
  /**
   * Stay in the foreground until SIGTERM or SIGINT (then stop the daemons started here), or
   * until one of them exits (then stop the others and fail): a container's command, or a node
   * the autoscaler's local provider runs.
   */
  block?: boolean;
  /** A cluster YAML (--head): the head also runs the autoscaler, which scales its node types to demand. */
  autoscalingConfig?: string;
}

/** How the daemons run: in the background (detached), or as children of a blocking `lux start`. */
export function daemonMode(opts: StartOptions): { detached: true } | { exitWithParent: true } {
  return opts.block === true ? { exitWithParent: true } : { detached: true };
}

/**
 * A node started by the autoscaler's provider says which instance it is: LUX_INSTANCE_ID and
 * LUX_NODE_TYPE in its environment become the raylet's lux.io/instance-id and lux.io/node-type labels.
 */
function instanceOf(): { instanceId?: string; nodeType?: string } {
  const id = process.env["LUX_INSTANCE_ID"];
  const type = process.env["LUX_NODE_TYPE"];
  return { ...(id ? { instanceId: id } : {}), ...(type ? { nodeType: type } : {}) };
}

/** Starts what the options say and prints where it is; resolves with the control service's address. */
export async function start(opts: StartOptions): Promise<{ gcsAddress: string }> {
  checkOptions(opts);
  const tls = tlsOf(opts);
  warnExposed(opts, tls);
  // Every daemon gets the node's TLS files (and passes them on to its workers).
  const withTls: StartOptions = { ...opts, systemConfig: { ...opts.systemConfig, ...tlsConfigEntries(tls) } };
  const sessionDir = makeSessionDir();
  const logs = path.join(sessionDir, "logs");
  const { token, gcsAddress, gcs } = opts.head === true ? await startHead(withTls, sessionDir, logs) : joinCluster(opts.address as string);
  const rayletLog = path.join(logs, "raylet.log");
  let raylet: DaemonHandle;
  try {
    raylet = await startRaylet({
      token,
      gcsAddress,
      workerMain: workerMainPath,
      resources: nodeResources(opts),
      ...(opts.labels !== undefined ? { labels: opts.labels } : {}),
      ...(opts.objectStoreMemory !== undefined ? { objectStoreMemory: opts.objectStoreMemory } : {}),
      ...(opts.memoryCapacity !== undefined ? { memoryCapacity: opts.memoryCapacity } : {}),
      nodeIpAddress: opts.nodeIpAddress,
      ...daemonMode(opts),
      ...instanceOf(),
      logFile: rayletLog,
      sessionDir,
      config: rayletConfig(withTls),
    });
  } catch (e) {
    if (gcs !== undefined) {
      gcs.kill("SIGTERM");
      forgetDaemon(gcs);
    }
    throw new CliError(`the node did not start: ${(e as Error).message}`);
  }
  recordDaemon({ kind: "raylet", pid: raylet.pid, address: raylet.address, gcsAddress, nodeId: raylet.nodeId, main: raylet.main, sessionDir, logFile: rayletLog });
  const dashboard = opts.head === true ? await startHeadDashboard(withTls, token, gcsAddress, sessionDir, tls) : undefined;
  const autoscaler =
    opts.head === true && opts.autoscalingConfig !== undefined
      ? await startHeadAutoscaler({ configFile: opts.autoscalingConfig, token, gcsAddress, sessionDir, mode: daemonMode(opts), config: withTls.systemConfig })
      : undefined;
  const lines = summary(opts, raylet, gcsAddress, token, logs, dashboard?.url, tls);
  if (autoscaler !== undefined) lines.splice(3, 0, `Autoscaler: cluster ${autoscaler.clusterName} (${autoscaler.provider} provider), log ${autoscaler.logFile}`);
  process.stdout.write(`${lines.join("\n")}\n`);
  if (opts.block === true) await blockUntilStopped([gcs, raylet, dashboard?.handle, autoscaler?.handle].filter((d) => d !== undefined));
  return { gcsAddress };
}

/**
 * The node's TLS files: the flags, else LUX_TLS_* (config tlsCert, tlsKey, tlsCa); all three
 * or none. Read and checked now, so a bad file fails here rather than in a daemon's log.
 */
function tlsOf(opts: StartOptions): TlsFiles | undefined {
  const tls = checkTlsFiles({ cert: opts.tlsCert ?? config("tlsCert"), key: opts.tlsKey ?? config("tlsKey"), ca: opts.tlsCa ?? config("tlsCa") });
  if (tls !== undefined) loadTlsMaterial(tls);
  return tls;
}

/** A node reachable from the network in plaintext: said here too, not only in the daemons' logs. */
function warnExposed(opts: StartOptions, tls: TlsFiles | undefined): void {
  if (tls !== undefined) return;
  const exposed = [opts.nodeIpAddress, ...(opts.head === true ? [opts.dashboardHost] : [])].filter((h) => !isLoopbackHost(h));
  if (exposed.length === 0) return;
  process.stderr.write(
    `lux: warning: serving ${[...new Set(exposed)].join(" and ")} without TLS: anyone who can reach ${exposed.length > 1 ? "these addresses" : "that address"} can read and ` +
      "change the cluster's traffic and take its token. Give --tls-cert, --tls-key and --tls-ca (see docs/tls.md), or keep to 127.0.0.1.\n",
  );
}

/** The raylet's config entries: --system-config, with the memory monitor's own flags over it. */
function rayletConfig(opts: StartOptions): SystemConfig {
  return {
    ...opts.systemConfig,
    ...(opts.memoryUsageThreshold !== undefined ? { memoryUsageThreshold: opts.memoryUsageThreshold } : {}),
    ...(opts.memoryMonitorIntervalMs !== undefined ? { memoryMonitorIntervalMs: opts.memoryMonitorIntervalMs } : {}),
    ...(opts.metricsPort !== undefined ? { metricsPort: opts.metricsPort } : {}),
    ...(opts.metricsPublic === true ? { metricsPublic: true } : {}),
  };
}

function checkOptions(opts: StartOptions): void {
  if (opts.head === true && opts.address !== undefined) throw new CliError("use either --head (a new cluster) or --address (join a cluster), not both", 2);
  if (opts.head !== true && opts.address === undefined) throw new CliError("say --head to start a new cluster, or --address HOST:PORT to join one", 2);
  if (opts.storage !== "memory" && !opts.storage.startsWith("redis://")) {
    throw new CliError(`--storage ${opts.storage}: say "memory" (the default; lost when the control service restarts) or redis://HOST:PORT`, 2);
  }
  if (opts.head !== true && opts.storage !== "memory") throw new CliError("--storage is for the head node (--head), which runs the control service", 2);
  if (opts.head !== true && opts.taskEventsMax !== undefined) throw new CliError("--task-events-max is for the head node (--head), which runs the control service", 2);
  if (isWildcard(opts.nodeIpAddress)) {
    throw new CliError(`--node-ip-address ${opts.nodeIpAddress}: give this node's own address, the one other nodes reach it at (it is also the address the node announces), not a wildcard`, 2);
  }
}

/** 0.0.0.0 and :: listen on every interface; they are no address a peer can dial. */
function isWildcard(host: string): boolean {
  return host === "0.0.0.0" || host === "::" || host === "[::]";
}

/** A new cluster: its control service, with a new token (or LUX_TOKEN) written to the token file. */
async function startHead(opts: StartOptions, sessionDir: string, logs: string): Promise<{ token: string; gcsAddress: string; gcs: DaemonHandle }> {
  const token = process.env["LUX_TOKEN"] || newClusterToken();
  const gcs = await startControlService({
    token,
    address: `${opts.nodeIpAddress}:${opts.port}`,
    writeTokenFile: true,
    storage: opts.storage,
    ...daemonMode(opts),
    logFile: path.join(logs, "gcs.log"),
    sessionDir,
    ...(opts.systemConfig !== undefined || opts.taskEventsMax !== undefined
      ? { config: { ...opts.systemConfig, ...(opts.taskEventsMax !== undefined ? { taskEventsMax: opts.taskEventsMax } : {}) } }
      : {}),
  });
  const gcsAddress = gcs.address;
  recordDaemon({ kind: "gcs", pid: gcs.pid, address: gcs.address, gcsAddress, nodeId: undefined, main: gcs.main, sessionDir, logFile: path.join(logs, "gcs.log") });
  return { token, gcsAddress, gcs };
}

/**
 * The head's HTTP server, recorded for `lux stop` and in the control service for `lux status`
 * and `lux job`. A port already taken does not stop the cluster: the reason is printed instead.
 */
async function startHeadDashboard(opts: StartOptions, token: string, gcsAddress: string, sessionDir: string, tls: TlsFiles | undefined): Promise<{ url: string; handle: DaemonHandle } | undefined> {
  const logFile = path.join(sessionDir, "logs", "dashboard.log");
  let dashboard: DaemonHandle;
  try {
    dashboard = await startDashboard({
      token,
      gcsAddress,
      address: `${opts.dashboardHost}:${opts.dashboardPort}`,
      ...daemonMode(opts),
      logFile,
      sessionDir,
      // The jobs API's entries (jobStopGraceMs, …) are read there.
      ...(opts.systemConfig !== undefined ? { config: opts.systemConfig } : {}),
    });
  } catch (e) {
    process.stderr.write(`lux: the dashboard did not start (${(e as Error).message}); the cluster runs without it. See ${logFile}\n`);
    return undefined;
  }
  recordDaemon({ kind: "dashboard", pid: dashboard.pid, address: dashboard.address, gcsAddress, nodeId: undefined, main: dashboard.main, sessionDir, logFile });
  const url = `${tls === undefined ? "http" : "https"}://${dashboard.address}`;
  const client = await connectControlService(gcsAddress, token, tls);
  try {
    await client.setDashboardUrl(url);
  } finally {
    client.close();
  }
  return { url, handle: dashboard };
}

/** An existing cluster: its token is LUX_TOKEN, else the token file its head wrote. */
function joinCluster(gcsAddress: string): { token: string; gcsAddress: string; gcs: undefined } {
  const token = process.env["LUX_TOKEN"] || readTokenFile(gcsAddress);
  if (token === undefined) throw new CliError(`no token for the cluster at ${gcsAddress}: set LUX_TOKEN to the token \`lux start --head\` printed`);
  return { token, gcsAddress, gcs: undefined };
}

/** What `lux start` prints: where the cluster is, and how to use it. */
function summary(opts: StartOptions, raylet: DaemonHandle, gcsAddress: string, token: string, logs: string, dashboard: string | undefined, tls: TlsFiles | undefined): string[] {
  const metrics = `Metrics: ${metricsTargetsFile(path.dirname(logs))} (Prometheus file_sd${tls === undefined ? "" : ", over HTTPS with a client certificate"}; each node's address in \`lux status\`)`;
  if (opts.head !== true) return [`Node ${raylet.nodeId ?? "?"} at ${raylet.address} joined the cluster at ${gcsAddress}`, `Logs: ${logs}`, metrics];
  return [
    `Lux cluster started. Control service: ${gcsAddress}`,
    tls === undefined ? "Transport: plaintext (TLS: --tls-cert, --tls-key, --tls-ca; see docs/tls.md)" : "Transport: TLS 1.3, certificates checked both ways against the cluster's CA",
    `Node ${raylet.nodeId ?? "?"} at ${raylet.address}`,
    `Logs: ${logs}`,
    ...(dashboard !== undefined ? [`Dashboard and jobs API: ${dashboard}   (log in with the cluster token)`] : []),
    metrics,
    "",
    "Connect a driver on this machine:",
    `  lux.init({ address: "${gcsAddress}" })   or   LUX_ADDRESS=${gcsAddress}   (or address "auto")`,
    "Add a node:",
    `  lux start --address ${gcsAddress}`,
    "From another machine, also pass the cluster token:",
    `  LUX_TOKEN=${token}`,
    ...(tls === undefined ? [] : ["and that machine's certificate files (every driver and node needs its own):", "  LUX_TLS_CERT=... LUX_TLS_KEY=... LUX_TLS_CA=... (lux cert issue)"]),
    "",
    "Inspect with `lux status`; stop with `lux stop`.",
  ];
}

/**
 * A raylet's metrics (issue 16, point 6), put together: what the node's processes report, the
 * HTTP server Prometheus scrapes (on the node's IP address, port metricsPort), and the node's
 * entry in `<session dir>/metrics/targets.json`.
 */
import { createLogger, loadTlsMaterial, metricsTargetsFile, warnIfExposed, type TlsFiles } from "@lux/common";
import { parseAddress, type Clock, type CoreWorkerService, type LatencyHistogram, type RayletService, type RpcConnection } from "@lux/protocol";
import type { ArenaStore } from "@lux/object-store";
import { registeredProcesses } from "./node-state.js";
import type { ResourcePool } from "./resources.js";
import type { WorkerPool } from "./worker-pool.js";
import { MetricsServer, type MetricsServerOptions } from "./metrics-server.js";
import { MetricsTargets } from "./metrics-targets.js";
import { nodeMetricsText, type NodeMetricsParts } from "./node-metrics.js";
import { ReportedMetrics } from "./reported-metrics.js";

const log = createLogger("raylet");

export interface MetricsEndpointOptions {
  /** 0: a free port. */
  port: number;
  /** `/metrics` without the token (config metricsPublic). */
  public: boolean;
  token: string;
  sessionDir: string;
  clock: Clock;
  /** HTTPS with the node's TLS files (undefined: plain HTTP). */
  tls: TlsFiles | undefined;
  /** A TLS client that has not completed its handshake this long after it connected is dropped. */
  handshakeTimeoutMs: number;
}

/** The raylet's parts its metrics are read from, when Prometheus scrapes. */
export interface MetricsSources {
  nodeId: string;
  resources: ResourcePool;
  store: ArenaStore;
  pool: WorkerPool;
  /** The node's connected processes (workers, drivers). */
  clients: Iterable<RpcConnection<CoreWorkerService, RayletService>>;
  /** The raylet's RPC handling times, per method. */
  latencies: ReadonlyMap<string, LatencyHistogram>;
}

export class MetricsEndpoint {
  /** What the node's processes reported (reportMetrics). */
  readonly reported = new ReportedMetrics((message) => log.warn(message));
  private server: MetricsServer | undefined;
  private targets: MetricsTargets | undefined;

  constructor(private readonly options: MetricsEndpointOptions) {}

  /** HOST:PORT of `/metrics`, once started. */
  get address(): string | undefined {
    return this.server?.address;
  }

  /** Serves `/metrics` on the host of the raylet's `rpcAddress` (the node's IP address) and lists the node in targets.json. */
  async start(rpcAddress: string, sources: MetricsSources): Promise<string> {
    const { port, token, sessionDir, clock, tls } = this.options;
    const parsed = parseAddress(rpcAddress);
    const host = "host" in parsed ? parsed.host : "127.0.0.1";
    const parts = nodeMetricsParts(sources, this.reported);
    const server = await MetricsServer.listen({ host, port, token, public: this.options.public, text: () => nodeMetricsText(parts), tls: this.serverTls() });
    warnIfExposed(log, "the node's metrics server", server.address, tls !== undefined);
    this.server = server;
    try {
      this.targets = await MetricsTargets.publish({ sessionDir, nodeId: sources.nodeId, address: server.address, clock });
    } catch (e) {
      log.warn(`could not list the node in ${metricsTargetsFile(sessionDir)}: ${(e as Error).message}`);
    }
    log.info(`metrics: ${tls === undefined ? "http" : "https"}://${server.address}/metrics (listed in ${metricsTargetsFile(sessionDir)})${this.options.public ? "; open without the token (metricsPublic)" : ""}`);
    return server.address;
  }

  /** HTTPS with the node's certificate when the cluster uses TLS. */
  private serverTls(): MetricsServerOptions["tls"] {
    const files = this.options.tls;
    if (files === undefined) return undefined;
    return {
      material: loadTlsMaterial(files),
      handshakeTimeoutMs: this.options.handshakeTimeoutMs,
      onRefused: (peer, reason) => log.warn(`metrics: refused a TLS connection with ${peer}: ${reason}`),
    };
  }

  /** Takes the node out of targets.json and stops serving. */
  async close(): Promise<void> {
    await this.targets?.remove().catch((e: unknown) => log.warn(`could not remove the node from the metrics targets: ${(e as Error).message}`));
    await this.server?.close();
  }
}

function nodeMetricsParts(s: MetricsSources, reported: ReportedMetrics): NodeMetricsParts {
  return {
    nodeId: s.nodeId,
    resources: () => s.resources.view(),
    store: () => s.store.stats(),
    workers: () => ({ states: s.pool.all().map((w) => w.state), drivers: registeredProcesses(s.clients).filter((p) => p.info.driver === true).length }),
    latencies: s.latencies,
    reported,
  };
}

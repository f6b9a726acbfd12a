/**
 * A raylet's metrics (issue 16, point 6), put together: what the node's processes report, the
 * HTTP server Prometheus scrapes (on the node's IP address, port metricsPort), and the node's
 * entry in `<session dir>/metrics/targets.json`.
 */
import { createLogger, metricsTargetsFile } from "@lux/common";
import type { Clock } from "@lux/protocol";
import { MetricsServer } from "./metrics-server.js";
import { MetricsTargets } from "./metrics-targets.js";
import { nodeMetricsText, type NodeMetricsParts } from "./node-metrics.js";
import { ReportedMetrics } from "./reported-metrics.js";

const log = createLogger("raylet");

export interface MetricsEndpointOptions {
  /** 0: a free port. */
  port: number;
  token: string;
  sessionDir: string;
  clock: Clock;
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

  /** Serves `/metrics` on `host` (the node's IP address) and lists the node in targets.json. */
  async start(host: string, parts: Omit<NodeMetricsParts, "reported">): Promise<string> {
    const { port, token, sessionDir, clock } = this.options;
    const server = await MetricsServer.listen({ host, port, token, text: () => nodeMetricsText({ ...parts, reported: this.reported }) });
    this.server = server;
    try {
      this.targets = await MetricsTargets.publish({ sessionDir, nodeId: parts.nodeId, address: server.address, clock });
    } catch (e) {
      log.warn(`could not list the node in ${metricsTargetsFile(sessionDir)}: ${(e as Error).message}`);
    }
    log.info(`metrics: http://${server.address}/metrics (listed in ${metricsTargetsFile(sessionDir)})`);
    return server.address;
  }

  /** Takes the node out of targets.json and stops serving. */
  async close(): Promise<void> {
    await this.targets?.remove().catch((e: unknown) => log.warn(`could not remove the node from the metrics targets: ${(e as Error).message}`));
    await this.server?.close();
  }
}

import type { Clock, TimerHandle } from "@lux/protocol";
import { createLogger } from "@lux/common";
import type { NodeManager } from "./node-manager.js";

const log = createLogger("gcs");

/**
 * Asks every alive node's raylet for a sign of life each period. A node that has not
 * answered for the death timeout is declared dead even if its connection still looks
 * open (a hung process, a frozen machine, a network partition), and its connection is
 * closed so the raylet knows too.
 */
export class HealthChecker {
  private readonly lastSeen = new Map<string, number>();
  private timer: TimerHandle | undefined;
  private stopped = false;

  constructor(
    private readonly nodes: NodeManager,
    private readonly clock: Clock,
    /** config gcsHealthCheckPeriodMs */
    private readonly periodMs: number,
    /** config nodeDeathTimeoutMs */
    private readonly deathTimeoutMs: number,
  ) {
    nodes.onNodeAdded((info) => this.lastSeen.set(info.nodeId, this.clock.now()));
    nodes.onNodeDeath((nodeId) => this.lastSeen.delete(nodeId));
  }

  start(): void {
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
  }

  /** One round: ping every node, declare dead those silent for too long. */
  check(): void {
    const now = this.clock.now();
    for (const { info, connection } of this.nodes.alive()) {
      const seen = this.lastSeen.get(info.nodeId) ?? now;
      if (now - seen > this.deathTimeoutMs) {
        log.warn(`node ${info.nodeId.slice(0, 8)} missed its health checks for ${now - seen} ms`);
        this.nodes.markDead(info.nodeId, `no answer to health checks for ${this.deathTimeoutMs} ms`);
        connection.close(true);
        continue;
      }
      connection.call("ping", {}, this.deathTimeoutMs).then(
        () => {
          if (this.lastSeen.has(info.nodeId)) this.lastSeen.set(info.nodeId, this.clock.now());
        },
        () => undefined, // silence counts against the node; the close handler covers disconnects
      );
    }
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = this.clock.setTimeout(() => {
      this.check();
      this.schedule();
    }, this.periodMs);
    this.timer.unref();
  }
}

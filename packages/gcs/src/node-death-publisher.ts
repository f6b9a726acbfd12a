import type { CoreWorkerService, RpcConnection } from "@lux/protocol";
import type { NodeManager } from "./node-manager.js";

export type SubscriberConnection = RpcConnection<CoreWorkerService>;

/**
 * Tells subscribed core workers (owners of objects) when a node is declared dead, so they
 * can re-create the objects whose every copy was on it; and when an actor's worker stops
 * making progress (or resumes), so its callers stop queueing calls to it.
 */
export class NodeDeathPublisher {
  private readonly subscribers = new Set<SubscriberConnection>();
  private readonly dead = new Set<string>();

  constructor(nodes: NodeManager) {
    nodes.onNodeDeath((nodeId, reason) => {
      this.dead.add(nodeId);
      for (const c of this.subscribers) {
        if (c.state !== "closed") c.notify("nodeDied", { nodeId, reason });
      }
    });
  }

  /** Tells every subscriber that an actor's worker stopped making progress, or makes progress again. */
  actorAvailability(actorId: string, available: boolean): void {
    for (const c of this.subscribers) {
      if (c.state !== "closed") c.notify("actorAvailability", { actorId, available });
    }
  }

  /** Adds a subscriber (until its connection closes); returns the nodes dead so far. */
  subscribe(connection: SubscriberConnection): string[] {
    if (!this.subscribers.has(connection)) {
      this.subscribers.add(connection);
      connection.onClose(() => this.subscribers.delete(connection));
    }
    return [...this.dead];
  }
}

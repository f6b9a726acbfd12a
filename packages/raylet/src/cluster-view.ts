import type { Clock, NodeResources, ResourceSet, TimerHandle } from "@lux/protocol";
import { lessReserved } from "@lux/common";

interface RemoteNode {
  /** As the node last reported it. */
  reported: NodeResources;
  /** Spilled to it since that report, each counted until `until` (clock.now()). */
  reservations: { resources: ResourceSet; until: number }[];
}

export interface ClusterViewDeps {
  /** This node's id: the control service's pushes include it, the live local view wins. */
  localId: string;
  /** This node's resources, live. */
  local: () => NodeResources;
  /** Times the lapse of reservations. */
  clock: Clock;
  /**
   * How long resources counted as taken on a node by a spillback stay counted when the node
   * sends no report (config spillbackReservationLapseMs). A spilled request that is granted
   * makes the node report (within its resourceReportIntervalMs batching) long before this;
   * one withdrawn or answered elsewhere before the node granted it changes nothing there,
   * so no report would ever undo it.
   */
  reservationLapseMs: number;
}

/**
 * This raylet's copy of the cluster resource view: other nodes as the control service
 * last pushed them (minus what this raylet spilled to them since, for a while), and the
 * local node live.
 */
export class ClusterView {
  private readonly remote = new Map<string, RemoteNode>();
  private readonly listeners: (() => void)[] = [];
  private expiryTimer: TimerHandle | undefined;
  private readonly localId: string;
  private readonly local: () => NodeResources;
  private readonly clock: Clock;
  private readonly reservationLapseMs: number;
  /** This node is being drained: it is left out of the nodes work may go to. */
  private localDraining = false;

  constructor(deps: ClusterViewDeps) {
    this.localId = deps.localId;
    this.local = deps.local;
    this.clock = deps.clock;
    this.reservationLapseMs = deps.reservationLapseMs;
  }

  /** Nodes that changed; `full` replaces the whole view. Dead nodes leave it. */
  update(nodes: readonly NodeResources[], full: boolean): void {
    if (full) this.remote.clear();
    for (const n of nodes) {
      if (n.nodeId === this.localId) continue;
      // A node being drained takes no new work: out of the view, as if it were gone.
      if (n.alive && n.draining !== true) this.remote.set(n.nodeId, { reported: { ...n, total: { ...n.total }, available: { ...n.available } }, reservations: [] });
      else this.remote.delete(n.nodeId);
    }
    this.changed();
  }

  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** Alive nodes, the local one first. */
  nodes(): NodeResources[] {
    const now = this.clock.now();
    const out = this.localDraining ? [] : [this.local()];
    for (const r of this.remote.values()) {
      if (r.reservations.length > 0) r.reservations = r.reservations.filter((x) => x.until > now);
      if (r.reservations.length === 0) {
        out.push(r.reported);
        continue;
      }
      out.push({ ...r.reported, available: lessReserved(r.reported.available, r.reservations) });
    }
    return out;
  }

  /**
   * A lease was spilled to the node: count its resources as taken until the node reports
   * again, or for reservationLapseMs if it does not (the request may never be granted there).
   */
  setLocalDraining(on: boolean): void {
    this.localDraining = on;
    this.changed();
  }

  reserve(nodeId: string, req: ResourceSet): void {
    const r = this.remote.get(nodeId);
    if (r === undefined) return;
    const until = this.clock.now() + this.reservationLapseMs;
    r.reservations.push({ resources: req, until });
    if (this.expiryTimer === undefined) this.armExpiry(this.reservationLapseMs);
  }

  close(): void {
    this.expiryTimer?.cancel();
    this.expiryTimer = undefined;
  }

  /** Once reservations lapse the nodes look freer: placement looks again (queued requests may spill). */
  private armExpiry(ms: number): void {
    this.expiryTimer = this.clock
      .setTimeout(() => {
        this.expiryTimer = undefined;
        const now = this.clock.now();
        let next = Infinity;
        for (const r of this.remote.values()) for (const x of r.reservations) if (x.until > now) next = Math.min(next, x.until);
        if (next !== Infinity) this.armExpiry(next - now);
        this.changed();
      }, ms)
      .unref();
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }
}

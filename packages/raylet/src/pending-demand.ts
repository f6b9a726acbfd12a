/**
 * Pending demand: the lease requests queued at a raylet, by shape, with the backlogs their
 * owners reported. An owner sends at most maxPendingLeaseRequests requests per shape; the
 * tasks it queues beyond them ride on its newest request as `backlog`, so a driver with
 * 1,000 queued tasks counts as 1,000 (what `lux status` shows and the autoscaler packs).
 */
import type { CoreWorkerService, DemandEntry, LeaseRequest, RpcConnection } from "@lux/protocol";

export interface QueuedLease {
  req: LeaseRequest;
  requester: RpcConnection<CoreWorkerService>;
  /** Tasks its owner queues beyond its requests (set on the owner's newest request of a shape only). */
  backlog: number;
}

/** Requests of one shape: the same resources and label selector. */
export function shapeKey(req: LeaseRequest): string {
  const resources = JSON.stringify(req.resources);
  return req.labelSelector === undefined ? resources : `${resources} ${JSON.stringify(req.labelSelector)}`;
}

/**
 * `p` now carries its owner's backlog for its shape: the owner's other requests of that shape
 * queued here stop carrying one (their figure is older).
 */
export function setBacklog(queue: readonly QueuedLease[], p: QueuedLease, backlog: number): void {
  const key = shapeKey(p.req);
  for (const q of queue) if (q !== p && q.backlog > 0 && q.requester === p.requester && shapeKey(q.req) === key) q.backlog = 0;
  p.backlog = backlog;
}

/** Queued requests and their backlogs by shape; `infeasible(key)`: no node can ever run the shape. */
export function demandOf(queue: readonly QueuedLease[], infeasible: (key: string) => boolean): DemandEntry[] {
  const byShape = new Map<string, DemandEntry>();
  for (const p of queue) {
    const key = shapeKey(p.req);
    const entry = byShape.get(key);
    if (entry !== undefined) entry.count += 1 + p.backlog;
    else {
      byShape.set(key, {
        resources: p.req.resources,
        count: 1 + p.backlog,
        infeasible: infeasible(key),
        kind: p.req.actorId !== undefined ? "actor" : "task",
        ...(p.req.labelSelector !== undefined ? { labelSelector: p.req.labelSelector } : {}),
      });
    }
  }
  return [...byShape.values()];
}

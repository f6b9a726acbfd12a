import assert from "node:assert/strict";
import { test } from "node:test";
import { FakeClock, type LeaseReply, type LeaseRequest } from "@lux/protocol";
import { defaultConfig } from "@lux/common";
import { ClusterView } from "../src/cluster-view.js";
import { LeaseManager, type Requester } from "../src/lease-manager.js";
import { ResourcePool } from "../src/resources.js";
import type { WorkerPool } from "../src/worker-pool.js";

/** Node A (1 CPU, busy) with a lease manager on a fake clock; nodes join its view with `join`. */
// The manager and view are built with these (small enough to show they are not constants).
const config = defaultConfig({ followedSpillbackRespillMs: 300, spillbackReservationLapseMs: 700 });
const RESPILL_FOLLOWED_AFTER_MS = config.followedSpillbackRespillMs;
const RESERVATION_TTL_MS = config.spillbackReservationLapseMs;

function nodeA(): { manager: LeaseManager; clock: FakeClock; join(nodeId: string, cpus: number): void } {
  const clock = new FakeClock();
  const resources = new ResourcePool({ CPU: 1 });
  resources.acquire({ CPU: 1 });
  const view = new ClusterView({ localId: "A", local: () => ({ nodeId: "A", address: "a:1", alive: true, ...resources.view() }), clock, reservationLapseMs: RESERVATION_TTL_MS });
  const noWorkers = {} as WorkerPool; // nothing is granted here: A stays busy
  const manager = new LeaseManager({
    nodeId: "A",
    resources,
    pool: noWorkers,
    jobInfo: () => Promise.reject(new Error("no jobs")),
    view,
    lookupNode: () => Promise.resolve(undefined),
    clock,
    config,
  });
  return {
    manager,
    clock,
    join: (nodeId, cpus) =>
      view.update([{ nodeId, address: `${nodeId}:1`, alive: true, total: { CPU: cpus }, available: { CPU: cpus } }], false),
  };
}

const requester = { state: "open" } as unknown as Requester;
let nextRequest = 0;
const request = (noSpillback: boolean): LeaseRequest => ({
  requestId: `r-${nextRequest++}`,
  jobId: "job",
  resources: { CPU: 1 },
  description: "task f",
  ...(noSpillback ? { noSpillback } : {}),
});
/** The reply once promise callbacks have run, or undefined if it is still pending. */
const settledSoon = async (p: Promise<LeaseReply>): Promise<LeaseReply | undefined> => {
  let reply: LeaseReply | undefined;
  void p.then((r) => (reply = r));
  await new Promise((r) => setImmediate(r));
  return reply;
};

test("a queued request spills to a node that joins with room", async () => {
  const a = nodeA();
  const pending = a.manager.request(request(false), requester);
  assert.equal(await settledSoon(pending), undefined, "queued while no node has room");
  a.join("B", 1);
  assert.deepEqual(await settledSoon(pending), { spillback: { nodeId: "B", address: "B:1" } });
});

test("a request that followed a spillback here stays a moment, then moves to a node with room", async () => {
  const a = nodeA();
  const pending = a.manager.request(request(true), requester);
  a.join("B", 1);
  assert.equal(await settledSoon(pending), undefined, "not moved at once (the view it came on may be stale)");
  a.clock.advance(RESPILL_FOLLOWED_AFTER_MS - 1);
  assert.equal(await settledSoon(pending), undefined, "not moved before its time");
  a.clock.advance(1);
  assert.deepEqual(await settledSoon(pending), { spillback: { nodeId: "B", address: "B:1" } });
});

test("a request that followed a spillback here does not move to a node without room", async () => {
  const a = nodeA();
  const req = request(true);
  const pending = a.manager.request(req, requester);
  a.join("B", 0.5); // room for half a CPU only
  a.clock.advance(RESPILL_FOLLOWED_AFTER_MS * 2); // well past the moment it may move
  assert.equal(await settledSoon(pending), undefined);
  assert.equal(a.clock.pendingTimers, 0, "nothing more is scheduled for it");
  assert.equal(a.manager.cancel(req.requestId), true);
  assert.deepEqual(await pending, { cancelled: true });
});

test("a request queued behind a spillback moves to that node once the spillback's reservation lapses", async () => {
  const a = nodeA();
  a.join("B", 1);
  const first = a.manager.request(request(false), requester);
  assert.deepEqual(await settledSoon(first), { spillback: { nodeId: "B", address: "B:1" } });
  // B's CPU now counts as taken by the first request: the second waits here.
  const second = a.manager.request(request(false), requester);
  assert.equal(await settledSoon(second), undefined);
  a.clock.advance(RESERVATION_TTL_MS - 1);
  assert.equal(await settledSoon(second), undefined, "B still looks full");
  // The first was never granted there (B sends no report): its reservation lapses and B looks free.
  a.clock.advance(1);
  assert.deepEqual(await settledSoon(second), { spillback: { nodeId: "B", address: "B:1" } });
});

import assert from "node:assert/strict";
import { test } from "node:test";
import type { LeaseReply, LeaseRequest } from "@lux/protocol";
import { ClusterView } from "../src/cluster-view.js";
import { LeaseManager, type Requester } from "../src/lease-manager.js";
import { ResourcePool } from "../src/resources.js";
import type { WorkerPool } from "../src/worker-pool.js";

/** Node A (1 CPU, busy) with a lease manager; nodes join its view with `join`. */
function nodeA(): { manager: LeaseManager; join(nodeId: string, cpus: number): void } {
  const resources = new ResourcePool({ CPU: 1 });
  resources.acquire({ CPU: 1 });
  const view = new ClusterView("A", () => ({ nodeId: "A", address: "a:1", alive: true, ...resources.view() }));
  const noWorkers = {} as WorkerPool; // nothing is granted here: A stays busy
  const manager = new LeaseManager("A", resources, noWorkers, () => Promise.reject(new Error("no jobs")), {
    view,
    lookupNode: () => Promise.resolve(undefined),
  });
  return {
    manager,
    join: (nodeId, cpus) =>
      view.update([{ nodeId, address: `${nodeId}:1`, alive: true, total: { CPU: cpus }, available: { CPU: cpus } }], false),
  };
}

const requester = { state: "open" } as unknown as Requester;
const request = (noSpillback: boolean): LeaseRequest => ({
  requestId: `r-${Math.random()}`,
  jobId: "job",
  resources: { CPU: 1 },
  description: "task f",
  ...(noSpillback ? { noSpillback } : {}),
});
const settledSoon = async (p: Promise<LeaseReply>): Promise<LeaseReply | undefined> => {
  let reply: LeaseReply | undefined;
  void p.then((r) => (reply = r));
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  return reply;
};

/** `p`, or a rejection after `ms` (the timer also keeps the event loop alive: the manager's own timers do not). */
function withDeadline<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`not settled within ${ms} ms`)), ms);
  });
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}

test("a queued request spills to a node that joins with room", async () => {
  const a = nodeA();
  const pending = a.manager.request(request(false), requester);
  assert.equal(await settledSoon(pending), undefined, "queued while no node has room");
  a.join("B", 1);
  assert.deepEqual(await settledSoon(pending), { spillback: { nodeId: "B", address: "B:1" } });
});

test("a request that followed a spillback here stays a moment, then moves to a node with room", async () => {
  const a = nodeA();
  const started = Date.now();
  const pending = a.manager.request(request(true), requester);
  a.join("B", 1);
  assert.equal(await settledSoon(pending), undefined, "not moved at once (the view it came on may be stale)");
  const reply = await withDeadline(pending, 5000);
  assert.deepEqual(reply, { spillback: { nodeId: "B", address: "B:1" } });
  assert.ok(Date.now() - started >= 450, "it waited before moving on");
});

test("a request that followed a spillback here does not move to a node without room", async () => {
  const a = nodeA();
  const req = request(true);
  const pending = a.manager.request(req, requester);
  a.join("B", 0.5); // room for half a CPU only
  // Past the moment it may move (no event to wait for: the absence of a move is the point).
  await new Promise((r) => setTimeout(r, 700));
  assert.equal(await settledSoon(pending), undefined);
  assert.equal(a.manager.cancel(req.requestId), true);
  assert.deepEqual(await pending, { cancelled: true });
});

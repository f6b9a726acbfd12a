/**
 * The raylet's LeaseManager with a fake worker pool, a cluster view fed by hand, requesters
 * that are connections to FakeWorkers (owners), and a FakeClock: grant order, spillback
 * decisions, infeasible requests, cancellation, worker death and failed starts, and
 * requesters that go away.
 */
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { afterEach, describe, test } from "node:test";
import { FakeClock, type CoreWorkerService, type JobInfo, type LeaseGrant, type LeaseReply, type LeaseRequest, type NodeResources, type ResourceSet } from "@lux/protocol";
import { LuxError, NodeAffinityError, PlacementGroupRemovedError, defaultConfig } from "@lux/common";
import { FakeNetwork, FakeWorker, settle } from "@lux/testing";
import { ClusterView } from "../src/cluster-view.js";
import { LeaseManager, type Requester } from "../src/lease-manager.js";
import { ResourcePool } from "../src/resources.js";
import { BundleReservations } from "../src/bundle-reservations.js";
import type { WorkerHandle, WorkerPool } from "../src/worker-pool.js";

/** Hands out worker handles (no process) and records what comes back; `acquire` can be made to fail or wait. */
class FakePool implements Pick<WorkerPool, "acquire" | "release"> {
  started = 0;
  readonly released: { workerId: string; kill: boolean }[] = [];
  /** The next acquire fails with this. */
  failNext: Error | undefined;
  /** While set, acquires wait until `release()` of this gate is called. */
  private gate: Promise<void> | undefined;
  private open: (() => void) | undefined;

  acquire(job: JobInfo): Promise<WorkerHandle> {
    const fail = this.failNext;
    this.failNext = undefined;
    const n = ++this.started;
    const ready = this.gate ?? Promise.resolve();
    return ready.then(() => {
      if (fail !== undefined) throw fail;
      return {
        workerId: `w${n}`,
        jobId: job.jobId,
        envKey: "",
        process: undefined as unknown as ChildProcess, // the lease manager never touches the process
        state: "leased",
        address: `worker-${n}:1`,
        socketPath: undefined,
        idleSince: 0,
        outlivesJob: false,
        retiring: false,
        unresponsive: false,
      };
    });
  }

  release(worker: WorkerHandle, kill: boolean): void {
    this.released.push({ workerId: worker.workerId, kill });
  }

  /** Acquires wait from now on until `let()` is called. */
  holdStarts(): void {
    this.gate = new Promise((resolve) => (this.open = resolve));
  }

  let(): void {
    this.gate = undefined;
    this.open?.();
  }
}

// The manager and view are built with these (small enough to show they are not constants).
const config = defaultConfig({ followedSpillbackRespillMs: 300, spillbackReservationLapseMs: 700 });
const RESPILL_FOLLOWED_AFTER_MS = config.followedSpillbackRespillMs;
const RESERVATION_TTL_MS = config.spillbackReservationLapseMs;

const JOB: JobInfo = { jobId: "job", namespace: "ns", driverAddress: "driver:1", execArgv: [], cwd: "/", env: {}, entryUrl: undefined };

interface Node {
  manager: LeaseManager;
  clock: FakeClock;
  pool: FakePool;
  resources: ResourcePool;
  /** An owner: a FakeWorker (it records the warnings the raylet sends it) and the raylet's connection from it. */
  owner(): Promise<{ worker: FakeWorker; requester: Requester }>;
  join(nodeId: string, cpus: number, extra?: ResourceSet, labels?: Record<string, string>, memoryPressure?: boolean): void;
  request(resources?: ResourceSet, extra?: Partial<LeaseRequest>): Promise<LeaseReply>;
  /** The default requester. */
  requester: Requester;
  ownerWorker: FakeWorker;
  /** Nodes the control service knows but the view does not have yet. */
  known: Map<string, NodeResources>;
  /** This node's placement-group bundles. */
  bundles: BundleReservations;
  /** Placement groups the control service says are removed. */
  removedGroups: Set<string>;
}

let networks: FakeNetwork[] = [];
afterEach(() => {
  for (const n of networks) n.close();
  networks = [];
});

/**
 * Node A with `cpus` CPUs (all free, or `busy` taken) and a lease manager on a fake clock; other
 * nodes join its view with `join`. `memory.pressure`: what A's raylet says of its memory.
 */
async function nodeA(cpus = 1, busy = 0, labels: Record<string, string> = {}, memory = { pressure: false }): Promise<Node> {
  const clock = new FakeClock();
  const net = new FakeNetwork({ clock });
  networks.push(net);
  const resources = new ResourcePool({ CPU: cpus });
  if (busy > 0) resources.acquire({ CPU: busy });
  const view = new ClusterView({
    localId: "A",
    local: () => ({ nodeId: "A", address: "a:1", alive: true, labels, ...resources.view(), ...(memory.pressure ? { memoryPressure: true } : {}) }),
    clock,
    reservationLapseMs: RESERVATION_TTL_MS,
  });
  const pool = new FakePool();
  const known = new Map<string, NodeResources>();
  const bundles = new BundleReservations(resources, clock, 60_000);
  const removedGroups = new Set<string>();
  const manager = new LeaseManager({
    nodeId: "A",
    labels,
    resources,
    pool,
    jobInfo: () => Promise.resolve(JOB),
    view,
    lookupNode: (nodeId) => Promise.resolve(known.get(nodeId)),
    bundles,
    placementGroupRemoved: (id) => Promise.resolve(removedGroups.has(id)),
    clock,
    config,
  });
  const owner = async (): Promise<{ worker: FakeWorker; requester: Requester }> => {
    const worker = new FakeWorker(net);
    return { worker, requester: await net.connect<CoreWorkerService>(worker.address) };
  };
  const first = await owner();
  let nextRequest = 0;
  return {
    manager,
    clock,
    pool,
    resources,
    owner,
    requester: first.requester,
    ownerWorker: first.worker,
    known,
    bundles,
    removedGroups,
    join: (nodeId, n, extra = {}, nodeLabels = {}, memoryPressure = false) =>
      view.update(
        [{ nodeId, address: `${nodeId}:1`, alive: true, total: { CPU: n, ...extra }, available: { CPU: n, ...extra }, labels: nodeLabels, ...(memoryPressure ? { memoryPressure } : {}) }],
        false,
      ),
    request: (res = { CPU: 1 }, extra = {}) =>
      manager.request({ requestId: `r-${nextRequest++}`, jobId: "job", resources: res, description: "task f", ...extra }, first.requester),
  };
}

/** The reply once promise callbacks have run, or undefined if it is still pending. */
const settledSoon = async (p: Promise<LeaseReply>): Promise<LeaseReply | undefined> => {
  let reply: LeaseReply | undefined;
  void p.then(
    (r) => (reply = r),
    () => undefined,
  );
  await settle();
  return reply;
};

const granted = (reply: LeaseReply | undefined): LeaseGrant => {
  assert.ok(reply !== undefined && "leaseId" in reply, `granted: ${JSON.stringify(reply)}`);
  return reply;
};

describe("LeaseManager: granting", () => {
  test("requests that wait for resources are granted in arrival order as leases come back", async () => {
    const a = await nodeA(1);
    const [r1, r2, r3] = [a.request(), a.request(), a.request()];
    const first = granted(await settledSoon(r1));
    assert.equal(first.nodeId, "A");
    assert.equal(first.workerAddress, "worker-1:1");
    assert.equal(await settledSoon(r2), undefined);
    assert.equal(await settledSoon(r3), undefined);
    a.manager.return(first.leaseId, false);
    const second = granted(await settledSoon(r2));
    assert.equal(await settledSoon(r3), undefined, "the second came first");
    assert.deepEqual(a.pool.released, [{ workerId: first.workerId, kill: false }]);
    a.manager.return(second.leaseId, true);
    granted(await settledSoon(r3));
    assert.deepEqual(a.pool.released.at(-1), { workerId: second.workerId, kill: true }, "a lease returned with disconnect kills its worker");
  });

  test("a lease whose worker exits frees its resources for the next request", async () => {
    const a = await nodeA(1);
    const first = granted(await settledSoon(a.request()));
    const next = a.request();
    assert.equal(await settledSoon(next), undefined);
    const lease = a.manager.leaseOf(first.workerId);
    assert.ok(lease !== undefined);
    a.manager.workerExited(lease.worker);
    granted(await settledSoon(next));
    assert.equal(a.manager.leaseOf(first.workerId), undefined);
    a.manager.return(first.leaseId, false); // the owner's late return of the dead lease changes nothing
    assert.deepEqual(a.pool.released, []);
  });

  test("a worker that cannot start fails its request, and the resources go to the next one", async () => {
    const a = await nodeA(1);
    a.pool.failNext = new LuxError("worker process exited with code 1 before it registered");
    const first = a.request();
    const second = a.request();
    await assert.rejects(first, /before it registered/);
    granted(await settledSoon(second));
  });

  test("a lease whose worker is still starting keeps the node busy (the autoscaler must not end it)", async () => {
    const a = await nodeA(1);
    a.clock.advance(60_000);
    assert.deepEqual(a.manager.activity(), { leases: 0, idleForMs: 60_000 });
    a.pool.holdStarts();
    const pending = a.request();
    await settle();
    a.clock.advance(30_000); // a slow start
    assert.deepEqual(a.manager.activity(), { leases: 1, idleForMs: 0 });
    a.pool.let();
    const lease = granted(await settledSoon(pending));
    assert.deepEqual(a.manager.activity(), { leases: 1, idleForMs: 0 });
    a.manager.return(lease.leaseId, false);
    a.clock.advance(5_000);
    assert.deepEqual(a.manager.activity(), { leases: 0, idleForMs: 5_000 }, "idle from the lease's end, not from before it");
  });

  test("a blocked worker's CPU goes to the next request while it waits", async () => {
    const a = await nodeA(1);
    const first = granted(await settledSoon(a.request()));
    const next = a.request();
    assert.equal(await settledSoon(next), undefined);
    a.manager.setBlocked(first.workerId, true);
    granted(await settledSoon(next));
  });
});

describe("LeaseManager: cancellation and requesters", () => {
  test("a queued request withdrawn by its requester is answered { cancelled: true }; a granted one cannot be withdrawn", async () => {
    const a = await nodeA(1);
    const g = a.request({ CPU: 1 }, { requestId: "granted" });
    const q = a.request({ CPU: 1 }, { requestId: "queued" });
    granted(await settledSoon(g));
    assert.equal(a.manager.cancel("queued"), true);
    assert.deepEqual(await q, { cancelled: true });
    assert.equal(a.manager.cancel("queued"), false, "once");
    assert.equal(a.manager.cancel("granted"), false);
    assert.deepEqual(a.manager.demand(), []);
  });

  test("a requester that disconnects loses its queued requests and its leases, which go to others", async () => {
    const a = await nodeA(1);
    const other = await a.owner();
    const held = granted(await settledSoon(a.request()));
    const mine = a.request();
    const theirs = a.manager.request({ requestId: "theirs", jobId: "job", resources: { CPU: 1 }, description: "task g" }, other.requester);
    a.manager.requesterGone(a.requester);
    assert.deepEqual(a.pool.released, [{ workerId: held.workerId, kill: true }]);
    granted(await settledSoon(theirs));
    assert.equal(await settledSoon(mine), undefined, "dropped, never granted");
  });

  test("Ray test_fate_sharing: a job that ended has its queued requests answered { cancelled: true } (detached actors' kept); other jobs' go on", async () => {
    const a = await nodeA(1);
    const held = granted(await settledSoon(a.request()));
    const task = a.request({ CPU: 1 }, { requestId: "task" });
    const actor = a.request({ CPU: 1 }, { requestId: "actor", actorId: "act-1" });
    const detached = a.request({ CPU: 1 }, { requestId: "detached", actorId: "act-2", detachedActor: true });
    const other = a.request({ CPU: 1 }, { requestId: "other", jobId: "job-2" });
    a.manager.jobFinished("job");
    assert.deepEqual(await task, { cancelled: true });
    assert.deepEqual(await actor, { cancelled: true });
    assert.deepEqual(a.manager.demand(), [{ resources: { CPU: 1 }, count: 2, infeasible: false, kind: "actor" }]);
    a.manager.return(held.leaseId, false);
    granted(await settledSoon(detached));
    assert.equal(await settledSoon(other), undefined, "queued behind the detached actor's");
  });

  test("a worker started for a requester that disconnected meanwhile goes back to the pool", async () => {
    const a = await nodeA(1);
    a.pool.holdStarts();
    const pending = a.request();
    await settle();
    a.requester.close();
    await settle();
    a.pool.let();
    assert.equal(await settledSoon(pending), undefined);
    assert.deepEqual(a.pool.released, [{ workerId: "w1", kill: false }]);
    assert.deepEqual(a.resources.view().available, { CPU: 1 }, "its CPU is free again");
  });
});

describe("LeaseManager: spillback", () => {
  test("the local node takes work until localBusyThreshold (half) used, then the least-loaded node of the view", async () => {
    const a = await nodeA(4);
    a.join("B", 4);
    const replies = [await settledSoon(a.request()), await settledSoon(a.request()), await settledSoon(a.request())];
    assert.equal(granted(replies[0]).nodeId, "A");
    assert.equal(granted(replies[1]).nodeId, "A");
    assert.deepEqual(replies[2], { spillback: { nodeId: "B", address: "B:1" } }, "A is half used: B is the least loaded");
  });

  test("a request no node can ever run stays queued here, its requester warned once, until a node that can joins", async () => {
    const a = await nodeA(1);
    const first = a.request({ GPU: 1 });
    const second = a.request({ GPU: 1 });
    assert.equal(await settledSoon(first), undefined);
    assert.equal(await settledSoon(second), undefined);
    const warnings = a.ownerWorker.received("logWarning");
    assert.equal(warnings.length, 1, "warned once per shape");
    assert.match(warnings[0]?.message ?? "", /no node in the cluster can provide/);
    assert.deepEqual(a.manager.demand(), [{ resources: { GPU: 1 }, count: 2, infeasible: true, kind: "task" }]);
    a.join("G", 1, { GPU: 1 });
    assert.deepEqual(await settledSoon(first), { spillback: { nodeId: "G", address: "G:1" } });
  });

  test("a label selector no node matches: queued here (never granted here), warned once per shape, spilled to a matching node that joins", async () => {
    const a = await nodeA(4, 0, { zone: "a" });
    a.join("B", 4, {}, { zone: "b" });
    const selector = { labelSelector: { zone: "c" } };
    const first = a.request({ CPU: 1 }, selector);
    const second = a.request({ CPU: 1 }, selector);
    const other = a.request({ CPU: 1 }, { labelSelector: { zone: "!a" } });
    assert.equal(await settledSoon(first), undefined, "A has room but its labels do not match");
    assert.equal(await settledSoon(second), undefined);
    assert.deepEqual(await settledSoon(other), { spillback: { nodeId: "B", address: "B:1" } }, "!a: only B matches");
    const warnings = a.ownerWorker.received("logWarning");
    assert.equal(warnings.length, 1, "warned once per shape (resources and selector)");
    assert.match(warnings[0]?.message ?? "", /task f requests \{"CPU":1\} on a node whose labels match \{"zone":"c"\}, which no node in the cluster can provide/);
    assert.deepEqual(a.manager.demand(), [{ resources: { CPU: 1 }, count: 2, infeasible: true, kind: "task", labelSelector: { zone: "c" } }]);
    assert.equal(granted(await settledSoon(a.request({ CPU: 1 }))).nodeId, "A", "work without a selector still runs here");
    a.join("C", 1, {}, { zone: "c" });
    assert.deepEqual(await settledSoon(first), { spillback: { nodeId: "C", address: "C:1" } });
  });

  test("a followed spillback (noSpillback) whose selector does not match here is not granted here", async () => {
    const a = await nodeA(2, 0, { zone: "a" });
    a.join("B", 2, {}, { zone: "b" });
    const reply = await settledSoon(a.request({ CPU: 1 }, { labelSelector: { zone: "b" }, noSpillback: true }));
    assert.deepEqual(reply, { spillback: { nodeId: "B", address: "B:1" } });
    assert.equal(granted(await settledSoon(a.request({ CPU: 1 }, { labelSelector: { zone: "in(a,b)" }, noSpillback: true }))).nodeId, "A");
  });

  test("a request pinned to a node the view lacks asks the control service; one it does not know fails with NodeAffinityError", async () => {
    const a = await nodeA(1);
    a.known.set("late", { nodeId: "late", address: "late:1", alive: true, total: { CPU: 1 }, available: { CPU: 1 } });
    const toLate = await a.request({ CPU: 1 }, { strategy: { nodeId: "late", soft: false } });
    assert.deepEqual(toLate, { spillback: { nodeId: "late", address: "late:1" } }, "joined a moment ago: found and spilled to");
    await assert.rejects(a.request({ CPU: 1 }, { strategy: { nodeId: "nowhere", soft: false } }), (e) => e instanceof NodeAffinityError);
  });

  test("a queued request spills to a node that joins with room", async () => {
    const a = await nodeA(1, 1);
    const pending = a.request();
    assert.equal(await settledSoon(pending), undefined, "queued while no node has room");
    a.join("B", 1);
    assert.deepEqual(await settledSoon(pending), { spillback: { nodeId: "B", address: "B:1" } });
  });

  test("a request that followed a spillback here stays a moment, then moves to a node with room", async () => {
    const a = await nodeA(1, 1);
    const pending = a.request({ CPU: 1 }, { noSpillback: true });
    a.join("B", 1);
    assert.equal(await settledSoon(pending), undefined, "not moved at once (the view it came on may be stale)");
    a.clock.advance(RESPILL_FOLLOWED_AFTER_MS - 1);
    assert.equal(await settledSoon(pending), undefined, "not moved before its time");
    a.clock.advance(1);
    assert.deepEqual(await settledSoon(pending), { spillback: { nodeId: "B", address: "B:1" } });
  });

  test("a request that followed a spillback here does not move to a node without room", async () => {
    const a = await nodeA(1, 1);
    const pending = a.request({ CPU: 1 }, { noSpillback: true, requestId: "followed" });
    a.join("B", 0.5); // room for half a CPU only
    a.clock.advance(RESPILL_FOLLOWED_AFTER_MS * 2); // well past the moment it may move
    assert.equal(await settledSoon(pending), undefined);
    assert.equal(a.clock.pendingTimers, 0, "nothing more is scheduled for it");
    assert.equal(a.manager.cancel("followed"), true);
    assert.deepEqual(await pending, { cancelled: true });
  });

  test("a request queued behind a spillback moves to that node once the spillback's reservation lapses", async () => {
    const a = await nodeA(1, 1);
    a.join("B", 1);
    const first = a.request();
    assert.deepEqual(await settledSoon(first), { spillback: { nodeId: "B", address: "B:1" } });
    // B's CPU now counts as taken by the first request: the second waits here.
    const second = a.request();
    assert.equal(await settledSoon(second), undefined);
    a.clock.advance(RESERVATION_TTL_MS - 1);
    assert.equal(await settledSoon(second), undefined, "B still looks full");
    // The first was never granted there (B sends no report): its reservation lapses and B looks free.
    a.clock.advance(1);
    assert.deepEqual(await settledSoon(second), { spillback: { nodeId: "B", address: "B:1" } });
  });
});

describe("LeaseManager: placement groups", () => {
  const inBundle = (index: number) => ({ [`CPU_group_${index}_pg-1`]: 1, "CPU_group_pg-1": 1, [`bundle_group_${index}_pg-1`]: 0.001, "bundle_group_pg-1": 0.001 });
  const group = { placementGroupId: "pg-1", bundleIndex: 0 };

  test("work in a pending group waits without the infeasible warning, and is granted once the bundle is committed", async () => {
    const a = await nodeA(2);
    const r = a.request(inBundle(0), group);
    assert.equal(await settledSoon(r), undefined);
    assert.equal(a.ownerWorker.received("logWarning").length, 0, "a pending group is not infeasible");
    a.bundles.prepare("pg-1", [{ index: 0, resources: { CPU: 1 } }]);
    a.bundles.commit("pg-1");
    a.manager.resourcesAdded();
    granted(await settledSoon(r));
  });

  test("removal fails the group's queued requests and kills its leases' workers; later requests fail at once", async () => {
    const a = await nodeA(2);
    a.bundles.prepare("pg-1", [{ index: 0, resources: { CPU: 1 } }]);
    a.bundles.commit("pg-1");
    const lease = granted(await settledSoon(a.request(inBundle(0), group)));
    const queued = a.request(inBundle(0), group);
    const outside = granted(await settledSoon(a.request()));
    assert.equal(await settledSoon(queued), undefined, "bundle 0 is full");
    a.bundles.release("pg-1");
    a.manager.placementGroupRemoved("pg-1");
    await assert.rejects(queued, PlacementGroupRemovedError);
    assert.deepEqual(a.pool.released, [{ workerId: lease.workerId, kill: true }], "only the group's worker is killed");
    assert.notEqual(outside.workerId, lease.workerId);
    await assert.rejects(a.request(inBundle(0), group), PlacementGroupRemovedError);
  });

  test("a request for a group no node holds fails when the control service says it was removed", async () => {
    const a = await nodeA(1);
    a.removedGroups.add("pg-1");
    await assert.rejects(a.request(inBundle(0), group), (e: unknown) => e instanceof PlacementGroupRemovedError && /task f/.test(e.message));
  });
});

describe("LeaseManager: SPREAD", () => {
  const whereTo = (reply: LeaseReply | undefined): string =>
    reply !== undefined && "spillback" in reply ? reply.spillback.nodeId : reply !== undefined && "leaseId" in reply ? reply.nodeId : String(reply);

  test("successive SPREAD requests of a job go round-robin over the nodes, whatever their load; each job has its own turn", async () => {
    const a = await nodeA(8);
    a.join("B", 8);
    a.join("C", 8);
    const spread = (jobId = "job"): Promise<LeaseReply> => a.request({ CPU: 0.1 }, { strategy: "SPREAD", jobId });
    const got: string[] = [];
    for (let i = 0; i < 9; i++) got.push(whereTo(await settledSoon(spread())));
    // The spills count as load on B and C, and A grants its own: the turn goes on regardless.
    assert.deepEqual(got, ["A", "B", "C", "A", "B", "C", "A", "B", "C"]);
    assert.equal(whereTo(await settledSoon(spread("other"))), "A", "another job starts its own turn");
    assert.equal(whereTo(await settledSoon(spread())), "A", "the first job's turn went on from C");
  });

  test("a job's turn is forgotten when it finishes", async () => {
    const a = await nodeA(8);
    a.join("B", 8);
    const spread = (): Promise<LeaseReply> => a.request({ CPU: 0.1 }, { strategy: "SPREAD" });
    assert.equal(whereTo(await settledSoon(spread())), "A");
    a.manager.jobFinished("job");
    assert.equal(whereTo(await settledSoon(spread())), "A");
  });
});

describe("LeaseManager: memory pressure", () => {
  /** Node A with its memory above its threshold (as its monitor says, and its view shows). */
  async function pressed(cpus = 2): Promise<Node & { memory: { pressure: boolean } }> {
    const memory = { pressure: true };
    const a = await nodeA(cpus, 0, {}, memory);
    a.manager.setMemoryPressure(true);
    return Object.assign(a, { memory });
  }

  test("above its threshold a node grants nothing: requests go to a node with room, or wait until it is below again", async () => {
    const a = await pressed();
    const first = a.request();
    assert.equal(await settledSoon(first), undefined, "no node has room: it waits, though A has free CPUs");
    a.join("B", 1);
    assert.deepEqual(await settledSoon(first), { spillback: { nodeId: "B", address: "B:1" } }, "a node with room joined");
    const second = a.request();
    assert.equal(await settledSoon(second), undefined, "B's CPU is taken by the first");
    a.memory.pressure = false;
    a.manager.setMemoryPressure(false);
    assert.equal(granted(await settledSoon(second)).nodeId, "A", "below its threshold again, A grants");
  });

  test("a new request goes straight to a node with room; one that followed a spillback here moves after a moment", async () => {
    const a = await pressed();
    a.join("B", 4);
    assert.deepEqual(await a.request(), { spillback: { nodeId: "B", address: "B:1" } });
    const followed = a.request({ CPU: 1 }, { noSpillback: true });
    assert.equal(await settledSoon(followed), undefined, "not moved at once");
    a.clock.advance(RESPILL_FOLLOWED_AFTER_MS);
    assert.deepEqual(await settledSoon(followed), { spillback: { nodeId: "B", address: "B:1" } });
  });

  test("a request pinned to the node waits there", async () => {
    const a = await pressed();
    a.join("B", 4);
    const pinned = a.request({ CPU: 1 }, { strategy: { nodeId: "A", soft: false } });
    assert.equal(await settledSoon(pinned), undefined);
    a.memory.pressure = false;
    a.manager.setMemoryPressure(false);
    assert.equal(granted(await settledSoon(pinned)).nodeId, "A");
  });

  test("another node above its threshold is no place to spill to", async () => {
    const a = await nodeA(1, 1);
    a.join("B", 4, {}, {}, true);
    const pending = a.request();
    assert.equal(await settledSoon(pending), undefined, "B has CPUs but no room for new leases");
    a.join("B", 4);
    assert.deepEqual(await settledSoon(pending), { spillback: { nodeId: "B", address: "B:1" } }, "B is below its threshold again");
  });

  test("granted() lists the leases with what they were requested for, newest with the highest grantSeq", async () => {
    const a = await nodeA(2);
    granted(await a.request({ CPU: 1 }, { retriable: true, description: "task f" }));
    granted(await a.request({ CPU: 1 }, { actorId: "actor1", description: "actor C" }));
    const leases = [...a.manager.granted()].sort((x, y) => x.grantSeq - y.grantSeq);
    assert.deepEqual(
      leases.map((l) => [l.request.description, l.request.retriable === true, l.request.actorId]),
      [
        ["task f", true, undefined],
        ["actor C", false, "actor1"],
      ],
    );
    assert.ok((leases[0]?.grantSeq ?? 0) < (leases[1]?.grantSeq ?? 0));
  });
});

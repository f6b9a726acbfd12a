/**
 * The control service's ActorManager with its real node manager and resource view, and
 * FakeRaylets (nodes) and FakeWorkers (actors' workers, owners) on a fake network and
 * clock: placement, leasing and construction, restarts up to maxRestarts, death with a
 * cause, node death, actors no node can host yet, and lookups that wait.
 */
import assert from "node:assert/strict";
import { afterEach, describe, test } from "node:test";
import { FakeClock, type ActorCreationSpec, type ActorInfo, type OutOfMemoryInfo, type RayletService, type ResourceSet } from "@lux/protocol";
import { ActorDiedError, ActorNotFoundError, LuxError, NodeAffinityError, OutOfMemoryError, TaskError, defaultConfig, fromWireError, newActorId } from "@lux/common";
import { FakeNetwork, FakeRaylet, FakeWorker, eventually, settle } from "@lux/testing";
import { ActorManager } from "../src/actor-manager.js";
import { NodeManager } from "../src/node-manager.js";
import { ResourceViewManager } from "../src/resource-view.js";

interface Cluster {
  net: FakeNetwork;
  clock: FakeClock;
  nodes: NodeManager;
  actors: ActorManager;
  /** The actors' owner (a driver): it records the warnings it is sent. */
  owner: FakeWorker;
  /** Registers a node whose raylet grants every lease a new FakeWorker. */
  addNode(nodeId: string, resources?: ResourceSet, labels?: Record<string, string>): Promise<FakeRaylet>;
  spec(fields?: Partial<ActorCreationSpec>): ActorCreationSpec;
}

/** Built with a short registration wait (not a constant). */
const config = defaultConfig({ actorRegistrationWaitMs: 5_000 });

let networks: FakeNetwork[] = [];
afterEach(() => {
  for (const n of networks) n.close();
  networks = [];
});

function cluster(): Cluster {
  const clock = new FakeClock(1_000_000);
  const net = new FakeNetwork({ clock });
  networks.push(net);
  const nodes = new NodeManager(clock);
  const view = new ResourceViewManager(nodes);
  const actors = new ActorManager({ nodes, view, peerOptions: net.peerOptions, clock, config });
  const owner = new FakeWorker(net);
  return {
    net,
    clock,
    nodes,
    actors,
    owner,
    async addNode(nodeId, resources = { CPU: 1 }, labels = {}) {
      const raylet = new FakeRaylet(net, { nodeId, resources });
      raylet.grantNewWorkers();
      const connection = await net.connect<RayletService>(raylet.address);
      await nodes.register({ nodeId, address: raylet.address, resources, storeKind: "file", storeCapacity: 1, labels }, connection);
      return raylet;
    },
    spec: (fields = {}) => ({
      actorId: newActorId(),
      jobId: "job",
      functionId: "fn",
      className: "Counter",
      args: new Uint8Array(),
      resolved: [],
      borrowed: [],
      ownerAddress: owner.address,
      resources: { CPU: 1 },
      name: undefined,
      namespace: "ns",
      getIfExists: false,
      detached: false,
      maxConcurrency: 1,
      maxRestarts: 0,
      gpuIds: [],
      ...fields,
    }),
  };
}

/** The worker the raylet leased for the actor's `n`-th placement there (1-based). */
function leasedWorker(raylet: FakeRaylet, n = 1): FakeWorker {
  const w = [...raylet.workers.values()][n - 1];
  assert.ok(w !== undefined, `raylet ${raylet.nodeId} leased ${n} workers`);
  return w;
}

const alive = (c: Cluster, actorId: string): Promise<ActorInfo> => c.actors.info(actorId, true);

describe("ActorManager: placement", () => {
  test("an actor is placed on a node that can host it, leased there without spillback, constructed, then ALIVE at its worker", async () => {
    const c = cluster();
    const a = await c.addNode("A", { CPU: 2 });
    const g = await c.addNode("G", { CPU: 2, GPU: 1 });
    const spec = c.spec({ resources: { GPU: 1 }, maxRestarts: 1 });
    assert.deepEqual(c.actors.create(spec), { actorId: spec.actorId });
    const info = await alive(c, spec.actorId);
    assert.deepEqual(a.leases, []);
    const request = g.leases[0]?.request;
    assert.equal(request?.actorId, spec.actorId);
    assert.equal(request?.noSpillback, true, "the control service placed it: the raylet must not spill it");
    assert.deepEqual(request?.resources, { GPU: 1 });
    const worker = leasedWorker(g);
    assert.deepEqual(worker.received("createActor").map((s) => s.actorId), [spec.actorId]);
    assert.equal(info.state, "ALIVE");
    assert.equal(info.address, worker.address);
    assert.equal(info.workerId, worker.workerId);
    assert.equal(info.nodeId, "G");
  });

  test("an actor pinned to a node goes there; pinned to a node the cluster lacks, it is dead with NodeAffinityError", async () => {
    const c = cluster();
    await c.addNode("A", { CPU: 4 });
    const b = await c.addNode("B", { CPU: 1 });
    const pinned = c.spec({ strategy: { nodeId: "B", soft: false } });
    c.actors.create(pinned);
    assert.equal((await alive(c, pinned.actorId)).nodeId, "B");
    assert.equal(b.leases.length, 1);
    const lost = c.spec({ strategy: { nodeId: "Z", soft: false }, maxRestarts: 3 });
    c.actors.create(lost);
    const info = await alive(c, lost.actorId);
    assert.equal(info.state, "DEAD");
    assert.ok(fromWireError(info.deathCause) instanceof NodeAffinityError);
  });

  test("an actor no node can host waits, its owner is warned, and it is placed when a node that can joins", async () => {
    const c = cluster();
    await c.addNode("A", { CPU: 1 });
    const spec = c.spec({ resources: { GPU: 1 } });
    c.actors.create(spec);
    const lookup = alive(c, spec.actorId);
    await eventually(() => c.owner.received("logWarning").length === 1, "the owner was warned");
    assert.match(c.owner.received("logWarning")[0]?.message ?? "", /no alive node can ever provide/);
    assert.deepEqual(c.actors.pendingDemand(), [{ resources: { GPU: 1 }, count: 1, infeasible: true, kind: "actor" }]);
    await c.addNode("G", { CPU: 1, GPU: 1 });
    assert.equal((await lookup).nodeId, "G");
    assert.deepEqual(c.actors.pendingDemand(), []);
  });

  test("an actor's label selector: placed only on a matching node; none matching, it waits (owner warned once per shape) until one joins", async () => {
    const c = cluster();
    await c.addNode("A", { CPU: 4 }, { zone: "a" });
    const b = await c.addNode("B", { CPU: 1 }, { zone: "b" });
    const inB = c.spec({ labelSelector: { zone: "!a" } });
    c.actors.create(inB);
    assert.equal((await alive(c, inB.actorId)).nodeId, "B", "A is less loaded but does not match");
    assert.deepEqual(b.leases[0]?.request.labelSelector, { zone: "!a" }, "the raylet hears the selector too");
    const [first, second] = [c.spec({ labelSelector: { zone: "c" } }), c.spec({ labelSelector: { zone: "c" } })];
    c.actors.create(first);
    c.actors.create(second);
    const lookups = [alive(c, first.actorId), alive(c, second.actorId)];
    await eventually(() => c.owner.received("logWarning").length >= 1, "the owner was warned");
    await settle();
    const warnings = c.owner.received("logWarning");
    assert.equal(warnings.length, 1, "one warning for two actors of one shape");
    assert.match(warnings[0]?.message ?? "", /on a node whose labels match \{"zone":"c"\}/);
    assert.deepEqual(c.actors.pendingDemand(), [{ resources: { CPU: 1 }, count: 2, infeasible: true, kind: "actor", labelSelector: { zone: "c" } }]);
    const pinned = c.spec({ labelSelector: { zone: "c" }, strategy: { nodeId: "A", soft: false } });
    c.actors.create(pinned);
    await settle();
    assert.equal((await c.actors.info(pinned.actorId, false)).state, "PENDING", "pinned to a node whose labels do not match: it waits, not dies");
    await c.addNode("C", { CPU: 2 }, { zone: "c" });
    assert.deepEqual((await Promise.all(lookups)).map((i) => i.nodeId), ["C", "C"]);
    assert.equal(c.owner.received("logWarning").length, 1, "placing again after a node joined did not warn again");
  });

  test("a lookup of an actor not registered yet waits for its registration, up to actorRegistrationWaitMs on the clock", async () => {
    const c = cluster();
    await c.addNode("A");
    const early = c.spec();
    const waiting = alive(c, early.actorId);
    c.actors.create(early);
    assert.equal((await waiting).state, "ALIVE");
    const never = alive(c, newActorId());
    const outcome: { settled?: unknown } = {};
    never.then(
      () => (outcome.settled = "answered"),
      (e: unknown) => (outcome.settled = e),
    );
    c.clock.advance(config.actorRegistrationWaitMs - 1);
    await settle();
    assert.deepEqual(outcome, {});
    c.clock.advance(1);
    await settle();
    assert.ok(outcome.settled instanceof ActorDiedError, String(outcome.settled));
  });
});

describe("ActorManager: placement resources", () => {
  test("an actor placed as needing a CPU but holding none never goes to a node without CPUs, and one CPU hosts many", async () => {
    const c = cluster();
    const none = await c.addNode("Z", { memory: 1024 });
    const one = await c.addNode("A", { CPU: 1 });
    const specs = Array.from({ length: 4 }, () => c.spec({ resources: {}, placementResources: { CPU: 1 } }));
    for (const spec of specs) c.actors.create(spec);
    const infos = await Promise.all(specs.map((s) => alive(c, s.actorId)));
    assert.deepEqual(infos.map((i) => [i.state, i.nodeId]), specs.map(() => ["ALIVE", "A"]));
    assert.deepEqual(none.leases, []);
    assert.deepEqual(one.leases.map((l) => l.request.resources), specs.map(() => ({})), "leased holding no CPU");
  });

  test("with only nodes without CPUs, such an actor waits as demand for one CPU; numCpus: 0 goes there", async () => {
    const c = cluster();
    await c.addNode("Z", { memory: 1024 });
    const waiting = c.spec({ resources: {}, placementResources: { CPU: 1 } });
    c.actors.create(waiting);
    await eventually(() => c.owner.received("logWarning").length === 1, "the owner was warned");
    assert.match(c.owner.received("logWarning")[0]?.message ?? "", /can ever provide \{"CPU":1\}/);
    assert.deepEqual(c.actors.pendingDemand(), [{ resources: { CPU: 1 }, count: 1, infeasible: true, kind: "actor" }]);
    const zero = c.spec({ resources: {} });
    c.actors.create(zero);
    assert.equal((await alive(c, zero.actorId)).nodeId, "Z");
  });
});

describe("ActorManager: restarts and death", () => {
  test("an actor whose worker dies restarts on a new worker up to maxRestarts, then is dead with the cause", async () => {
    const c = cluster();
    const a = await c.addNode("A");
    const spec = c.spec({ maxRestarts: 1 });
    c.actors.create(spec);
    const first = await alive(c, spec.actorId);
    const w1 = leasedWorker(a, 1);

    c.actors.onWorkerDeath(w1.workerId, "its process exited with code 1");
    assert.equal((await c.actors.info(spec.actorId, false)).state, "RESTARTING");
    const second = await c.actors.info(spec.actorId, true, first.address);
    const w2 = leasedWorker(a, 2);
    assert.equal(second.state, "ALIVE");
    assert.equal(second.address, w2.address, "a new worker");
    assert.deepEqual(w2.received("createActor").map((s) => s.actorId), [spec.actorId], "constructed again");
    await eventually(() => a.received("returnLease").length === 1, "the old lease went back");
    assert.deepEqual(a.received("returnLease"), [{ leaseId: "A-lease-1", disconnect: true }]);

    const waiter = c.actors.info(spec.actorId, true, second.address);
    c.actors.onWorkerDeath(w2.workerId, "its process was killed by signal SIGKILL");
    const dead = await waiter;
    assert.equal(dead.state, "DEAD", "no restarts left");
    assert.match(fromWireError(dead.deathCause).message, /the actor's worker died: its process was killed by signal SIGKILL/);
    assert.equal(a.leases.length, 2, "not placed again");
    await eventually(() => a.received("returnLease").length === 2, "its lease went back");
  });

  test("an actor whose constructor throws is dead with that error, even with restarts left", async () => {
    const c = cluster();
    const a = await c.addNode("A");
    const bad = new FakeWorker(c.net);
    bad.handle("createActor", (spec) => {
      throw new TaskError({ taskId: spec.actorId, functionName: "Counter.constructor", cause: new RangeError("bad start") });
    });
    a.onLease((l) => l.grant(bad));
    const spec = c.spec({ maxRestarts: 5 });
    c.actors.create(spec);
    const info = await alive(c, spec.actorId);
    assert.equal(info.state, "DEAD");
    const cause = fromWireError(info.deathCause);
    assert.ok(cause instanceof TaskError, String(cause));
    assert.match(cause.message, /bad start/);
    assert.equal(a.leases.length, 1, "not restarted");
    await eventually(() => a.received("returnLease").length === 1, "the lease went back");
  });

  test("Ray test_actor_restart_on_constructor_failure: a constructor that crashes its process restarts the actor within maxRestarts", async () => {
    const c = cluster();
    const a = await c.addNode("A");
    const crashing = (): FakeWorker => {
      const w = new FakeWorker(c.net);
      w.handle("createActor", () => {
        w.die({ signal: "SIGKILL" });
        return new Promise<never>(() => undefined);
      });
      return w;
    };
    const healthy = new FakeWorker(c.net);
    const workers = [crashing(), crashing(), healthy];
    a.onLease((l) => l.grant(workers.shift() ?? crashing()));
    const spec = c.spec({ maxRestarts: 2 });
    c.actors.create(spec);
    const info = await alive(c, spec.actorId);
    assert.equal(info.state, "ALIVE", "restarted twice, constructed the third time");
    assert.equal(info.address, healthy.address);
    assert.equal(a.leases.length, 3);
    await eventually(() => a.received("returnLease").length === 2, "the crashed workers' leases went back");

    const once = c.spec({ maxRestarts: 1 });
    a.onLease((l) => l.grant(crashing()));
    c.actors.create(once);
    const dead = await alive(c, once.actorId);
    assert.equal(dead.state, "DEAD", "its restarts used up");
    assert.match(fromWireError(dead.deathCause).message, /worker died while the constructor ran/);
    assert.equal(a.leases.length, 5, "the first try and one restart");
  });

  test("Ray test_fate_sharing: the non-detached actors a worker created die with its process or its node; detached ones live on", async () => {
    const c = cluster();
    const a = await c.addNode("A", { CPU: 4 });
    const byWorker = c.spec({ ownerWorkerId: "owner-w", ownerNodeId: "B", maxRestarts: 3 });
    const detached = c.spec({ ownerWorkerId: "owner-w", ownerNodeId: "B", detached: true });
    const byNode = c.spec({ ownerWorkerId: "owner-x", ownerNodeId: "B", maxRestarts: 3 });
    for (const s of [byWorker, detached, byNode]) c.actors.create(s);
    for (const s of [byWorker, detached, byNode]) assert.equal((await alive(c, s.actorId)).state, "ALIVE");

    c.actors.onWorkerDeath("owner-w", "its process was killed by signal SIGKILL");
    const dead = await c.actors.info(byWorker.actorId, false);
    assert.equal(dead.state, "DEAD", "not restarted, whatever its maxRestarts");
    assert.match(fromWireError(dead.deathCause).message, /its owner \(worker owner-w\) died: its process was killed.*only detached actors outlive their owner/);
    assert.equal((await c.actors.info(detached.actorId, false)).state, "ALIVE");
    await eventually(() => a.received("returnLease").length === 1, "its worker was killed and its resources freed");
    assert.deepEqual(a.received("returnLease"), [{ leaseId: "A-lease-1", disconnect: true }]);

    await c.addNode("B");
    c.nodes.markDead("B", "its raylet disconnected");
    assert.equal((await c.actors.info(byNode.actorId, false)).state, "DEAD", "the actor whose owner's node died");
    assert.match(fromWireError((await c.actors.info(byNode.actorId, false)).deathCause).message, /its owner's node B died/);
    assert.equal((await c.actors.info(detached.actorId, false)).state, "ALIVE");
  });

  test("Ray test_fate_sharing: an actor that dies while its lease request waits at a raylet withdraws it: it is never granted", async () => {
    const c = cluster();
    const a = await c.addNode("A");
    a.onLease(() => undefined); // every request waits
    const spec = c.spec({ maxRestarts: 2 });
    c.actors.create(spec);
    await eventually(() => a.leases.length === 1, "the lease request reached the raylet");
    c.actors.onJobEnd("job");
    assert.equal((await c.actors.info(spec.actorId, false)).state, "DEAD");
    await eventually(() => a.received("cancelLeaseRequest").length === 1, "the request was withdrawn");
    assert.deepEqual(a.received("cancelLeaseRequest"), [{ requestId: a.leases[0]?.request.requestId }]);
  });

  test("a lease its node refuses leaves the actor dead, saying why", async () => {
    const c = cluster();
    const a = await c.addNode("A");
    a.onLease((l) => l.fail(new LuxError("worker process exited with code 1 before it registered")));
    const spec = c.spec({ maxRestarts: 2 });
    c.actors.create(spec);
    const info = await alive(c, spec.actorId);
    assert.equal(info.state, "DEAD");
    assert.match(fromWireError(info.deathCause).message, /could not get a worker for the actor: .*before it registered/);
  });

  test("an actor on a node that dies restarts on another node", async () => {
    const c = cluster();
    const a = await c.addNode("A");
    const spec = c.spec({ maxRestarts: 1, resources: { CPU: 1 } });
    c.actors.create(spec);
    const first = await alive(c, spec.actorId);
    assert.equal(first.nodeId, "A");
    const b = await c.addNode("B");
    c.nodes.markDead("A", "it missed its health checks");
    const moved = await c.actors.info(spec.actorId, true, first.address);
    assert.equal(moved.state, "ALIVE");
    assert.equal(moved.nodeId, "B");
    assert.equal(b.leases.length, 1);
    assert.equal(a.leases.length, 1);
  });

  test("lux.kill: with noRestart the actor is dead; without, it restarts while it has restarts", async () => {
    const c = cluster();
    const a = await c.addNode("A");
    const spec = c.spec({ maxRestarts: 1 });
    c.actors.create(spec);
    const first = await alive(c, spec.actorId);
    c.actors.kill(spec.actorId, false);
    const restarted = await c.actors.info(spec.actorId, true, first.address);
    assert.equal(restarted.state, "ALIVE");
    assert.equal(a.leases.length, 2);
    c.actors.kill(spec.actorId, true);
    const dead = await c.actors.info(spec.actorId, false);
    assert.equal(dead.state, "DEAD");
    assert.match(fromWireError(dead.deathCause).message, /killed with lux\.kill\(\)/);
  });
});

describe("ActorManager: lifetime by reference counting", () => {
  test("an actor out of scope is dead for good, even with restarts left: its lease goes back and its name is free", async () => {
    const c = cluster();
    const a = await c.addNode("A", { CPU: 2 });
    const spec = c.spec({ name: "scoped", maxRestarts: 3 });
    c.actors.create(spec);
    await alive(c, spec.actorId);
    c.actors.outOfScope(spec.actorId);
    const dead = await c.actors.info(spec.actorId, false);
    assert.equal(dead.state, "DEAD");
    assert.match(fromWireError(dead.deathCause).message, /every handle to the actor was dropped/);
    await eventually(() => a.received("returnLease").length === 1, "its lease went back (its worker ends)");
    assert.deepEqual(a.received("returnLease"), [{ leaseId: "A-lease-1", disconnect: true }]);
    assert.throws(() => c.actors.named("scoped", "ns"), ActorNotFoundError);
    const again = c.spec({ name: "scoped" });
    c.actors.create(again);
    assert.equal((await alive(c, again.actorId)).state, "ALIVE", "the name is free");
    assert.equal(a.leases.length, 2, "the dead actor was not restarted");
  });

  test("a detached actor, and an id that only aliases an actor (getIfExists), are not ended", async () => {
    const c = cluster();
    await c.addNode("A", { CPU: 2 });
    const detached = c.spec({ name: "kept", detached: true });
    const named = c.spec({ name: "shared" });
    const alias = c.spec({ name: "shared", getIfExists: true });
    c.actors.create(detached);
    c.actors.create(named);
    assert.deepEqual(c.actors.create(alias), { actorId: named.actorId });
    await alive(c, detached.actorId);
    await alive(c, named.actorId);
    c.actors.outOfScope(detached.actorId);
    c.actors.outOfScope(alias.actorId);
    assert.equal((await c.actors.info(detached.actorId, false)).state, "ALIVE");
    assert.equal((await c.actors.info(named.actorId, false)).state, "ALIVE");
  });

  test("an actor out of scope while its constructor runs is dead with that cause, not the constructor's cut-short call", async () => {
    const c = cluster();
    const a = await c.addNode("A");
    const slow = new FakeWorker(c.net);
    const started: (() => void)[] = [];
    slow.handle("createActor", () => new Promise(() => started.push(() => undefined)));
    a.onLease((l) => l.grant(slow));
    const spec = c.spec();
    c.actors.create(spec);
    await eventually(() => started.length === 1, "the constructor started");
    c.actors.outOfScope(spec.actorId);
    slow.die();
    await settle();
    const dead = await c.actors.info(spec.actorId, false);
    assert.equal(dead.state, "DEAD");
    assert.match(fromWireError(dead.deathCause).message, /every handle to the actor was dropped/);
  });
});

describe("ActorManager: workers killed for lack of memory", () => {
  const OOM: OutOfMemoryInfo = { nodeId: "A", nodeAddress: "a:1", usedBytes: 990, capacityBytes: 1000, threshold: 0.95, topUsers: [{ pid: 9, rssBytes: 900, name: "actor Counter" }] };

  test("lease requests say whether the actor restarts if killed; out of restarts it dies of an OutOfMemoryError naming its class", async () => {
    const c = cluster();
    const a = await c.addNode("A");
    const spec = c.spec({ maxRestarts: 1 });
    c.actors.create(spec);
    const first = await alive(c, spec.actorId);
    assert.equal(a.leases[0]?.request.retriable, true, "restarts left");
    c.actors.onWorkerDeath(leasedWorker(a, 1).workerId, "killed by the memory monitor", OOM);
    const second = await c.actors.info(spec.actorId, true, first.address);
    assert.equal(second.state, "ALIVE", "restarted");
    assert.equal(a.leases[1]?.request.retriable, false, "its last life");
    c.actors.onWorkerDeath(leasedWorker(a, 2).workerId, "killed by the memory monitor", OOM);
    const dead = await c.actors.info(spec.actorId, false);
    assert.equal(dead.state, "DEAD");
    const cause = fromWireError(dead.deathCause);
    assert.ok(cause instanceof OutOfMemoryError, String(cause));
    assert.deepEqual([cause.task, cause.actorClass, cause.nodeId, cause.usedBytes], ["Counter", "Counter", "A", 990]);
    assert.match(cause.message, /actor Counter was killed by the memory monitor of node A/);
    // The raylet reports the process's exit later too: nothing changes.
    c.actors.onWorkerDeath(leasedWorker(a, 2).workerId, "killed by signal SIGKILL", OOM);
    assert.equal((await c.actors.info(spec.actorId, false)).state, "DEAD");
  });

  test("a worker killed for memory while the actor's constructor runs: the actor restarts, or dies of it", async () => {
    const c = cluster();
    const a = await c.addNode("A");
    const hanging = (): FakeWorker => {
      const w = new FakeWorker(c.net);
      w.handle("createActor", () => new Promise<never>(() => undefined));
      return w;
    };
    const [slow, healthy] = [hanging(), new FakeWorker(c.net)];
    const workers = [slow, healthy];
    a.onLease((l) => l.grant(workers.shift() ?? hanging()));
    const spec = c.spec({ maxRestarts: 1 });
    c.actors.create(spec);
    await eventually(() => slow.received("createActor").length === 1, "the constructor runs");
    c.actors.onWorkerDeath(slow.workerId, "killed by the memory monitor", OOM);
    const info = await alive(c, spec.actorId);
    assert.equal(info.state, "ALIVE");
    assert.equal(info.address, healthy.address, "restarted on a new worker");

    const once = c.spec({ maxRestarts: 0 });
    const doomed = hanging();
    a.onLease((l) => l.grant(doomed));
    c.actors.create(once);
    await eventually(() => doomed.received("createActor").length === 1, "the constructor runs");
    c.actors.onWorkerDeath(doomed.workerId, "killed by the memory monitor", OOM);
    const dead = await alive(c, once.actorId);
    assert.equal(dead.state, "DEAD");
    assert.ok(fromWireError(dead.deathCause) instanceof OutOfMemoryError);
  });
});

/**
 * The control service's PlacementGroupManager with its real node manager and resource view,
 * and FakeRaylets (nodes) that keep a counter of free CPUs for prepareBundles, on a fake
 * network and clock: all-or-nothing reservation in two phases, groups that wait for a node
 * that makes them fit, removal, names, waits and the end of a job.
 */
import assert from "node:assert/strict";
import { afterEach, describe, test } from "node:test";
import { FakeClock, type PlacementGroupSpec, type RayletService, type ResourceSet } from "@lux/protocol";
import { PlacementGroupNameTakenError, PlacementGroupNotFoundError, defaultConfig } from "@lux/common";
import { FakeNetwork, FakeRaylet, eventually, settle } from "@lux/testing";

const OK = { ok: true } as const;
import { NodeManager } from "../src/node-manager.js";
import { PlacementGroupManager } from "../src/placement-group-manager.js";
import { ResourceViewManager } from "../src/resource-view.js";
import { MemoryStorage, type GcsStorage } from "../src/storage.js";

/** A node whose raylet reserves bundles against `free` CPUs, as a real one does against its pool. */
interface Node {
  raylet: FakeRaylet;
  free: number;
  /** Bundles' CPUs held here, by group id. */
  held: Map<string, number>;
  /** Whether it refuses every prepare (its real state is busier than the view says). */
  refuse: boolean;
}

let networks: FakeNetwork[] = [];
afterEach(() => {
  for (const n of networks) n.close();
  networks = [];
});

function cluster(storage?: GcsStorage) {
  const clock = new FakeClock(1_000_000);
  const net = new FakeNetwork({ clock });
  networks.push(net);
  const nodes = new NodeManager(clock);
  const view = new ResourceViewManager(nodes);
  const removed: string[] = [];
  const groups = new PlacementGroupManager({ nodes, view, clock, config: defaultConfig({}), removed: (id) => removed.push(id), storage });
  let n = 0;
  return {
    clock,
    view,
    nodes,
    groups,
    /** Groups whose removal the manager announced (the actors in them end). */
    removed,
    async addNode(nodeId: string, cpus: number): Promise<Node> {
      const node: Node = { raylet: new FakeRaylet(net, { nodeId, resources: { CPU: cpus } }), free: cpus, held: new Map(), refuse: false };
      serveBundles(node);
      const resources: ResourceSet = { CPU: cpus };
      const connection = await net.connect<RayletService>(node.raylet.address);
      await nodes.register({ nodeId, address: node.raylet.address, resources, storeKind: "file", storeCapacity: 1 }, connection);
      return node;
    },
    spec(bundles: ResourceSet[], fields: Partial<PlacementGroupSpec> = {}): PlacementGroupSpec {
      return { placementGroupId: `pg-${++n}`, namespace: "ns", strategy: "PACK", bundles, jobId: "job", detached: false, ...fields };
    },
  };
}

function serveBundles(node: Node): void {
  node.raylet.handle("prepareBundles", ({ placementGroupId, bundles }) => {
    const cpus = bundles.reduce((s, b) => s + (b.resources["CPU"] ?? 0), 0);
    if (node.refuse || cpus > node.free) return { prepared: false };
    node.free -= cpus;
    node.held.set(placementGroupId, cpus);
    return { prepared: true };
  });
  node.raylet.handle("commitBundles", () => OK);
  node.raylet.handle("returnBundles", ({ placementGroupId }) => {
    node.free += node.held.get(placementGroupId) ?? 0;
    node.held.delete(placementGroupId);
    return OK;
  });
}

const calls = (node: Node, method: string) => node.raylet.calls.filter((c) => c.method === method).length;

describe("PlacementGroupManager", () => {
  test("a group that fits is prepared then committed on its nodes and turns CREATED", async () => {
    const c = cluster();
    const a = await c.addNode("a", 2);
    const b = await c.addNode("b", 2);
    const { placementGroupId } = c.groups.create(c.spec([{ CPU: 2 }, { CPU: 2 }], { strategy: "STRICT_SPREAD" }));
    assert.equal(c.groups.get({ placementGroupId, namespace: "ns" }).state, "PENDING", "registered at once, reserved later");
    await eventually(() => c.groups.get({ placementGroupId, namespace: "ns" }).state === "CREATED", "the group created");
    const info = c.groups.get({ placementGroupId, namespace: "ns" });
    assert.deepEqual([...info.bundleNodeIds].sort(), ["a", "b"]);
    assert.deepEqual([a.free, b.free], [0, 0]);
    assert.deepEqual([calls(a, "commitBundles"), calls(b, "commitBundles")], [1, 1]);
    assert.deepEqual(c.view.get("a")?.available, { CPU: 0 }, "counted as taken in the view before the node reports");
  });

  test("a group that does not fit holds nothing and stays PENDING until a node that makes it fit joins", async () => {
    const c = cluster();
    const a = await c.addNode("a", 2);
    const { placementGroupId } = c.groups.create(c.spec([{ CPU: 2 }, { CPU: 2 }], { strategy: "STRICT_PACK" }));
    await settle(10);
    assert.equal(c.groups.get({ placementGroupId, namespace: "ns" }).state, "PENDING");
    assert.equal(calls(a, "prepareBundles"), 0, "not placeable on the view: no node is asked");
    const big = await c.addNode("big", 4);
    await eventually(() => c.groups.get({ placementGroupId, namespace: "ns" }).state === "CREATED", "created once the node joined");
    assert.deepEqual(c.groups.get({ placementGroupId, namespace: "ns" }).bundleNodeIds, ["big", "big"]);
    assert.deepEqual([a.free, big.free], [2, 0]);
  });

  test("when one node refuses its part, every node gives back what it prepared; a later report retries", async () => {
    const c = cluster();
    const a = await c.addNode("a", 1);
    const b = await c.addNode("b", 1);
    b.refuse = true;
    const { placementGroupId } = c.groups.create(c.spec([{ CPU: 1 }, { CPU: 1 }], { strategy: "SPREAD" }));
    await eventually(() => calls(a, "returnBundles") > 0, "a told to return its part");
    await settle(5);
    assert.equal(c.groups.get({ placementGroupId, namespace: "ns" }).state, "PENDING");
    assert.deepEqual([a.free, b.free], [1, 1], "all or nothing: nothing is held");
    b.refuse = false;
    c.view.report("b", { CPU: 1 }, { CPU: 1 });
    c.groups.retryPending();
    await eventually(() => c.groups.get({ placementGroupId, namespace: "ns" }).state === "CREATED", "created on the retry");
    assert.deepEqual([a.free, b.free], [0, 0]);
  });

  test("remove frees a created group's bundles, frees its name, is idempotent, and lets a pending group fit", async () => {
    const c = cluster();
    const a = await c.addNode("a", 2);
    const first = c.groups.create(c.spec([{ CPU: 2 }], { name: "train" })).placementGroupId;
    await eventually(() => c.groups.get({ placementGroupId: first, namespace: "ns" }).state === "CREATED", "first created");
    const second = c.groups.create(c.spec([{ CPU: 2 }])).placementGroupId;
    await settle(10);
    assert.equal(c.groups.get({ placementGroupId: second, namespace: "ns" }).state, "PENDING");
    await c.groups.remove(first);
    await c.groups.remove(first);
    assert.equal(c.groups.get({ placementGroupId: first, namespace: "ns" }).state, "REMOVED");
    assert.equal(calls(a, "returnBundles"), 1, "returned once");
    assert.deepEqual(c.removed, [first], "the removal announced once (its actors end)");
    // The raylet reports what it freed; the server then retries the pending groups.
    c.view.report("a", { CPU: 2 }, { CPU: 2 });
    c.groups.retryPending();
    await eventually(() => c.groups.get({ placementGroupId: second, namespace: "ns" }).state === "CREATED", "second created");
    assert.throws(() => c.groups.get({ name: "train", namespace: "ns" }), PlacementGroupNotFoundError);
    const again = c.groups.create(c.spec([{ CPU: 1 }], { name: "train" })).placementGroupId;
    assert.equal(c.groups.get({ name: "train", namespace: "ns" }).placementGroupId, again, "a removed group's name is reused");
  });

  test("removing a pending group ends it; a reservation already in flight gives back what it prepared", async () => {
    const c = cluster();
    const a = await c.addNode("a", 1);
    let answer: (() => void) | undefined;
    a.raylet.handle("prepareBundles", () => new Promise((resolve) => (answer = () => resolve({ prepared: true }))));
    const { placementGroupId } = c.groups.create(c.spec([{ CPU: 1 }]));
    await eventually(() => answer !== undefined, "prepare sent");
    await c.groups.remove(placementGroupId);
    answer?.();
    // Every node hears of the removal at once, then the reservation in flight returns what it prepared.
    await eventually(() => calls(a, "returnBundles") === 2, "the prepared bundles returned");
    assert.equal(calls(a, "commitBundles"), 0);
    assert.equal(c.groups.get({ placementGroupId, namespace: "ns" }).state, "REMOVED");
  });

  test("a live name is unique per namespace; lookups of unknown groups reject", async () => {
    const c = cluster();
    c.groups.create(c.spec([{ CPU: 1 }], { name: "g" }));
    assert.throws(() => c.groups.create(c.spec([{ CPU: 1 }], { name: "g" })), PlacementGroupNameTakenError);
    c.groups.create(c.spec([{ CPU: 1 }], { name: "g", namespace: "other" }));
    assert.throws(() => c.groups.get({ name: "nope", namespace: "ns" }), PlacementGroupNotFoundError);
    assert.equal(c.groups.table().length, 2);
    await assert.rejects(c.groups.wait("unknown", 10), PlacementGroupNotFoundError);
  });

  test("wait replies with PENDING after its time, and as soon as the group is created", async () => {
    const c = cluster();
    const { placementGroupId } = c.groups.create(c.spec([{ CPU: 1 }]));
    const timedOut = c.groups.wait(placementGroupId, 1000);
    c.clock.advance(1000);
    assert.equal((await timedOut).state, "PENDING");
    const waiting = c.groups.wait(placementGroupId, 60_000);
    await c.addNode("a", 1);
    assert.equal((await waiting).state, "CREATED");
  });

  test("a job's groups end with it, detached ones do not", async () => {
    const c = cluster();
    await c.addNode("a", 2);
    const attached = c.groups.create(c.spec([{ CPU: 1 }])).placementGroupId;
    const detached = c.groups.create(c.spec([{ CPU: 1 }], { detached: true })).placementGroupId;
    await eventually(() => c.groups.table().every((g) => g.state === "CREATED"), "both created");
    c.groups.onJobEnd("job");
    await settle(5);
    assert.equal(c.groups.get({ placementGroupId: attached, namespace: "ns" }).state, "REMOVED");
    assert.equal(c.groups.get({ placementGroupId: detached, namespace: "ns" }).state, "CREATED");
  });

  test("a node's death turns its groups RESCHEDULING; the lost bundles go to live nodes, the kept ones stay", async () => {
    const c = cluster();
    await c.addNode("a", 1);
    await c.addNode("b", 1);
    const { placementGroupId } = c.groups.create(c.spec([{ CPU: 1 }, { CPU: 1 }], { strategy: "SPREAD" }));
    const state = () => c.groups.get({ placementGroupId, namespace: "ns" });
    await eventually(() => state().state === "CREATED", "created on a and b");
    const before = state().bundleNodeIds;
    const lostIndex = before.indexOf("b");
    c.nodes.markDead("b", "test");
    assert.equal(state().state, "RESCHEDULING");
    assert.equal(state().bundleNodeIds[lostIndex], null);
    await settle(10);
    assert.equal(state().state, "RESCHEDULING", "no live node has room yet");
    const cNode = await c.addNode("c", 1);
    await eventually(() => state().state === "CREATED", "created again");
    const after = state().bundleNodeIds;
    assert.equal(after[lostIndex], "c");
    assert.equal(after[1 - lostIndex], before[1 - lostIndex], "the kept bundle did not move");
    assert.equal(calls(cNode, "prepareBundles"), 1);
    assert.deepEqual(cNode.raylet.calls.find((x) => x.method === "prepareBundles")?.request, { placementGroupId, bundles: [{ index: lostIndex, resources: { CPU: 1 } }] }, "only the lost bundle is asked for");
  });

  test("a STRICT_SPREAD group waits for a new node rather than put two bundles on one", async () => {
    const c = cluster();
    await c.addNode("a", 4);
    await c.addNode("b", 1);
    const { placementGroupId } = c.groups.create(c.spec([{ CPU: 1 }, { CPU: 1 }], { strategy: "STRICT_SPREAD" }));
    const state = () => c.groups.get({ placementGroupId, namespace: "ns" });
    await eventually(() => state().state === "CREATED", "created");
    c.nodes.markDead("b", "test");
    c.view.report("a", { CPU: 4 }, { CPU: 3 });
    c.groups.retryPending();
    await settle(10);
    assert.equal(state().state, "RESCHEDULING", "a has room for both, but STRICT_SPREAD keeps them apart");
    await c.addNode("d", 1);
    await eventually(() => state().state === "CREATED", "created again on the new node");
    assert.deepEqual([...state().bundleNodeIds].sort(), ["a", "d"]);
  });

  test("groups are written through to storage and restored by a new control service", async () => {
    const storage = new MemoryStorage();
    const c = cluster(storage);
    await c.addNode("a", 2);
    const created = c.groups.create(c.spec([{ CPU: 1 }], { name: "kept" })).placementGroupId;
    const pending = c.groups.create(c.spec([{ CPU: 8 }])).placementGroupId;
    const gone = c.groups.create(c.spec([{ CPU: 1 }], { name: "gone" })).placementGroupId;
    await eventually(() => c.groups.get({ placementGroupId: gone, namespace: "ns" }).state === "CREATED", "created");
    await c.groups.remove(gone);
    await settle(5);
    const restarted = cluster(storage);
    assert.equal(await restarted.groups.restore(), 2, "the removed group is not kept");
    const kept = restarted.groups.get({ name: "kept", namespace: "ns" });
    assert.equal(kept.placementGroupId, created);
    assert.equal(kept.state, "CREATED");
    assert.deepEqual(kept.bundleNodeIds, ["a"]);
    assert.equal(restarted.groups.get({ placementGroupId: pending, namespace: "ns" }).state, "PENDING");
    assert.throws(() => restarted.groups.get({ placementGroupId: gone, namespace: "ns" }), PlacementGroupNotFoundError);
  });
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { FakeClock, type ActorCreationSpec, type NodeInfo } from "@lux/protocol";
import { ActorPlacement } from "../src/actor-placement.js";
import type { NodeManager } from "../src/node-manager.js";
import { ResourceViewManager } from "../src/resource-view.js";

/** The slice of NodeManager the view uses: one node added, no connections. */
function fakeNodes(): { nodes: NodeManager; add(info: NodeInfo): void } {
  const added: ((info: NodeInfo) => void)[] = [];
  const nodes = {
    onNodeAdded: (l: (info: NodeInfo) => void) => added.push(l),
    onNodeDeath: () => undefined,
    connection: () => undefined,
    alive: () => [],
  } as unknown as NodeManager;
  return { nodes, add: (info) => added.forEach((l) => l(info)) };
}

const cpusOf = (view: ResourceViewManager, nodeId: string): number | undefined => view.get(nodeId)?.available.CPU;

test("a placement counts as taken on the node until it reports, or until the placement is undone", () => {
  const { nodes, add } = fakeNodes();
  const view = new ResourceViewManager(nodes);
  add({ nodeId: "X", address: "X:1", alive: true, resources: { CPU: 2 }, startedAtMs: 0, storeKind: "shm", storeCapacity: 1, labels: {} });
  const undoGranted = view.reserve("X", { CPU: 1 });
  assert.equal(cpusOf(view, "X"), 1);
  view.report("X", { CPU: 2 }, { CPU: 1 }); // X granted it and reported: the report is the truth
  assert.equal(cpusOf(view, "X"), 1);
  undoGranted(); // dropped by the report already: no effect
  assert.equal(cpusOf(view, "X"), 1);
  // Not granted at X (a spillback reply, or a failure): X never reports, the placement is undone.
  const undo = view.reserve("X", { CPU: 1 });
  assert.equal(cpusOf(view, "X"), 0);
  assert.equal(view.alive()[0]?.available.CPU, 0);
  undo();
  assert.equal(cpusOf(view, "X"), 1);
});

test("a node whose memory is above its threshold is marked in the view until it reports otherwise; actors go elsewhere while others have room", () => {
  const { nodes, add } = fakeNodes();
  const view = new ResourceViewManager(nodes);
  for (const nodeId of ["X", "Y"]) add({ nodeId, address: `${nodeId}:1`, alive: true, resources: { CPU: 4 }, startedAtMs: 0, storeKind: "shm", storeCapacity: 1, labels: {} });
  view.report("X", { CPU: 4 }, { CPU: 4 }, true);
  view.report("Y", { CPU: 4 }, { CPU: 1 });
  assert.equal(view.get("X")?.memoryPressure, true);
  assert.equal(view.get("Y")?.memoryPressure, undefined);
  const placement = new ActorPlacement(view);
  const spec = { resources: { CPU: 1 }, className: "C" } as unknown as ActorCreationSpec;
  for (let i = 0; i < 4; i++) assert.equal((placement.pick(spec) as { node: { nodeId: string } }).node.nodeId, "Y", "X is idle but takes no leases");
  view.report("Y", { CPU: 4 }, { CPU: 0 });
  assert.ok("node" in placement.pick(spec), "no node has room: it is placed (and waits) all the same");
  view.report("X", { CPU: 4 }, { CPU: 4 });
  assert.equal(view.get("X")?.memoryPressure, undefined, "below its threshold again");
  assert.equal((placement.pick(spec) as { node: { nodeId: string } }).node.nodeId, "X");
});

test("changes are pushed to every raylet in batches: one push per batchMs with every node changed, the whole view to those that joined", () => {
  const added: ((info: NodeInfo) => void)[] = [];
  const alive: { info: NodeInfo; connection: { state: string; notify(method: string, msg: unknown): void } }[] = [];
  const pushes = new Map<string, { nodes: { nodeId: string }[]; full: boolean }[]>();
  const nodes = {
    onNodeAdded: (l: (info: NodeInfo) => void) => added.push(l),
    onNodeDeath: () => undefined,
    connection: () => undefined,
    alive: () => alive,
  } as unknown as NodeManager;
  const clock = new FakeClock(0);
  const view = new ResourceViewManager(nodes, 10, clock);
  const join = (nodeId: string): void => {
    const info: NodeInfo = { nodeId, address: `${nodeId}:1`, alive: true, resources: { CPU: 1 }, startedAtMs: 0, storeKind: "shm", storeCapacity: 1, labels: {} };
    pushes.set(nodeId, []);
    alive.push({ info, connection: { state: "open", notify: (_m, msg) => pushes.get(nodeId)?.push(msg as { nodes: { nodeId: string }[]; full: boolean }) } });
    added.forEach((l) => l(info));
  };
  const seen = (nodeId: string): [string[], boolean][] => (pushes.get(nodeId) ?? []).map((p) => [p.nodes.map((n) => n.nodeId).sort(), p.full]);
  join("A");
  join("B");
  assert.deepEqual(seen("A"), [], "nothing before the batch ends");
  clock.advance(10);
  assert.deepEqual(seen("A"), [[["A", "B"], true]]);
  assert.deepEqual(seen("B"), [[["A", "B"], true]]);
  view.report("A", { CPU: 1 }, { CPU: 0 });
  view.report("B", { CPU: 1 }, { CPU: 0 });
  view.report("A", { CPU: 1 }, { CPU: 1 });
  join("C");
  clock.advance(10);
  assert.deepEqual(seen("A").slice(1), [[["A", "B", "C"], false]], "one push with every change");
  assert.deepEqual(seen("C"), [[["A", "B", "C"], true]], "the newcomer gets the whole view");
  assert.equal((pushes.get("A")?.[1]?.nodes.find((n) => n.nodeId === "A") as unknown as { available: { CPU: number } }).available.CPU, 1, "the latest report");
  clock.advance(100);
  assert.equal(pushes.get("A")?.length, 2, "no change, no push");
  view.close();
});

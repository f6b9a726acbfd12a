import assert from "node:assert/strict";
import { test } from "node:test";
import type { ActorCreationSpec, NodeInfo } from "@lux/protocol";
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

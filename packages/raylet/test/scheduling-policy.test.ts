import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { NodeResources, ResourceSet, SchedulingStrategy } from "@lux/protocol";
import { defaultConfig } from "@lux/common";
import { fitsIn, place, utilization, type Placement } from "../src/scheduling-policy.js";

const LOCAL_BUSY_THRESHOLD = defaultConfig().localBusyThreshold;

function node(nodeId: string, total: ResourceSet, available: ResourceSet = total): NodeResources {
  return { nodeId, address: `${nodeId}:1`, total, available, alive: true };
}

function run(
  nodes: NodeResources[],
  resources: ResourceSet,
  strategy: SchedulingStrategy = "DEFAULT",
  turn = 0,
  localId = "local",
  localBusyThreshold = LOCAL_BUSY_THRESHOLD,
): Placement {
  return place({ resources, strategy, localId, nodes, turn, localBusyThreshold });
}

/** "local", "spill:<id>", "infeasible" or "unavailable:<id>". */
function where(p: Placement): string {
  switch (p.kind) {
    case "local":
    case "infeasible":
      return p.kind;
    case "spill":
      return `spill:${p.node.nodeId}`;
    case "unavailable":
      return `unavailable:${p.nodeId}`;
  }
}

describe("fitsIn and utilization", () => {
  test("fitsIn ignores zero requests and tolerates float error", () => {
    assert.equal(fitsIn({ CPU: 1, GPU: 0 }, { CPU: 1 }), true);
    assert.equal(fitsIn({ CPU: 0.3 }, { CPU: 0.1 + 0.2 - 1e-12 }), true);
    assert.equal(fitsIn({ CPU: 1.01 }, { CPU: 1 }), false);
    assert.equal(fitsIn({ GPU: 1 }, { CPU: 8 }), false);
  });

  test("utilization is the busiest share among requested resources", () => {
    const n = node("a", { CPU: 4, GPU: 2 }, { CPU: 1, GPU: 2 });
    assert.equal(utilization({ CPU: 1 }, n), 0.75);
    assert.equal(utilization({ GPU: 1 }, n), 0);
    assert.equal(utilization({ CPU: 1, GPU: 1 }, n), 0.75);
    assert.equal(utilization({ custom: 1 }, n), 0, "resources the node lacks do not count");
  });
});

describe("place, DEFAULT (hybrid)", () => {
  test("stays local while the local node is below the busy threshold", () => {
    assert.equal(LOCAL_BUSY_THRESHOLD, 0.5);
    const nodes = [node("local", { CPU: 4 }, { CPU: 3 }), node("b", { CPU: 4 })];
    assert.equal(where(run(nodes, { CPU: 1 })), "local", "25% busy, an idle remote does not matter");
  });

  test("the busy threshold is config localBusyThreshold", () => {
    const nodes = [node("local", { CPU: 4 }, { CPU: 3 }), node("b", { CPU: 4 })];
    assert.equal(where(run(nodes, { CPU: 1 }, "DEFAULT", 0, "local", 0.25)), "spill:b", "25% busy is busy at a threshold of 0.25");
    assert.equal(where(run(nodes, { CPU: 1 }, "DEFAULT", 0, "local", 0.3)), "local");
  });

  test("spills to the least loaded node that fits once local is at the threshold", () => {
    const nodes = [
      node("local", { CPU: 4 }, { CPU: 2 }), // 50%
      node("b", { CPU: 4 }, { CPU: 1 }), // 75%
      node("c", { CPU: 4 }, { CPU: 3 }), // 25%
    ];
    assert.equal(where(run(nodes, { CPU: 1 })), "spill:c");
  });

  test("a busy local node that is still the least loaded keeps the work (ties go local)", () => {
    const nodes = [node("b", { CPU: 4 }, { CPU: 2 }), node("local", { CPU: 4 }, { CPU: 2 }), node("c", { CPU: 4 }, { CPU: 1 })];
    for (let turn = 0; turn < 3; turn++) assert.equal(where(run(nodes, { CPU: 1 }, "DEFAULT", turn)), "local");
  });

  test("spills when local has no room now, skipping remotes that have none either", () => {
    const nodes = [
      node("local", { CPU: 2 }, { CPU: 0 }),
      node("b", { CPU: 8 }, { CPU: 0.5 }), // busy, does not fit a whole CPU
      node("c", { CPU: 2 }, { CPU: 1 }), // 50% but fits
    ];
    assert.equal(where(run(nodes, { CPU: 1 })), "spill:c");
  });

  test("queues locally when nothing fits now but local could run it", () => {
    const nodes = [node("local", { CPU: 2 }, { CPU: 0 }), node("b", { CPU: 2 }, { CPU: 0 })];
    assert.equal(where(run(nodes, { CPU: 1 })), "local");
  });

  test("spills to a node that can ever run it when local never can", () => {
    const nodes = [
      node("local", { CPU: 8 }),
      node("gpu1", { CPU: 8, GPU: 1 }, { CPU: 8, GPU: 0 }),
      node("gpu2", { CPU: 8, GPU: 2 }, { CPU: 8, GPU: 1 }),
    ];
    assert.equal(where(run(nodes, { GPU: 1 })), "spill:gpu2", "gpu2 fits now");
    const busy = [node("local", { CPU: 8 }), node("gpu1", { CPU: 8, GPU: 1 }, { CPU: 8, GPU: 0 })];
    assert.equal(where(run(busy, { GPU: 1 })), "spill:gpu1", "nothing fits now: queue where it can run");
  });

  test("a request too big for any node is infeasible", () => {
    const nodes = [node("local", { CPU: 4 }), node("b", { CPU: 8 })];
    assert.equal(where(run(nodes, { CPU: 16 })), "infeasible");
    assert.equal(where(run(nodes, { TPU: 1 })), "infeasible");
    assert.equal(where(run([], { CPU: 1 })), "infeasible");
  });

  test("an empty request runs locally", () => {
    assert.equal(where(run([node("local", { CPU: 1 }, { CPU: 0 })], {})), "local");
  });

  test("uses the node's total, not available, to decide feasibility across resources", () => {
    // Local has CPU but no memory of that size; b has both.
    const nodes = [node("local", { CPU: 4, memory: 1e9 }), node("b", { CPU: 4, memory: 8e9 }, { CPU: 0, memory: 8e9 })];
    assert.equal(where(run(nodes, { CPU: 1, memory: 4e9 })), "spill:b");
  });
});

describe("place, SPREAD", () => {
  test("rotates over equally loaded nodes with the turn counter", () => {
    const nodes = [node("c", { CPU: 4 }), node("local", { CPU: 4 }), node("a", { CPU: 4 })];
    const got = [0, 1, 2, 3, 4, 5].map((turn) => where(run(nodes, { CPU: 1 }, "SPREAD", turn)));
    assert.deepEqual(got, ["spill:a", "spill:c", "local", "spill:a", "spill:c", "local"]);
  });

  test("prefers the least loaded node over the rotation, even when local is idle-ish", () => {
    const nodes = [node("local", { CPU: 4 }, { CPU: 3 }), node("a", { CPU: 4 }), node("b", { CPU: 4 }, { CPU: 1 })];
    for (let turn = 0; turn < 3; turn++) assert.equal(where(run(nodes, { CPU: 1 }, "SPREAD", turn)), "spill:a");
  });

  test("when nothing fits now: local if it can ever run it, else a feasible node", () => {
    const full = [node("local", { CPU: 4 }, { CPU: 0 }), node("a", { CPU: 4 }, { CPU: 0 })];
    assert.equal(where(run(full, { CPU: 1 }, "SPREAD", 1)), "local");
    const noGpu = [node("local", { CPU: 4 }), node("a", { GPU: 1 }, { GPU: 0 })];
    assert.equal(where(run(noGpu, { GPU: 1 }, "SPREAD")), "spill:a");
    assert.equal(where(run(noGpu, { GPU: 2 }, "SPREAD")), "infeasible");
  });
});

describe("place, node affinity", () => {
  const nodes = [node("local", { CPU: 4 }), node("a", { CPU: 4 }, { CPU: 0 }), node("b", { CPU: 4 })];

  test("hard affinity goes to the node even when it is busy", () => {
    assert.equal(where(run(nodes, { CPU: 1 }, { nodeId: "a", soft: false })), "spill:a");
    assert.equal(where(run(nodes, { CPU: 1 }, { nodeId: "local", soft: false })), "local");
  });

  test("hard affinity to a dead or unknown node is unavailable", () => {
    // Dead nodes leave the view, so dead and unknown look the same here.
    assert.equal(where(run(nodes, { CPU: 1 }, { nodeId: "gone", soft: false })), "unavailable:gone");
  });

  test("soft affinity goes to the node if it can ever run the request, busy or not", () => {
    assert.equal(where(run(nodes, { CPU: 1 }, { nodeId: "a", soft: true })), "spill:a");
    assert.equal(where(run(nodes, { CPU: 1 }, { nodeId: "local", soft: true })), "local");
  });

  test("soft affinity falls back to the default policy for a dead, unknown or too small node", () => {
    assert.equal(where(run(nodes, { CPU: 1 }, { nodeId: "gone", soft: true })), "local");
    const big = [node("local", { CPU: 4 }, { CPU: 1 }), node("small", { CPU: 1 }), node("b", { CPU: 8 })];
    assert.equal(where(run(big, { CPU: 2 }, { nodeId: "small", soft: true })), "spill:b");
    assert.equal(where(run(big, { CPU: 16 }, { nodeId: "small", soft: true })), "infeasible");
  });
});

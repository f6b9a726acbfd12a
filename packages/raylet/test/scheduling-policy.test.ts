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
  const spread = (nodes: NodeResources[], after: string | undefined, resources: ResourceSet = { CPU: 1 }): string =>
    where(place({ resources, strategy: "SPREAD", localId: "local", nodes, turn: 0, localBusyThreshold: LOCAL_BUSY_THRESHOLD, spreadAfter: after }));

  test("takes the nodes in turn by id, after the node of the job's previous SPREAD request", () => {
    const nodes = [node("c", { CPU: 4 }), node("local", { CPU: 4 }), node("a", { CPU: 4 })];
    const got: string[] = [];
    let after: string | undefined;
    for (let i = 0; i < 6; i++) {
      const w = spread(nodes, after);
      got.push(w);
      after = w === "local" ? "local" : w.slice("spill:".length);
    }
    assert.deepEqual(got, ["spill:a", "spill:c", "local", "spill:a", "spill:c", "local"]);
  });

  test("whatever their load: a busier node with room still gets its turn", () => {
    const nodes = [node("local", { CPU: 4 }, { CPU: 1 }), node("a", { CPU: 4 }), node("b", { CPU: 4 }, { CPU: 1 })];
    assert.equal(spread(nodes, "a"), "spill:b", "b is 75% busy, a idle: b's turn all the same");
    assert.equal(spread(nodes, "b"), "local");
  });

  test("skips nodes with no room now; a node that left is skipped, one that joined takes its turn", () => {
    const nodes = [node("local", { CPU: 4 }), node("a", { CPU: 4 }, { CPU: 0 }), node("b", { CPU: 4 })];
    assert.equal(spread(nodes, "local"), "spill:b", "a is full");
    assert.equal(spread(nodes, "gone"), "local", "after a node that left: the next id, wrapping around");
    assert.equal(spread([...nodes, node("ab", { CPU: 4 })], "a"), "spill:ab");
  });

  test("when nothing has room now: local if it can ever run it, else the next feasible node", () => {
    const full = [node("local", { CPU: 4 }, { CPU: 0 }), node("a", { CPU: 4 }, { CPU: 0 })];
    assert.equal(spread(full, "local"), "local");
    const noGpu = [node("local", { CPU: 4 }), node("a", { GPU: 1 }, { GPU: 0 }), node("b", { GPU: 1 }, { GPU: 0 })];
    assert.equal(spread(noGpu, "a", { GPU: 1 }), "spill:b");
    assert.equal(spread(noGpu, "b", { GPU: 1 }), "spill:a");
    assert.equal(spread(noGpu, undefined, { GPU: 2 }), "infeasible");
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

describe("place, label selectors", () => {
  const labelled = (nodeId: string, labels: Record<string, string>, total: ResourceSet = { CPU: 4 }, available: ResourceSet = total): NodeResources => ({
    ...node(nodeId, total, available),
    labels,
  });
  const nodes = [
    labelled("local", { zone: "a", market: "spot" }),
    labelled("b", { zone: "b", market: "ondemand", region: "us" }),
    labelled("c", { zone: "c", region: "eu" }, { CPU: 4 }, { CPU: 0 }),
  ];
  const select = (labelSelector: Record<string, string>, strategy: SchedulingStrategy = "DEFAULT", resources: ResourceSet = { CPU: 1 }): string =>
    where(place({ resources, strategy, localId: "local", nodes, turn: 0, localBusyThreshold: LOCAL_BUSY_THRESHOLD, labelSelector }));

  test("only matching nodes count: a non-matching local node is skipped even when idle", () => {
    assert.equal(select({ zone: "a" }), "local");
    assert.equal(select({ zone: "b" }), "spill:b");
    assert.equal(select({ market: "!spot" }), "spill:b", "c lacks market (satisfies !spot) but is full; b has room");
    assert.equal(select({ region: "in(us,eu)" }), "spill:b");
    assert.equal(select({ region: "in(eu)" }), "spill:c", "c can ever run it: queue there");
    assert.equal(select({ zone: "!in(a,b)" }), "spill:c");
  });

  test("no matching node is infeasible, whatever the resources", () => {
    assert.equal(select({ zone: "d" }), "infeasible");
    assert.equal(select({ rack: "r1" }), "infeasible", "a missing label fails equals");
    assert.equal(select({ zone: "b" }, "DEFAULT", { CPU: 8 }), "infeasible", "matching but too small");
  });

  test("SPREAD goes round the matching nodes only", () => {
    const idle = [labelled("local", { zone: "a" }), labelled("b", { zone: "b" }), labelled("c", { zone: "c" })];
    const spread = (after: string | undefined): string =>
      where(place({ resources: { CPU: 1 }, strategy: "SPREAD", localId: "local", nodes: idle, turn: 0, localBusyThreshold: 0.5, labelSelector: { zone: "!b" }, spreadAfter: after }));
    assert.deepEqual([spread(undefined), spread("c"), spread("local")], ["spill:c", "local", "spill:c"], "b never has a turn");
  });

  test("hard affinity to a node whose labels do not match is infeasible; soft affinity falls back to the matching nodes", () => {
    assert.equal(select({ zone: "b" }, { nodeId: "local", soft: false }), "infeasible");
    assert.equal(select({ zone: "b" }, { nodeId: "b", soft: false }), "spill:b");
    assert.equal(select({ zone: "b" }, { nodeId: "local", soft: true }), "spill:b");
    assert.equal(select({ zone: "a" }, { nodeId: "gone", soft: false }), "unavailable:gone");
  });
});

describe("memory pressure", () => {
  const pressed = (n: NodeResources): NodeResources => ({ ...n, memoryPressure: true });

  test("a node above its memory threshold has no room now: DEFAULT and SPREAD go to nodes with room, or queue locally", () => {
    const idle = { CPU: 4 };
    assert.equal(where(run([pressed(node("local", idle)), node("b", idle)], { CPU: 1 })), "spill:b", "the local node has CPUs but takes no leases");
    assert.equal(where(run([node("local", idle), pressed(node("b", idle)), node("c", idle, { CPU: 3 })], { CPU: 1 }, "SPREAD", 0, "local")), "spill:c");
    assert.equal(where(run([pressed(node("local", idle)), pressed(node("b", idle))], { CPU: 1 })), "local", "nowhere has room: it waits here");
    assert.equal(where(run([node("local", { CPU: 1 }, {}), pressed(node("b", idle))], { CPU: 1 })), "local");
  });

  test("hard node affinity still goes to its node (it waits there)", () => {
    const idle = { CPU: 4 };
    assert.equal(where(run([node("local", idle), pressed(node("b", idle))], { CPU: 1 }, { nodeId: "b", soft: false })), "spill:b");
  });
});

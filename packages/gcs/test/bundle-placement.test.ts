import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { NodeResources, ResourceSet } from "@lux/protocol";
import { placeBundles } from "../src/bundle-placement.js";

const node = (nodeId: string, available: ResourceSet): NodeResources => ({ nodeId, address: nodeId, total: { ...available }, available, alive: true });
const nodes = [node("a", { CPU: 2 }), node("b", { CPU: 2 }), node("c", { CPU: 4 })];

describe("placeBundles", () => {
  test("PACK puts the group on one node when one fits it, else on as few as it can", () => {
    assert.deepEqual(placeBundles("PACK", [{ CPU: 2 }, { CPU: 2 }], nodes), ["c", "c"]);
    assert.deepEqual(new Set(placeBundles("PACK", [{ CPU: 4 }, { CPU: 2 }], nodes)).size, 2);
    assert.equal(placeBundles("PACK", [{ CPU: 4 }, { CPU: 4 }], nodes), undefined);
  });

  test("STRICT_PACK needs one node for all; STRICT_SPREAD a different node for each", () => {
    assert.equal(placeBundles("STRICT_PACK", [{ CPU: 2 }, { CPU: 3 }], nodes), undefined);
    assert.deepEqual(placeBundles("STRICT_PACK", [{ CPU: 1 }, { CPU: 3 }], nodes), ["c", "c"]);
    const spread = placeBundles("STRICT_SPREAD", [{ CPU: 2 }, { CPU: 2 }, { CPU: 3 }], nodes);
    assert.equal(spread?.[2], "c", "the 3-CPU bundle goes where it fits, the others around it");
    assert.equal(new Set(spread).size, 3);
    assert.equal(placeBundles("STRICT_SPREAD", [{ CPU: 1 }, { CPU: 1 }, { CPU: 1 }, { CPU: 1 }], nodes), undefined);
  });

  test("SPREAD uses new nodes first, then shares", () => {
    assert.equal(new Set(placeBundles("SPREAD", [{ CPU: 1 }, { CPU: 1 }, { CPU: 1 }], nodes)).size, 3);
    assert.equal(placeBundles("SPREAD", [{ CPU: 1 }, { CPU: 1 }, { CPU: 1 }, { CPU: 1 }], nodes)?.length, 4);
  });

  test("zero quantities fit anywhere; a resource no node has fits nowhere", () => {
    assert.deepEqual(placeBundles("PACK", [{ CPU: 0, GPU: 0 }], [node("a", { CPU: 1 })]), ["a"]);
    assert.equal(placeBundles("PACK", [{ GPU: 1 }], nodes), undefined);
  });
});

describe("placeBundles with bundleLabelSelector", () => {
  const labelled = [
    { ...node("a", { CPU: 4 }), labels: { zone: "a" } },
    { ...node("b", { CPU: 4 }), labels: { zone: "b" } },
    { ...node("c", { CPU: 4 }), labels: { zone: "b", gpu: "k80" } },
  ];

  test("each bundle goes only to a node matching its selector", () => {
    assert.deepEqual(placeBundles("SPREAD", [{ CPU: 1 }, { CPU: 1 }], labelled, undefined, [{ zone: "a" }, { gpu: "k80" }]), ["a", "c"]);
    assert.deepEqual(placeBundles("STRICT_SPREAD", [{ CPU: 1 }, { CPU: 1 }], labelled, undefined, [{ zone: "b" }, { zone: "b" }])?.sort(), ["b", "c"]);
    assert.deepEqual(placeBundles("PACK", [{ CPU: 1 }, { CPU: 1 }], labelled, undefined, [{}, { zone: "b", gpu: "!in(k80)" }]), ["b", "b"], "PACK: one node matching both");
  });

  test("PACK and STRICT_PACK keep to nodes every selector matches", () => {
    assert.deepEqual(placeBundles("STRICT_PACK", [{ CPU: 1 }, { CPU: 1 }], labelled, undefined, [{ zone: "b" }, { gpu: "k80" }]), ["c", "c"]);
    assert.equal(placeBundles("STRICT_PACK", [{ CPU: 1 }, { CPU: 1 }], labelled, undefined, [{ zone: "a" }, { zone: "b" }]), undefined);
    assert.deepEqual(placeBundles("PACK", [{ CPU: 1 }, { CPU: 1 }], labelled, undefined, [{ zone: "a" }, { zone: "b" }])?.[0], "a", "PACK falls back to several nodes");
  });

  test("rescheduled bundles keep to their selectors; kept bundles stay where they are", () => {
    assert.deepEqual(placeBundles("SPREAD", [{ CPU: 1 }, { CPU: 1 }], labelled, ["a", null], [{}, { gpu: "k80" }]), ["a", "c"]);
    assert.deepEqual(placeBundles("STRICT_PACK", [{ CPU: 1 }, { CPU: 1 }], labelled, ["b", null], [{}, { zone: "b" }]), ["b", "b"]);
    assert.equal(placeBundles("STRICT_PACK", [{ CPU: 1 }, { CPU: 1 }], labelled, ["b", null], [{}, { gpu: "k80" }]), undefined, "the kept node does not match the missing bundle");
  });

  test("a bundle no node matches leaves the group unplaced", () => {
    assert.equal(placeBundles("PACK", [{ CPU: 1 }, { CPU: 1 }], labelled, undefined, [{}, { zone: "z" }]), undefined);
    assert.equal(placeBundles("SPREAD", [{ CPU: 8 }], labelled, undefined, [{ zone: "a" }]), undefined, "matching, but too small");
    assert.deepEqual(placeBundles("SPREAD", [{ CPU: 1 }], labelled, undefined, [{ zone: "a" }]), ["a"]);
  });
});

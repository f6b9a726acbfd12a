import assert from "node:assert/strict";
import { mock, test } from "node:test";
import type { NodeResources } from "@lux/protocol";
import { ClusterView, RESERVATION_TTL_MS } from "../src/cluster-view.js";

const node = (nodeId: string, cpus: number): NodeResources => ({ nodeId, address: `${nodeId}:1`, alive: true, total: { CPU: 2 }, available: { CPU: cpus } });
const cpusOf = (view: ClusterView, nodeId: string): number | undefined => view.nodes().find((n) => n.nodeId === nodeId)?.available.CPU;

test("a spilled request counts as taken on the node until it reports, or until the reservation lapses", () => {
  mock.timers.enable({ apis: ["setTimeout", "Date"] });
  try {
    const view = new ClusterView("A", () => node("A", 0));
    let changes = 0;
    view.onChange(() => changes++);
    view.update([node("X", 2)], false);
    view.reserve("X", { CPU: 1 });
    assert.equal(cpusOf(view, "X"), 1);
    view.update([node("X", 1)], false); // X granted it and reported: the report is the truth
    assert.equal(cpusOf(view, "X"), 1);
    changes = 0;
    // Withdrawn before X granted it: X never reports, the reservation lapses on its own.
    view.reserve("X", { CPU: 1 });
    assert.equal(cpusOf(view, "X"), 0);
    mock.timers.tick(RESERVATION_TTL_MS - 1);
    assert.equal(cpusOf(view, "X"), 0);
    mock.timers.tick(1);
    assert.equal(cpusOf(view, "X"), 1);
    assert.equal(changes, 1, "listeners hear of it, so queued requests can spill to X");
    view.close();
  } finally {
    mock.timers.reset();
  }
});

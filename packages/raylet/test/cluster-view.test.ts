import assert from "node:assert/strict";
import { test } from "node:test";
import { FakeClock, type NodeResources } from "@lux/protocol";
import { ClusterView } from "../src/cluster-view.js";

// Any lapse: the view is built with it (config spillbackReservationLapseMs in a raylet).
const RESERVATION_TTL_MS = 300;

const node = (nodeId: string, cpus: number): NodeResources => ({ nodeId, address: `${nodeId}:1`, alive: true, total: { CPU: 2 }, available: { CPU: cpus } });
const cpusOf = (view: ClusterView, nodeId: string): number | undefined => view.nodes().find((n) => n.nodeId === nodeId)?.available.CPU;

test("a spilled request counts as taken on the node until it reports, or until the reservation lapses", () => {
  const clock = new FakeClock();
  const view = new ClusterView({ localId: "A", local: () => node("A", 0), clock, reservationLapseMs: RESERVATION_TTL_MS });
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
  clock.advance(RESERVATION_TTL_MS - 1);
  assert.equal(cpusOf(view, "X"), 0);
  clock.advance(1);
  assert.equal(cpusOf(view, "X"), 1);
  assert.equal(changes, 1, "listeners hear of it, so queued requests can spill to X");
  view.close();
  assert.equal(clock.pendingTimers, 0);
});

test("reservations made at different times lapse one by one, each on its own schedule", () => {
  const clock = new FakeClock();
  const view = new ClusterView({ localId: "A", local: () => node("A", 0), clock, reservationLapseMs: RESERVATION_TTL_MS });
  view.update([node("X", 2)], false);
  view.reserve("X", { CPU: 1 });
  clock.advance(RESERVATION_TTL_MS / 2);
  view.reserve("X", { CPU: 1 });
  assert.equal(cpusOf(view, "X"), 0);
  clock.advance(RESERVATION_TTL_MS / 2);
  assert.equal(cpusOf(view, "X"), 1, "the first lapsed");
  clock.advance(RESERVATION_TTL_MS / 2 - 1);
  assert.equal(cpusOf(view, "X"), 1);
  clock.advance(1);
  assert.equal(cpusOf(view, "X"), 2, "then the second");
  view.close();
});

/** Pending demand: queued requests by shape, plus the backlog each owner reported on its newest request. */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { CoreWorkerService, LeaseRequest, RpcConnection } from "@lux/protocol";
import { demandOf, setBacklog, type QueuedLease } from "../src/pending-demand.js";

const ownerA = {} as RpcConnection<CoreWorkerService>;
const ownerB = {} as RpcConnection<CoreWorkerService>;

function queued(requester: RpcConnection<CoreWorkerService>, resources: Record<string, number>, id: string): QueuedLease {
  const req: LeaseRequest = { requestId: id, jobId: "j", resources, description: "t" };
  return { req, requester, backlog: 0 };
}

test("each owner's newest backlog counts once per shape, beside its queued requests", () => {
  const a1 = queued(ownerA, { CPU: 1 }, "a1");
  const a2 = queued(ownerA, { CPU: 1 }, "a2");
  const b1 = queued(ownerB, { CPU: 1 }, "b1");
  const g1 = queued(ownerA, { GPU: 1 }, "g1");
  const queue = [a1, a2, b1, g1];
  setBacklog(queue, a1, 100);
  setBacklog(queue, a2, 40); // newer: replaces a1's figure, not added to it
  setBacklog(queue, b1, 7);
  setBacklog(queue, g1, 5); // another shape of the same owner: kept apart
  const demand = demandOf(queue, (key) => key.includes("GPU"));
  assert.deepEqual(
    demand.map((d) => [d.resources, d.count, d.infeasible]),
    [
      [{ CPU: 1 }, 3 + 40 + 7, false],
      [{ GPU: 1 }, 1 + 5, true],
    ],
  );
  assert.equal(a1.backlog, 0);
});

test("without backlogs each queued request counts as one", () => {
  const queue = [queued(ownerA, { CPU: 2 }, "x"), queued(ownerB, { CPU: 2 }, "y")];
  assert.deepEqual(demandOf(queue, () => false).map((d) => d.count), [2]);
});

/**
 * Issue 4 point 2: the control service health-checks nodes. A raylet that stops answering
 * (here: frozen with SIGSTOP, so its connection stays open) is declared dead after the
 * configured timeout, and every driver sees it. Issue 12 point 4: calls that wait on work
 * there (a task, an actor method) end then too, instead of waiting forever.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import * as lux from "lux";
import { LocalCluster } from "lux/testing";
import { descendants, pidAlive, waitFor } from "./helpers.js";

let cluster: LocalCluster | undefined;
let frozen: number[] = [];

/** Runs until the test gives up on it when it runs on node `stuck`; elsewhere it answers at once. */
const hangOn = lux.remote((stuck: string) => (process.env["LUX_NODE_ID"] === stuck ? new Promise<string>(() => undefined) : "ran elsewhere"));
const pidOf = lux.remote(() => process.pid);

class Hanger {
  ping(): number {
    return process.pid;
  }
  hang(): Promise<never> {
    return new Promise(() => undefined);
  }
}

after(async () => {
  for (const pid of frozen) if (pidAlive(pid)) process.kill(pid, "SIGCONT");
  await lux.shutdown();
  await cluster?.shutdown();
});

test("a node that stops answering health checks is declared dead", async () => {
  // Passed to the control service (and the raylets), not set in this process's environment:
  // with the default (30 s) the node would not be declared dead within the wait below.
  cluster = await LocalCluster.start({
    head: { numCpus: 1, objectStoreMemory: 32 * 1024 ** 2 },
    config: { nodeDeathTimeoutMs: 1500, gcsHealthCheckPeriodMs: 200 },
  });
  await cluster.addNode({ numCpus: 1, objectStoreMemory: 32 * 1024 ** 2 });
  await cluster.waitForNodes(2);
  const node = cluster.nodes[1];
  assert.ok(node !== undefined);
  await lux.init({ address: cluster.address });
  assert.equal((await lux.nodes()).filter((n) => n.alive).length, 2);

  // Work waiting on the node: an actor method call in flight, and a task running there
  // (pushed on the lease of the task before it, still held).
  const actor = lux.remote(Hanger).options({ schedulingStrategy: { nodeId: node.nodeId, soft: false } }).remote();
  await lux.get(actor.ping.remote());
  const hung = actor.hang.remote();
  const there = { schedulingStrategy: { nodeId: node.nodeId, soft: true }, maxRetries: 1 } as const;
  await lux.get(pidOf.options(there).remote());
  const task = hangOn.options(there).remote(node.nodeId);

  // A frozen machine: the raylet and its workers stop, their connections stay open.
  frozen = [node.pid, ...descendants(node.pid)];
  for (const pid of frozen) process.kill(pid, "SIGSTOP");
  await waitFor(async () => (await lux.nodes()).some((n) => n.nodeId === node.nodeId && !n.alive), "the frozen node to be declared dead", 15_000);
  // The head keeps working.
  assert.equal(await lux.get(lux.remote((x: number) => x + 1).remote(1)), 2);
  // Calls that waited on the node end with it: the task is retried elsewhere, the actor is dead.
  assert.equal(await lux.get(task, { timeoutMs: 15_000 }), "ran elsewhere");
  await assert.rejects(lux.get(hung, { timeoutMs: 15_000 }), lux.ActorDiedError);
  // Once thawed, the raylet finds its connection closed and exits.
  for (const pid of frozen) process.kill(pid, "SIGCONT");
  await waitFor(() => !pidAlive(node.pid), "the thawed raylet to exit");
  frozen = [];
});

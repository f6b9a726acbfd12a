/**
 * Issue 4 point 2: the control service health-checks nodes. A raylet that stops answering
 * (here: frozen with SIGSTOP, so its connection stays open) is declared dead after the
 * configured timeout, and every driver sees it.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import * as lux from "lux";
import { LocalCluster } from "lux/testing";
import { pidAlive, waitFor } from "./helpers.js";

let cluster: LocalCluster | undefined;
let frozen: number | undefined;

after(async () => {
  if (frozen !== undefined && pidAlive(frozen)) process.kill(frozen, "SIGCONT");
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

  frozen = node.pid;
  process.kill(node.pid, "SIGSTOP");
  await waitFor(async () => (await lux.nodes()).some((n) => n.nodeId === node.nodeId && !n.alive), "the frozen node to be declared dead", 15_000);
  // The head keeps working.
  assert.equal(await lux.get(lux.remote((x: number) => x + 1).remote(1)), 2);
  // Once thawed, the raylet finds its connection closed and exits.
  process.kill(node.pid, "SIGCONT");
  await waitFor(() => !pidAlive(node.pid), "the thawed raylet to exit");
  frozen = undefined;
});

/**
 * Issue 4 point 6: LocalCluster (`lux/testing`) starts a real cluster of several raylet
 * processes on loopback; nodes are added, waited for and removed; shutdown leaves no process.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, describe, test } from "node:test";
import * as lux from "lux";
import { LocalCluster, type LocalNode } from "lux/testing";
import { descendants, pidAlive, waitFor } from "./helpers.js";

const pidOf = lux.remote(() => process.pid);

describe("LocalCluster", () => {
  let cluster: LocalCluster | undefined;
  after(async () => {
    await lux.shutdown();
    await cluster?.shutdown();
  });

  test("start, addNode, waitForNodes, removeNode, shutdown", async () => {
    cluster = await LocalCluster.start({ head: { numCpus: 1, objectStoreMemory: 32 * 1024 ** 2 } });
    assert.match(cluster.address, /^127\.0\.0\.1:\d+$/);
    const head = cluster.nodes[0];
    assert.ok(head !== undefined);

    const second = await cluster.addNode({ numCpus: 2, resources: { side: 1 }, objectStoreMemory: 32 * 1024 ** 2 });
    assert.match(second.nodeId, /\S/);
    assert.notEqual(second.nodeId, head.nodeId);
    assert.notEqual(second.pid, head.pid);
    await cluster.waitForNodes(2);

    await lux.init({ address: cluster.address });
    const seen = await lux.nodes();
    assert.deepEqual(new Set(seen.filter((n) => n.alive).map((n) => n.nodeId)), new Set([head.nodeId, second.nodeId]));
    const side = seen.find((n) => n.nodeId === second.nodeId);
    assert.equal(side?.resources["side"], 1);
    assert.equal(side?.resources["CPU"], 2);
    assert.equal(side?.objectStore.capacity, 32 * 1024 ** 2);
    assert.equal((await lux.clusterResources())["CPU"], 3);

    // Work runs on the cluster (in a worker of some raylet).
    const workerPid = await lux.get(pidOf.remote());
    assert.notEqual(workerPid, process.pid);

    // A crashed node (SIGKILL) shows as dead.
    const secondProcesses = [second.pid, ...descendants(second.pid)];
    await cluster.removeNode(second);
    assert.equal(second.alive, false);
    await waitFor(async () => (await lux.nodes()).some((n) => n.nodeId === second.nodeId && !n.alive), "the removed node to be dead");
    await waitFor(() => secondProcesses.every((p) => !pidAlive(p)), "the removed node's processes to exit");

    await lux.shutdown();
    const all = [cluster.gcsPid, ...cluster.nodes.flatMap((n) => [n.pid, ...descendants(n.pid)])];
    await cluster.shutdown();
    await waitFor(() => all.every((p) => !pidAlive(p)), "every process of the cluster to exit");
  });

  test("a graceful removeNode, restartGcs and asyncDispose", async () => {
    const pids: number[] = [];
    {
      await using c = await LocalCluster.start({ head: { numCpus: 1 } });
      const node = await c.addNode({ numCpus: 1 });
      await c.waitForNodes(2);
      pids.push(c.gcsPid, ...c.nodes.map((n) => n.pid));
      await c.removeNode(node, { graceful: true });
      assert.equal(node.alive, false);

      // The control service restarts on the same address (its in-memory tables are lost);
      // a node started afterwards registers with it.
      const { address, gcsPid } = c;
      await c.restartGcs();
      assert.equal(c.address, address);
      assert.notEqual(c.gcsPid, gcsPid);
      await c.addNode({ numCpus: 1 });
      await c.waitForNodes(1);
      pids.push(c.gcsPid, ...c.nodes.map((n) => n.pid));
    }
    await waitFor(() => pids.every((p) => !pidAlive(p)), "every process of the cluster to exit");
  });
});

describe("config", () => {
  after(async () => {
    await lux.shutdown();
  });

  test("LocalCluster's config reaches every daemon; addNode's reaches that node's raylet and its workers", async () => {
    await using cluster = await LocalCluster.start({ head: { numCpus: 1 }, config: { idleWorkerKeepMs: 120_000 } });
    const quick = await cluster.addNode({ numCpus: 1, config: { idleWorkerKeepMs: 300 } });
    await cluster.waitForNodes(2);
    const head = cluster.nodes[0] as LocalNode;
    await lux.init({ address: cluster.address });
    const on = (node: LocalNode): lux.TaskOptions => ({ schedulingStrategy: { nodeId: node.nodeId, soft: false } });
    const keepOf = lux.remote(() => ({ pid: process.pid, keep: process.env["LUX_IDLE_WORKER_KEEP_MS"] }));
    const [onQuick, onHead] = await lux.get([keepOf.options(on(quick)).remote(), keepOf.options(on(head)).remote()]);
    assert.equal(onQuick.keep, "300", "a node's config is over the cluster's, down to its workers");
    assert.equal(onHead.keep, "120000");
    // The behaviour follows: the quick node's raylet stops its idle worker (the default keeps it a minute).
    await waitFor(() => !pidAlive(onQuick.pid), "the quick node's idle worker to be stopped", 10_000);
    assert.ok(pidAlive(onHead.pid), "the head's idle worker is kept");
    await lux.shutdown();
  });

  test("an unknown entry is refused before anything starts, naming the nearest entry", async () => {
    await assert.rejects(
      LocalCluster.start({ config: { idleWorkerKeepMS: 1 } as never }),
      (e: unknown) => e instanceof lux.InvalidConfigError && /did you mean idleWorkerKeepMs\?/.test(e.message),
    );
    await using cluster = await LocalCluster.start({ head: { numCpus: 1 } });
    await assert.rejects(cluster.addNode({ config: { workerLeaseIdleMs: -5 } }), /expected an integer >= 0/);
    assert.equal(cluster.nodes.length, 1, "no node was started");
  });
});

describe("logs", () => {
  test("each process of a node logs to its own file in the session folder, workers included", async () => {
    const cluster = await LocalCluster.start({ head: { numCpus: 1, objectStoreMemory: 32 * 1024 ** 2 } });
    try {
      await lux.init({ address: cluster.address });
      const marker = `hello-from-a-task-${process.pid}`;
      const say = lux.remote((text: string) => {
        console.log(text);
        return process.pid;
      });
      const workerPid = await lux.get(say.remote(marker));
      const logs = path.join(cluster.sessionDir, "logs");
      const workerLog = path.join(logs, `worker-${workerPid}.log`);
      await waitFor(() => fs.existsSync(workerLog) && fs.readFileSync(workerLog, "utf8").includes(marker), "the worker's log file to hold its output");
      const files = fs.readdirSync(logs);
      assert.ok(files.some((f) => f.startsWith("gcs")), `no control service log in ${files.join(", ")}`);
      assert.ok(files.some((f) => f.startsWith("raylet")), `no raylet log in ${files.join(", ")}`);
    } finally {
      await lux.shutdown();
      await cluster.shutdown();
    }
  });
});

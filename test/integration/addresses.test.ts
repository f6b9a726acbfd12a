/**
 * Issue 4 point 8: nodes on distinct addresses. The head and the nodes each bind to their
 * own loopback address (127.0.0.2, 127.0.0.3, ...), and one node runs in a network
 * namespace the test creates (a veth pair, addresses the test picks); tasks and an object
 * transfer cross them, and nothing listens anywhere else.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { after, describe, test } from "node:test";
import * as lux from "lux";
import { LocalCluster } from "lux/testing";
import { descendants } from "./helpers.js";
import { makeArray, sumArray, whereAmI } from "./fixtures/addresses-defs.js";

const N = 4 * 1024 * 1024; // 32 MiB: goes through the object stores and across nodes
let expectedSum = 0;
for (let i = 0; i < N; i++) expectedSum += i % 97;

/** host:port of every TCP socket listening in the current network namespace, by pid. */
function listeners(): Map<number, string[]> {
  const out = spawnSync("ss", ["-ltnpH"], { encoding: "utf8" }).stdout;
  const byPid = new Map<number, string[]>();
  for (const line of out.split("\n")) {
    const local = line.trim().split(/\s+/)[3];
    for (const m of line.matchAll(/pid=(\d+)/g)) {
      const pid = Number(m[1]);
      byPid.set(pid, [...(byPid.get(pid) ?? []), local ?? "?"]);
    }
  }
  return byPid;
}

function hostOf(address: string): string {
  return address.slice(0, address.lastIndexOf(":"));
}

describe("nodes on distinct loopback addresses", () => {
  let cluster: LocalCluster | undefined;
  after(async () => {
    await lux.shutdown();
    await cluster?.shutdown();
  });

  test("tasks and a transfer cross nodes bound to 127.0.0.2, .3 and .4", async () => {
    const mib32 = 32 * 1024 * 1024;
    cluster = await LocalCluster.start({ head: { numCpus: 1, nodeIp: "127.0.0.2", objectStoreMemory: 4 * mib32 } });
    const n3 = await cluster.addNode({ numCpus: 1, nodeIp: "127.0.0.3", resources: { n3: 1 }, objectStoreMemory: 4 * mib32 });
    const n4 = await cluster.addNode({ numCpus: 1, nodeIp: "127.0.0.4", resources: { n4: 1 }, objectStoreMemory: 4 * mib32 });
    await cluster.waitForNodes(3);
    assert.equal(hostOf(cluster.address), "127.0.0.2");
    await lux.init({ address: cluster.address });

    const nodes = await lux.nodes();
    assert.deepEqual(nodes.map((n) => hostOf(n.address)).sort(), ["127.0.0.2", "127.0.0.3", "127.0.0.4"]);
    assert.equal(await lux.get(whereAmI.options({ resources: { n3: 1 } }).remote()), n3.nodeId);
    assert.equal(await lux.get(whereAmI.options({ resources: { n4: 1 } }).remote()), n4.nodeId);

    // An object made on .3 is read by a task on .4 and by the driver.
    const array = makeArray.options({ resources: { n3: 1 } }).remote(N);
    const [ranOn, sum] = await lux.get(sumArray.options({ resources: { n4: 1 } }).remote(array));
    assert.equal(ranOn, n4.nodeId);
    assert.equal(sum, expectedSum);
    const local = await lux.get(array);
    assert.equal(local[N - 1], (N - 1) % 97);

    // Every process of a node listens on that node's address only (never 0.0.0.0).
    const byPid = listeners();
    for (const node of cluster.nodes) {
      const ip = node === n3 ? "127.0.0.3" : node === n4 ? "127.0.0.4" : "127.0.0.2";
      for (const pid of [node.pid, ...descendants(node.pid)]) {
        for (const address of byPid.get(pid) ?? []) assert.equal(hostOf(address), ip, `pid ${pid} listens on ${address}`);
      }
    }
    for (const address of byPid.get(cluster.gcsPid) ?? []) assert.equal(hostOf(address), "127.0.0.2");
  });
});

describe("a node in a network namespace", () => {
  const tag = (process.pid % 50_000).toString(36);
  const ns = `luxns${tag}`;
  const hostIf = `lxh${tag}`;
  const nsIf = `lxn${tag}`;
  // A /30 of our own, used only between the veth ends this test creates.
  const subnet = `10.213.${process.pid % 250}`;
  const hostIp = `${subnet}.1`;
  const nsIp = `${subnet}.2`;
  let cluster: LocalCluster | undefined;
  const ip = (...args: string[]): void => {
    const r = spawnSync("ip", args, { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`ip ${args.join(" ")} failed: ${r.stderr}`);
  };

  after(async () => {
    await lux.shutdown();
    await cluster?.shutdown();
    spawnSync("ip", ["netns", "del", ns]);
    spawnSync("ip", ["link", "del", hostIf]);
  });

  test("tasks and a transfer reach a node in a namespace the test made", async () => {
    ip("netns", "add", ns);
    ip("link", "add", hostIf, "type", "veth", "peer", "name", nsIf);
    ip("link", "set", nsIf, "netns", ns);
    ip("addr", "add", `${hostIp}/30`, "dev", hostIf);
    ip("link", "set", hostIf, "up");
    ip("netns", "exec", ns, "ip", "addr", "add", `${nsIp}/30`, "dev", nsIf);
    ip("netns", "exec", ns, "ip", "link", "set", nsIf, "up");
    ip("netns", "exec", ns, "ip", "link", "set", "lo", "up");

    const mib32 = 32 * 1024 * 1024;
    cluster = await LocalCluster.start({ head: { numCpus: 1, nodeIp: hostIp, objectStoreMemory: 4 * mib32 } });
    const inside = await cluster.addNode({ numCpus: 1, nodeIp: nsIp, netns: ns, resources: { inside: 1 }, objectStoreMemory: 4 * mib32 });
    await cluster.waitForNodes(2);
    await lux.init({ address: cluster.address });

    assert.equal(hostOf((await lux.nodes()).find((n) => n.nodeId === inside.nodeId)?.address ?? ""), nsIp);
    assert.equal(await lux.get(whereAmI.options({ resources: { inside: 1 } }).remote()), inside.nodeId);
    // An object made in the namespace comes out to the driver and back in to a task.
    const array = makeArray.options({ resources: { inside: 1 } }).remote(N);
    const got = await lux.get(array);
    assert.equal(got[N - 1], (N - 1) % 97);
    const [, sum] = await lux.get(sumArray.remote(lux.put(got)));
    assert.equal(sum, expectedSum);
    const [ranInside, sumInside] = await lux.get(sumArray.options({ resources: { inside: 1 } }).remote(lux.put(got)));
    assert.equal(ranInside, inside.nodeId);
    assert.equal(sumInside, expectedSum);
  });
});

/**
 * The local provider through the NodeProvider interface: its nodes are real `lux start
 * --address --block` processes that join the cluster with their type's resources and labels,
 * are found again by their tags (by a second provider, as a restarted autoscaler would), and
 * end when terminated.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, test } from "node:test";
import { LocalNodeProvider, TAG_CLUSTER, TAG_NODE_KIND, TAG_NODE_TYPE, parseClusterConfig, type NodeProvider } from "@lux/autoscaler";
import { connectControlService } from "@lux/launcher";
import type { NodeInfo } from "@lux/protocol";
import { LocalCluster } from "@lux/testing";

const sessionRoot = fs.mkdtempSync(path.join(os.tmpdir(), "lux-local-provider-"));
// The nodes' `lux start` records (for `lux stop`) go here, not among the machine's.
process.env["LUX_SESSION_DIR_ROOT"] = sessionRoot;

const config = parseClusterConfig(`clusterName: lp
provider: { type: local }
headNodeType: head
availableNodeTypes:
  head: { resources: { CPU: 0 } }
  small:
    resources: { CPU: 2, special: 3 }
    labels: { zone: b }
    nodeConfig: { objectStoreMemory: 33554432 }
`);

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("local node provider", () => {
  let cluster: LocalCluster;
  let provider: NodeProvider;
  const pids: number[] = [];

  before(async () => {
    cluster = await LocalCluster.start({ head: { numCpus: 0 } });
    provider = new LocalNodeProvider({ clusterName: "lp", gcsAddress: cluster.address, token: cluster.token, nodeTypes: config.availableNodeTypes, stateDir: path.join(sessionRoot, "nodes") });
  });

  after(async () => {
    // Whatever happened, no node this test started stays.
    const ids = await provider.nonTerminatedNodes({});
    await provider.terminateNodes(ids);
    for (const pid of pids) if (pidAlive(pid)) process.kill(pid, "SIGKILL");
    // Their daemons follow their `lux start --block` parent out (they poll for it): wait for
    // every process of this cluster's nodes, and end any still there.
    const ours = (): number[] =>
      fs.readdirSync("/proc").filter((d) => /^\d+$/.test(d)).map(Number).filter((pid) => {
        try {
          // A provider's node has LUX_INSTANCE_ID in its environment; the head's raylet does not.
          return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(`--gcs-address\0${cluster.address}`) && /(^|\0)LUX_INSTANCE_ID=/.test(fs.readFileSync(`/proc/${pid}/environ`, "utf8"));
        } catch {
          return false;
        }
      });
    await waitFor("the nodes' daemons to exit", async () => (ours().length === 0 ? true : undefined), 10_000).catch(() => {
      for (const pid of ours()) if (pidAlive(pid)) process.kill(pid, "SIGKILL");
    });
    await cluster.shutdown();
    fs.rmSync(sessionRoot, { recursive: true, force: true });
  });

  test("createNodes starts lux start raylets with the type's resources and labels; tags find them; terminate ends them", async () => {
    const tags = { [TAG_CLUSTER]: "lp", [TAG_NODE_KIND]: "worker" };
    const ids = await provider.createNodes("small", 2, tags);
    assert.equal(ids.length, 2);
    for (const file of fs.readdirSync(path.join(sessionRoot, "nodes")).filter((f) => f.endsWith(".json"))) {
      pids.push((JSON.parse(fs.readFileSync(path.join(sessionRoot, "nodes", file), "utf8")) as { pid: number }).pid);
    }
    const client = await connectControlService(cluster.address, cluster.token);
    let joined: NodeInfo[] = [];
    try {
      joined = await waitFor("both nodes to join", async () => {
        const nodes = (await client.nodes()).filter((n) => n.alive && ids.includes(n.labels?.["lux.io/instance-id"] ?? ""));
        return nodes.length === 2 ? nodes : undefined;
      }, 90_000); // a node joins in ~1.5 s alone; CI starts it beside five other test files on 2 cores
    } catch (e) {
      // What the nodes said, so a failure shows why they did not join.
      const dir = path.join(sessionRoot, "nodes");
      const logs = fs.readdirSync(dir).filter((f) => f.endsWith(".log")).map((f) => `--- ${f}\n${fs.readFileSync(path.join(dir, f), "utf8").slice(-3000)}`);
      throw new Error(`${(e as Error).message}\n${logs.join("\n")}`);
    } finally {
      client.close();
    }
    for (const n of joined) {
      assert.equal(n.resources["CPU"], 2);
      assert.equal(n.resources["special"], 3);
      assert.equal(n.resources["GPU"], undefined);
      assert.equal(n.labels?.["zone"], "b");
      assert.equal(n.labels?.["lux.io/node-type"], "small");
      assert.equal(n.storeCapacity, 33554432);
    }

    // A second provider (a restarted autoscaler) finds them by their tags.
    const again = new LocalNodeProvider({ clusterName: "lp", gcsAddress: cluster.address, token: cluster.token, nodeTypes: config.availableNodeTypes, stateDir: path.join(sessionRoot, "nodes") });
    assert.deepEqual((await again.nonTerminatedNodes({ [TAG_CLUSTER]: "lp" })).sort(), [...ids].sort());
    assert.deepEqual(await again.nonTerminatedNodes({ [TAG_CLUSTER]: "other" }), []);
    assert.deepEqual(await again.nodeTags(ids[0] as string), { ...tags, [TAG_NODE_TYPE]: "small" });
    assert.equal(await again.internalIp(ids[0] as string), "127.0.0.1");

    await again.terminateNodes([ids[0] as string]);
    assert.deepEqual(await provider.nonTerminatedNodes({ [TAG_CLUSTER]: "lp" }), [ids[1]]);
    assert.deepEqual(await provider.nodeTags(ids[0] as string), {});
    const check = await connectControlService(cluster.address, cluster.token);
    try {
      await waitFor("the terminated node to leave the cluster", async () => {
        const nodes = await check.nodes();
        return nodes.some((n) => n.labels?.["lux.io/instance-id"] === ids[0] && !n.alive) ? true : undefined;
      });
    } finally {
      check.close();
    }
    assert.equal(provider.failureOf?.(ids[0] as string), undefined, "a terminated node did not fail");
    await provider.terminateNodes([ids[1] as string, "lp-small-gone"]);
    assert.deepEqual(await provider.nonTerminatedNodes({}), []);
    for (const pid of pids) assert.equal(pidAlive(pid), false, `pid ${pid} still runs`);
  });
});

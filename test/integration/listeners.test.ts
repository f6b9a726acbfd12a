/**
 * Issue 17 point 2: by default every process of a cluster listens on loopback addresses only,
 * and `lux status --listeners` lists every address and port they listen on (checked against
 * `ss`): the control service, the dashboard, each node's raylet (RPC and object transfer)
 * and `/metrics`, and each worker's and driver's RPC server. `lux start` refuses a wildcard
 * node address (one other nodes could not dial).
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, describe, test } from "node:test";
import * as lux from "lux";
import * as serve from "@lux/serve";
import { HelloDeployment } from "./fixtures/serve-apps.js";
import { root, runScript, withCluster } from "./helpers.js";
import { assertListsEverything, hostPort, statusListeners } from "./listener-lists.js";

const double = lux.remote((x: number) => x * 2);

describe("a cluster's listeners", () => {
  const setup = withCluster({ head: { numCpus: 1 }, dashboard: true }, async (cluster) => {
    await cluster.addNode({ numCpus: 1, nodeIp: "127.0.0.2", resources: { B: 1 } });
    await cluster.waitForNodes(2);
    await lux.init({ address: cluster.address });
  });

  test("lux status --listeners lists every one, per node, all on loopback", async () => {
    // A worker on each node.
    assert.deepEqual(await lux.get([double.remote(1), double.options({ resources: { B: 1 } }).remote(2)]), [2, 4]);
    const { header, listed, text } = await statusListeners(setup.cluster.address, setup.cluster.token);
    assert.match(header, new RegExp(`^Listeners of the cluster at ${setup.cluster.address} \\(plaintext\\):`));
    const [head, second] = setup.cluster.nodes;
    const at = (what: string, nodeId: string | undefined): string[] => listed.filter((l) => l.nodeId === nodeId && l.what.startsWith(what)).map((l) => l.address);
    assert.deepEqual(at("control service", undefined), [setup.cluster.address]);
    assert.deepEqual(at("dashboard", undefined), [setup.cluster.dashboardUrl]);
    assert.deepEqual(at("raylet: RPC", head?.nodeId), [head?.address]);
    assert.deepEqual(at("raylet: RPC", second?.nodeId), [second?.address]);
    assert.match(at("raylet: Prometheus", second?.nodeId)[0] ?? "", /^127\.0\.0\.2:\d+$/);
    assert.ok(at("worker", second?.nodeId).every((a) => a.startsWith("127.0.0.2:")) && at("worker", second?.nodeId).length > 0, text);
    assert.ok(listed.some((l) => l.what.startsWith("driver") && l.pid === process.pid), text);
    assertListsEverything(listed, [setup.cluster.gcsPid, ...setup.cluster.nodes.map((n) => n.pid)], text);
  });

  test("a library's port is listed too (@lux/serve's HTTP proxy, through lux.util.listeners), and no longer once it closed", async () => {
    const started = await serve.start({ http: { port: 0 } });
    try {
      await serve.run(HelloDeployment.bind(), { name: "hello", routePrefix: "/hello" });
      const proxy = Object.values(started.proxies)[0];
      assert.ok(proxy !== undefined);
      const { listed, text } = await statusListeners(setup.cluster.address, setup.cluster.token);
      const line = listed.find((l) => l.what === "serve: HTTP proxy");
      assert.ok(line !== undefined, `the proxy is listed:\n${text}`);
      assert.equal(hostPort(line.address), hostPort(proxy.url ?? ""));
      assert.equal(line.nodeId, setup.cluster.nodes[0]?.nodeId, "under the node it runs on");
      assert.ok((await lux.util.listeners.list()).some((l) => l.address === proxy.url));
      assertListsEverything(listed, [setup.cluster.gcsPid, ...setup.cluster.nodes.map((n) => n.pid)], text);
    } finally {
      await serve.shutdown();
    }
    const { listed, text } = await statusListeners(setup.cluster.address, setup.cluster.token);
    assert.ok(!listed.some((l) => l.what === "serve: HTTP proxy"), `the closed proxy is not listed:\n${text}`);
  });
});

describe("lux start", () => {
  const sessionRoot = fs.mkdtempSync(path.join(os.tmpdir(), "lux-listeners-"));
  after(() => fs.rmSync(sessionRoot, { recursive: true, force: true }));

  test("refuses a wildcard --node-ip-address, before starting anything", async () => {
    for (const wildcard of ["0.0.0.0", "::"]) {
      const run = await runScript(path.join(root, "packages/lux/bin/lux.js"), {
        args: ["start", "--head", "--port", "0", "--node-ip-address", wildcard],
        env: { LUX_SESSION_DIR_ROOT: sessionRoot, LUX_ADDRESS: "", LUX_TOKEN: "" },
        loader: false,
      });
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, new RegExp(`--node-ip-address ${wildcard.replace(/\./g, "\\.")}: give this node's own address`));
      assert.deepEqual(fs.readdirSync(sessionRoot), [], "nothing started, no session made");
    }
  });
});

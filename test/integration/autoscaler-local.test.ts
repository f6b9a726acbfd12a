/**
 * Issue 23 (points 2, 3 and 5) through the CLI and the public API, with the local provider's
 * real `lux start --address` nodes: `lux up` starts the head and its autoscaler; pending tasks
 * launch the fewest nodes of the right type; label selectors and STRICT_SPREAD placement groups
 * pick types and node counts; infeasible demand is reported and launches nothing;
 * `lux.requestResources` launches and keeps nodes; idle nodes are drained (their objects moved
 * off, so a `get` after still works) and ended; a restarted reconciler finds its nodes by their
 * tags; `lux up` again changes nothing; `lux down` ends every process.
 *
 * The commands run with their own LUX_SESSION_DIR_ROOT, so they see only this test's cluster.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, test } from "node:test";
import * as lux from "lux";
import { descendants, pidAlive, root, runScript, waitFor } from "./helpers.js";

const luxBin = path.join(root, "packages/lux/bin/lux.js");
const sessionRoot = fs.mkdtempSync(path.join(os.tmpdir(), "lux-autoscaler-test-"));
const env = { LUX_SESSION_DIR_ROOT: sessionRoot, LUX_ADDRESS: "", LUX_TOKEN: "" };
// This process is a driver of the cluster: it finds the cluster's token under the same root.
process.env["LUX_SESSION_DIR_ROOT"] = sessionRoot;
const IDLE_S = 3;
const INTERVAL_MS = 500;
const clusterYaml = path.join(sessionRoot, "cluster.yaml");
fs.writeFileSync(
  clusterYaml,
  `clusterName: astest
maxWorkers: 6
idleTimeoutS: ${IDLE_S}
reconcileIntervalMs: ${INTERVAL_MS}
provider: { type: local }
headNodeType: head
availableNodeTypes:
  head:
    resources: { CPU: 0 }
    maxWorkers: 0
  cpu4:
    resources: { CPU: 4 }
    maxWorkers: 4
    nodeConfig: { objectStoreMemory: 67108864 }
  gpu:
    resources: { CPU: 4, GPU: 1 }
    maxWorkers: 1
    nodeConfig: { objectStoreMemory: 67108864 }
  zoneb:
    resources: { CPU: 2 }
    labels: { zone: b }
    maxWorkers: 2
    nodeConfig: { objectStoreMemory: 67108864 }
`,
);

function cli(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runScript(luxBin, { args, env, loader: false, timeoutMs: 60_000 });
}

/** Pids of every process recorded under this test's root (daemons and local nodes). */
function recordedPids(): number[] {
  const pids: number[] = [];
  const walk = (dir: string): void => {
    if (!fs.existsSync(dir)) return;
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) walk(full);
      else if (e.name.endsWith(".json")) {
        const pid = (JSON.parse(fs.readFileSync(full, "utf8")) as { pid?: unknown }).pid;
        if (typeof pid === "number") pids.push(pid);
      }
    }
  };
  walk(path.join(sessionRoot, "cli"));
  walk(path.join(sessionRoot, "clusters"));
  return pids;
}

/** Alive nodes of a node type (by their lux.io/node-type label). */
async function nodesOf(type: string): Promise<lux.NodeView[]> {
  return (await lux.nodes()).filter((n) => n.alive && n.labels["lux.io/node-type"] === type);
}

async function status(): Promise<string> {
  const r = await cli("status");
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

describe("autoscaler with the local provider", () => {
  let address = "";
  const seen = new Set<number>();
  const track = (): void => {
    for (const pid of recordedPids()) for (const p of [pid, ...descendants(pid)]) seen.add(p);
  };

  before(async () => {
    const up = await cli("up", clusterYaml, "--yes", "--port", "0", "--dashboard-port", "0", "--object-store-memory", String(64 * 1024 ** 2));
    assert.equal(up.code, 0, up.stderr);
    address = /Control service: (127\.0\.0\.1:\d+)/.exec(up.stdout)?.[1] ?? "";
    assert.notEqual(address, "", up.stdout);
    assert.match(up.stdout, /Autoscaler: cluster astest \(local provider\)/);
    track();
    await lux.init({ address });
  });

  after(async () => {
    // Whatever happened, nothing this test started stays.
    await lux.shutdown();
    track();
    const down = await cli("down", clusterYaml);
    for (const pid of seen) if (pidAlive(pid)) process.kill(pid, "SIGKILL");
    fs.rmSync(sessionRoot, { recursive: true, force: true });
    assert.equal(down.code, 0, down.stderr);
  });

  test("10 × {CPU:1} launch 3 nodes (no GPU node); idle, they are drained and ended", async () => {
    const work = lux.remote(async (ms: number) => {
      await new Promise((r) => setTimeout(r, ms));
      return lux.getRuntimeContext().nodeId;
    });
    /** Node id → node type, of every worker node seen while the tasks ran. */
    const launched = new Map<string, string>();
    const see = (ns: lux.NodeView[]): void => ns.forEach((n) => launched.set(n.nodeId, n.labels["lux.io/node-type"] ?? ""));
    const refs = Array.from({ length: 10 }, () => work.options({ numCpus: 1 }).remote(1500));
    // Two of the 4-CPU type, and for the last two tasks the 2-CPU type, which they use whole.
    const workers = async (): Promise<lux.NodeView[]> => [...(await nodesOf("cpu4")), ...(await nodesOf("zoneb")), ...(await nodesOf("gpu"))];
    const watching = setInterval(() => {
      workers().then(see, () => undefined);
    }, 100);
    let ran: string[];
    try {
      ran = await lux.get(refs, { timeoutMs: 60_000 });
    } finally {
      clearInterval(watching);
    }
    track();
    see(await workers());
    for (const nodeId of ran) assert.ok(launched.has(nodeId), "each task ran on a launched node");
    // By type, from the nodes seen (a node whose tasks ended first may already be idle past
    // IDLE_S, and ended, by the time a status is read on a loaded machine).
    assert.deepEqual([...launched.values()].sort(), ["cpu4", "cpu4", "zoneb"]);
    assert.doesNotMatch(await status(), /[1-9]\d* failed/, "no launch failed");
    const idleSince = Date.now();
    await waitFor(async () => (await workers()).length === 0, "the idle nodes to be ended", 30_000);
    const tookS = (Date.now() - idleSince) / 1000;
    assert.ok(tookS <= IDLE_S + 5, `scale-down took ${tookS} s`);
    assert.match(await status(), /cpu4: 0 running, 0 pending, 0 failed/);
  });

  test("a node's objects move off before it goes: a get after scale-down still works", async () => {
    const make = lux.remote((): [string, Float64Array] => {
      const a = new Float64Array(256 * 1024); // 2 MiB: stored in the node's object store, not inline
      a.fill(1.5);
      return [lux.getRuntimeContext().nodeId, a];
    });
    // maxRetries 0: no lineage reconstruction. The array is not read before the node goes (a
    // read would leave a copy on this node): the copy moved off is the only one left then.
    const [onRef, dataRef] = make.options({ numCpus: 4, maxRetries: 0, numReturns: 2 }).remote();
    const on = await lux.get(onRef, { timeoutMs: 60_000 });
    track();
    assert.ok((await nodesOf("cpu4")).some((n) => n.nodeId === on), "made on a cpu4 node");
    await waitFor(async () => !(await lux.nodes()).some((n) => n.nodeId === on && n.alive), "the node to be ended", 30_000);
    const data = await lux.get(dataRef, { timeoutMs: 30_000 });
    assert.equal(data.length, 256 * 1024);
    assert.equal(data[12345], 1.5);
  });

  test("label selectors and STRICT_SPREAD placement groups pick the types and the number of nodes", async () => {
    const where = lux.remote(() => lux.getRuntimeContext().nodeId);
    const onB = await lux.get(where.options({ numCpus: 1, labelSelector: { zone: "b" } }).remote(), { timeoutMs: 60_000 });
    track();
    assert.ok((await nodesOf("zoneb")).some((n) => n.nodeId === onB));
    const pg = lux.placementGroup([{ CPU: 2 }, { CPU: 2 }], { strategy: "STRICT_SPREAD" });
    assert.equal(await pg.wait({ timeoutMs: 60_000 }), true);
    track();
    const nodes = (await lux.placementGroupTable(pg)).bundleNodeIds;
    assert.equal(new Set(nodes).size, 2, "two bundles on two nodes");
    await lux.removePlacementGroup(pg);
  });

  test("infeasible demand is reported and launches nothing", async () => {
    const before = (await lux.nodes()).filter((n) => n.alive).length;
    const never = lux.remote(() => 0);
    const ref = never.options({ numCpus: 64 }).remote();
    await waitFor(async () => /Infeasible demand \(no node type can hold it[^\n]*\n {4}\{"CPU":64\}: 1 task/.test(await status()), "the status to report it", 20_000);
    assert.ok((await lux.nodes()).filter((n) => n.alive).length <= before);
    await lux.cancel(ref, { force: true });
  });

  test("requestResources launches nodes and keeps them; {} lets them go; a restarted reconciler launches no duplicates", async () => {
    await lux.requestResources({ bundles: [{ GPU: 1 }] });
    await waitFor(async () => (await nodesOf("gpu")).length === 1, "the GPU node", 30_000);
    track();
    const text = await status();
    assert.match(text, /Requested \(lux\.requestResources\): \{"GPU":1\}/);
    const gpuNode = (await nodesOf("gpu"))[0]?.nodeId;
    const pid = Number(/Autoscaler \(cluster astest, pid (\d+)\)/.exec(text)?.[1]);
    assert.ok(Number.isInteger(pid), text);
    // The reconciler crashes: its supervisor starts it again, and it finds its node by the provider's tags.
    process.kill(pid, "SIGKILL");
    await waitFor(async () => {
      const m = /Autoscaler \(cluster astest, pid (\d+)\): pass (\d+)/.exec(await status());
      return m !== null && Number(m[1]) !== pid && Number(m[2]) >= 4;
    }, "a new reconciler to make a few passes", 30_000);
    track();
    assert.deepEqual((await nodesOf("gpu")).map((n) => n.nodeId), [gpuNode], "the same GPU node, and no other");
    assert.match(await status(), /gpu: 1 running, 0 pending, 0 failed/);
    await lux.requestResources({});
    await waitFor(async () => (await nodesOf("gpu")).length === 0, "the GPU node to be ended once not requested", 30_000);
  });

  test("lux up again changes nothing", async () => {
    const again = await cli("up", clusterYaml, "--yes", "--port", "0", "--dashboard-port", "0");
    assert.equal(again.code, 0, again.stderr);
    assert.ok(again.stdout.includes(`Lux cluster astest is up, unchanged. Control service: ${address}`), again.stdout);
  });
});

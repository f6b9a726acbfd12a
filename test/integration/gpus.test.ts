/**
 * Issue 14, point 6: GPU detection. Nodes started without a GPU count run a fake
 * `nvidia-smi` (a shell script the test writes, first on the raylet's PATH through
 * `addNode({ env })`): its GPUs become the node's GPU resource and lux.io/accelerator-type
 * label, kept to the raylet's CUDA_VISIBLE_DEVICES; a failing, garbage-printing, slow or
 * missing nvidia-smi gives 0 GPUs and one warning in the raylet's log, and the node runs.
 * Workers see CUDA_VISIBLE_DEVICES set to their GPU ids before their code loads ("" with none).
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import * as lux from "lux";
import { LocalCluster, type LocalNode, type LocalNodeOptions } from "lux/testing";
import { GpuHolderActor, visibleDevices, type Devices } from "./fixtures/gpus-remote.js";
import { LoadProbeActor } from "./fixtures/gpus-load-remote.js";
import { seenAtLoad } from "./fixtures/gpus-load-task-remote.js";

const GET_MS = 60_000;
const ACCELERATOR = "lux.io/accelerator-type";
const UUID = (i: number): string => `GPU-${String(i).repeat(8)}-1111-2222-3333-444455556666`;

describe("GPU detection with nvidia-smi", () => {
  let cluster: LocalCluster;
  const dirs: string[] = [];

  /** A folder holding an executable `nvidia-smi` that runs `body` (sh), or none when `body` is undefined. */
  const fakeSmiDir = (body: string | undefined): string => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lux-fake-smi-"));
    dirs.push(dir);
    if (body !== undefined) fs.writeFileSync(path.join(dir, "nvidia-smi"), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
    return dir;
  };
  /** nvidia-smi listing `n` GPUs named `name`; it checks it was asked for the fields Lux reads. */
  const listing = (n: number, name: string): string =>
    [
      '[ "$1" = "--query-gpu=index,uuid,name,memory.total" ] && [ "$2" = "--format=csv,noheader" ] || { echo "unexpected arguments: $*" >&2; exit 64; }',
      ...Array.from({ length: n }, (_, i) => `echo "${i}, ${UUID(i)}, ${name}, 81559 MiB"`),
    ].join("\n");
  const withSmi = (body: string | undefined, options: LocalNodeOptions = {}): Promise<LocalNode> => {
    const dir = fakeSmiDir(body);
    // Missing: PATH is only the empty folder, so no nvidia-smi elsewhere on this machine is found.
    const PATH = body === undefined ? dir : `${dir}:${process.env["PATH"] ?? ""}`;
    return cluster.addNode({ numCpus: 4, ...options, env: { PATH, ...options.env } });
  };
  const nodeView = async (node: LocalNode): Promise<lux.NodeView> => {
    const found = (await lux.nodes()).find((n) => n.nodeId === node.nodeId);
    assert.ok(found !== undefined, `node ${node.nodeId} is listed`);
    return found;
  };
  const raylogLog = (node: LocalNode): string => fs.readFileSync(path.join(cluster.sessionDir, "logs", `raylet-${cluster.nodes.indexOf(node)}.log`), "utf8");
  const on = (node: LocalNode): { labelSelector: Record<string, string> } => ({ labelSelector: { "lux.io/node-id": node.nodeId } });

  before(async () => {
    cluster = await LocalCluster.start({ head: { numCpus: 1, numGpus: 0 } });
    await lux.init({ address: cluster.address });
  });

  after(async () => {
    await lux.shutdown();
    await cluster?.shutdown();
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  describe("a node with two H100s", () => {
    let node: LocalNode;
    before(async () => {
      node = await withSmi(listing(2, "NVIDIA H100 80GB HBM3"));
    });

    it("has GPU 2 and lux.io/accelerator-type H100, in lux.nodes() and in its tasks' runtime context", async () => {
      const view = await nodeView(node);
      assert.equal(view.resources["GPU"], 2);
      assert.equal(view.labels[ACCELERATOR], "H100");
      assert.equal((await nodeView(cluster.nodes[0] as LocalNode)).labels[ACCELERATOR], undefined, "numGpus: 0: no detection, no label");
      assert.ok(!raylogLog(node).includes("WARN raylet: GPU detection"), "no warning");
      const seen = await lux.get(visibleDevices.options({ numGpus: 1, labelSelector: { [ACCELERATOR]: "H100" } }).remote(), { timeoutMs: GET_MS });
      assert.equal(seen.nodeId, node.nodeId);
    });

    // Both GPUs: nothing before held both, so a worker reused from earlier work cannot have had
    // "0,1" set already (the variable is set per task, and stays). The actor's worker ends with it.
    it("CUDA_VISIBLE_DEVICES is set before the actor's or task's module is loaded", async () => {
      const probe = LoadProbeActor.options({ numGpus: 2, ...on(node) }).remote();
      assert.equal(await lux.get(probe.seenAtLoad.remote(), { timeoutMs: GET_MS }), "0,1", "when the actor's module loaded");
      await lux.kill(probe);
      const task = await lux.get(seenAtLoad.options({ numGpus: 2, ...on(node) }).remote(), { timeoutMs: GET_MS });
      assert.equal(task, "0,1", "when the task's module loaded");
    });

    it("a task holding a GPU sees its id in CUDA_VISIBLE_DEVICES; a task holding none sees the empty string", async () => {
      const withGpu = await lux.get(visibleDevices.options({ numGpus: 1, ...on(node) }).remote(), { timeoutMs: GET_MS });
      assert.ok(withGpu.cuda === "0" || withGpu.cuda === "1", `CUDA_VISIBLE_DEVICES=${withGpu.cuda}`);
      assert.deepEqual(withGpu.gpuIds, [Number(withGpu.cuda)]);
      const both = await lux.get(visibleDevices.options({ numGpus: 2, ...on(node) }).remote(), { timeoutMs: GET_MS });
      assert.equal(both.cuda, "0,1");
      const none = await lux.get(visibleDevices.options(on(node)).remote(), { timeoutMs: GET_MS });
      assert.equal(none.cuda, "", "set, and empty");
      assert.deepEqual(none.gpuIds, []);
    });

    it("two whole-GPU actors get different ids; fractional GPUs share an id", async () => {
      const devicesOf = (actors: ReturnType<typeof GpuHolderActor.remote>[]): Promise<Devices[]> =>
        lux.get(actors.map((h) => h.devices.remote()), { timeoutMs: GET_MS });
      const whole = [1, 2].map(() => GpuHolderActor.options({ numGpus: 1, ...on(node) }).remote());
      assert.deepEqual((await devicesOf(whole)).map((d) => d.cuda).sort(), ["0", "1"]);
      for (const h of whole) await lux.kill(h);
      // Three halves on two devices, all alive at once: two share a device, the third has the other.
      const halves = [1, 2, 3].map(() => GpuHolderActor.options({ numGpus: 0.5, ...on(node) }).remote());
      const ids = (await devicesOf(halves)).map((d) => d.cuda ?? "?");
      const counts = [...new Set(ids)].map((id) => ids.filter((x) => x === id).length).sort();
      assert.deepEqual(counts, [1, 2], `ids of three 0.5-GPU actors: ${ids.join(" ")}`);
      assert.ok(ids.every((id) => id === "0" || id === "1"));
      for (const h of halves) await lux.kill(h);
    });
    it("two { GPU: 1 } placement-group bundles get different devices, and work in each sees its bundle's", async () => {
      const here = on(node).labelSelector;
      const pg = lux.placementGroup([{ GPU: 1 }, { GPU: 1 }], { strategy: "STRICT_PACK", bundleLabelSelector: [here, here] });
      try {
        assert.equal(await pg.wait({ timeoutMs: GET_MS }), true);
        const inBundles = [0, 1].map((bundleIndex) => GpuHolderActor.options({ numGpus: 1, schedulingStrategy: { placementGroup: pg, bundleIndex } }).remote());
        const seen = await lux.get(inBundles.map((h) => h.devices.remote()), { timeoutMs: GET_MS });
        assert.deepEqual(seen.map((d) => d.cuda).sort(), ["0", "1"]);
        for (const h of inBundles) await lux.kill(h);
      } finally {
        await lux.removePlacementGroup(pg);
      }
    });
  });

  it("keeps to the raylet's CUDA_VISIBLE_DEVICES, by index or by uuid", async () => {
    const node = await withSmi(listing(4, "NVIDIA A100-SXM4-40GB"), { env: { CUDA_VISIBLE_DEVICES: `3,${UUID(1).slice(0, 12)}` } });
    const view = await nodeView(node);
    assert.equal(view.resources["GPU"], 2);
    assert.equal(view.labels[ACCELERATOR], "A100");
    const seen = await lux.get(visibleDevices.options({ numGpus: 2, ...on(node) }).remote(), { timeoutMs: GET_MS });
    assert.equal(seen.cuda, "3,1", "the devices the raylet may use, as nvidia-smi numbers them");
    assert.deepEqual(seen.gpuIds, [3, 1]);
  });

  it("numGpus given: nvidia-smi is not asked", async () => {
    const node = await withSmi("exit 1", { numGpus: 3 });
    const view = await nodeView(node);
    assert.equal(view.resources["GPU"], 3);
    assert.equal(view.labels[ACCELERATOR], undefined);
    assert.ok(!raylogLog(node).includes("GPU detection"), raylogLog(node));
  });

  for (const [what, body, reason, config] of [
    ["missing", undefined, /nvidia-smi is not on PATH/, {}],
    ["failing (non-zero exit)", 'echo "NVIDIA-SMI has failed because it could not communicate with the driver" >&2\nexit 9', /nvidia-smi exited with code 9: NVIDIA-SMI has failed/, {}],
    ["printing garbage", 'echo "this is not, the csv you want"', /could not read the output of nvidia-smi/, {}],
    ["slow (past gpuDetectionTimeoutMs)", "exec sleep 30", /nvidia-smi did not answer within 300 ms/, { gpuDetectionTimeoutMs: 300 }],
  ] as const) {
    it(`${what} nvidia-smi: 0 GPUs, one warning in the raylet's log, and the node runs work`, async () => {
      const node = await withSmi(body, { config });
      const view = await nodeView(node);
      assert.equal(view.alive, true);
      assert.equal(view.resources["GPU"], undefined, JSON.stringify(view.resources));
      assert.equal(view.labels[ACCELERATOR], undefined);
      const warnings = raylogLog(node).split("\n").filter((l) => l.includes("GPU detection"));
      assert.equal(warnings.length, 1, warnings.join("\n"));
      assert.match(warnings[0] as string, /WARN raylet: GPU detection: .*; this node has 0 GPUs/);
      assert.match(warnings[0] as string, reason);
      const seen = await lux.get(visibleDevices.options(on(node)).remote(), { timeoutMs: GET_MS });
      assert.deepEqual([seen.nodeId, seen.cuda], [node.nodeId, ""]);
    });
  }
});

/**
 * Issue 23 (points 6 and 7): the kubernetes provider with @kubernetes/client-node against
 * FakeKubeApiServer, whose kubelet runs each pod's command as a local process. A pod is made
 * from its type's template with the cluster's labels, the token from the Secret by
 * secretKeyRef, its resources as raylet flags, and it joins as a Lux node; 409 on create counts
 * as created, 429 and 5xx are retried, 403 and 422 reported, a failed pod's reason kept. End to
 * end with `lux up`: demand → pod → node joins → task runs → idle → pod deleted.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, afterEach, before, describe, test } from "node:test";
import * as lux from "lux";
import { NodeProviderError, TAG_CLUSTER, TAG_NODE_KIND, createKubernetesProvider, parseClusterConfig, type ClusterConfig, type KubernetesNodeProvider } from "lux/autoscaler";
import { FakeKubeApiServer, LocalCluster } from "lux/testing";
import { connectControlService } from "@lux/launcher";
import { descendants, pidAlive, root, runScript, waitFor } from "./helpers.js";

// One root for the file: this process reads its config (the token files' place) once.
const sessionRoot = fs.mkdtempSync(path.join(os.tmpdir(), "lux-k8s-test-"));
process.env["LUX_SESSION_DIR_ROOT"] = sessionRoot;
after(() => fs.rmSync(sessionRoot, { recursive: true, force: true }));

function yamlFor(extra = ""): string {
  return `clusterName: kc
maxWorkers: 3
idleTimeoutS: 3
reconcileIntervalMs: 500
provider: { type: kubernetes, namespace: lux }
headNodeType: head
availableNodeTypes:
  head:
    resources: { CPU: 0 }
    maxWorkers: 0
    nodeConfig: { spec: { containers: [{ name: lux, image: "lux:dev" }] } }
  small:
    maxWorkers: 2
    nodeConfig:
      metadata: { labels: { team: data } }
      spec:
        containers:
          - name: lux
            image: lux:dev
            env: [{ name: LUX_OBJECT_STORE_NOTE, value: kept }]
            resources: { limits: { cpu: "2", memory: 2Gi } }
${extra}`;
}

describe("kubernetes provider against FakeKubeApiServer", () => {
  let cluster: LocalCluster;
  let kube: FakeKubeApiServer;
  let config: ClusterConfig;
  let provider: KubernetesNodeProvider | undefined;

  before(async () => {
    cluster = await LocalCluster.start({ head: { numCpus: 0 } });
    config = parseClusterConfig(yamlFor());
  });
  afterEach(async () => {
    await provider?.close();
    provider = undefined;
    await kube.close();
  });
  after(async () => {
    await cluster.shutdown();
  });

  async function start(executables?: Record<string, string[]>): Promise<KubernetesNodeProvider> {
    kube = await FakeKubeApiServer.start({ namespace: "lux", ...(executables !== undefined ? { executables } : {}) });
    process.env["KUBECONFIG"] = kube.kubeconfigPath;
    provider = await createKubernetesProvider({ clusterName: "kc", gcsAddress: cluster.address, token: cluster.token, nodeTypes: config.availableNodeTypes, retryDelayMs: 10 });
    return provider;
  }

  test("a pod from the template joins as a node; the token comes from the Secret; delete ends it", async () => {
    const p = await start();
    const [name] = await p.createNodes("small", 1, { [TAG_CLUSTER]: "kc", [TAG_NODE_KIND]: "worker" });
    assert.ok(name !== undefined);
    assert.ok(kube.requests.some((r) => r.verb === "create" && r.resource === "secrets" && r.name === undefined && r.status === 201), "the token Secret was missing: created");
    const pod = kube.listPods().find((x) => x.metadata.name === name);
    assert.ok(pod !== undefined);
    assert.deepEqual(pod.metadata.labels, { team: "data", "lux.io/cluster": "kc", "lux.io/node-type": "small", "lux.io/node-kind": "worker" });
    assert.ok(!JSON.stringify(pod).includes(cluster.token), "no literal token in the pod");
    const container = pod.spec.containers[0];
    assert.deepEqual(container?.env?.find((e) => e.name === "LUX_TOKEN")?.valueFrom, { secretKeyRef: { name: "kc-lux-token", key: "token" } });
    assert.ok(container?.env?.some((e) => e.name === "LUX_OBJECT_STORE_NOTE"), "the template's env is kept");
    assert.deepEqual(container?.command, ["lux"]);
    const args = container?.args ?? [];
    assert.deepEqual(args.slice(0, 8), ["start", "--address", cluster.address, "--block", "--num-cpus", "2", "--num-gpus", "0"]);
    assert.equal(args[args.indexOf("--memory") + 1], String(2 * 1024 ** 3));
    const client = await connectControlService(cluster.address, cluster.token);
    try {
      await waitFor(async () => (await client.nodes()).some((n) => n.alive && n.labels["lux.io/instance-id"] === name && n.resources["CPU"] === 2), "the pod's raylet to join", 30_000);
    } finally {
      client.close();
    }
    assert.deepEqual(await p.nonTerminatedNodes({ [TAG_CLUSTER]: "kc" }), [name]);
    assert.equal(await p.internalIp(name), "127.0.0.1");
    const pids = kube.podPids();
    await p.terminateNodes([name]);
    assert.deepEqual(await p.nonTerminatedNodes({}), []);
    await waitFor(() => kube.listPods().length === 0, "the pod to go once its process ended", 20_000);
    for (const pid of pids) assert.equal(pidAlive(pid), false);
  });

  test("409 on create is already created; 429 and 5xx are retried; 403 and 422 are reported", async () => {
    const p = await start({ lux: ["sh", "-c", "sleep 60", "lux"] });
    kube.injectError({ verb: "create", resource: "pods", status: 409, times: 1 });
    const [a] = await p.createNodes("small", 1, {});
    assert.equal(kube.listPods().length, 1);
    assert.deepEqual(await p.nonTerminatedNodes({}), [a]);
    kube.injectError({ verb: "create", resource: "pods", status: 503, times: 2 });
    kube.injectError({ verb: "delete", resource: "pods", status: 429, times: 1 });
    const [b] = await p.createNodes("small", 1, {});
    assert.deepEqual(kube.requests.filter((r) => r.verb === "create" && r.resource === "pods").map((r) => r.status), [409, 503, 503, 201]);
    await p.terminateNodes([b as string]);
    assert.deepEqual(kube.requests.filter((r) => r.verb === "delete").map((r) => r.status), [429, 200]);
    kube.injectError({ verb: "create", resource: "pods", status: 403, times: 1 });
    await assert.rejects(p.createNodes("small", 1, {}), (e: unknown) => e instanceof NodeProviderError && e.status === 403 && /forbidden|injected/i.test(e.message));
    kube.injectError({ verb: "create", resource: "pods", status: 422, times: 1 });
    await assert.rejects(p.createNodes("small", 1, {}), (e: unknown) => e instanceof NodeProviderError && e.status === 422);
    kube.injectError({ verb: "create", resource: "pods", status: 500, times: 10 });
    await assert.rejects(p.createNodes("small", 1, {}), (e: unknown) => e instanceof NodeProviderError && e.status === 500 && /after 6 attempts/.test(e.message));
  });

  test("a pod that fails is reported with its reason and deleted; the watch sees pods made elsewhere", async () => {
    const p = await start({ lux: ["sh", "-c", "exit 3", "lux"] });
    const [name] = await p.createNodes("small", 1, {});
    await waitFor(() => p.failureOf(name as string) !== undefined, "the pod to fail", 20_000);
    assert.match(p.failureOf(name as string) ?? "", /pod kc-small-\w+ failed: container lux exited \(code 3\)/);
    assert.deepEqual(await p.nonTerminatedNodes({}), []);
    await waitFor(() => kube.requests.some((r) => r.verb === "delete" && r.name === name), "the failed pod to be deleted");
    assert.ok(kube.requests.some((r) => r.verb === "watch" && r.labelSelector === "lux.io/cluster=kc"), "pods are watched");
  });
});

describe("lux up with the kubernetes provider: demand → pod → node → task → idle → pod deleted", () => {
  const luxBin = path.join(root, "packages/lux/bin/lux.js");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lux-k8s-up-"));
  const yaml = path.join(dir, "cluster.yaml");
  let kube: FakeKubeApiServer;
  let env: Record<string, string>;
  const seen = new Set<number>();
  const cli = (...args: string[]): ReturnType<typeof runScript> => runScript(luxBin, { args, env, loader: false, timeoutMs: 60_000 });

  before(async () => {
    kube = await FakeKubeApiServer.start({ namespace: "lux" });
    env = { LUX_SESSION_DIR_ROOT: sessionRoot, KUBECONFIG: kube.kubeconfigPath, LUX_ADDRESS: "", LUX_TOKEN: "" };
    fs.writeFileSync(yaml, yamlFor());
  });
  after(async () => {
    await lux.shutdown();
    const down = await cli("down", yaml);
    for (const pid of [...kube.podPids(), ...seen]) for (const p of [pid, ...descendants(pid)]) if (pidAlive(p)) process.kill(p, "SIGKILL");
    await kube.close();
    fs.rmSync(dir, { recursive: true, force: true });
    assert.equal(down.code, 0, down.stderr);
  });

  test("end to end", async () => {
    const up = await cli("up", yaml, "--yes", "--port", "0", "--dashboard-port", "0", "--object-store-memory", String(64 * 1024 ** 2));
    assert.equal(up.code, 0, up.stderr);
    const address = /Control service: (127\.0\.0\.1:\d+)/.exec(up.stdout)?.[1] ?? "";
    assert.match(up.stdout, /Autoscaler: cluster kc \(kubernetes provider\)/);
    for (const f of fs.readdirSync(path.join(sessionRoot, "cli"))) seen.add((JSON.parse(fs.readFileSync(path.join(sessionRoot, "cli", f), "utf8")) as { pid: number }).pid);
    await lux.init({ address });
    const where = lux.remote(() => lux.getRuntimeContext().nodeId);
    const nodeId = await lux.get(where.options({ numCpus: 1 }).remote(), { timeoutMs: 60_000 });
    const node = (await lux.nodes()).find((n) => n.nodeId === nodeId);
    const podName = node?.labels["lux.io/instance-id"] ?? "";
    assert.match(podName, /^kc-small-/);
    assert.ok(kube.requests.some((r) => r.verb === "create" && r.resource === "pods" && r.namespace === "lux" && r.status === 201));
    assert.ok(kube.listPods().some((p) => p.metadata.name === podName && p.status?.["phase"] === "Running"));
    await waitFor(() => kube.requests.some((r) => r.verb === "delete" && r.name === podName), "the idle node's pod to be deleted", 30_000);
    await waitFor(() => kube.listPods().length === 0, "the pod to be gone", 20_000);
    const status = await cli("status");
    assert.match(status.stdout, /small: 0 running, 0 pending, 0 failed/);
  });
});

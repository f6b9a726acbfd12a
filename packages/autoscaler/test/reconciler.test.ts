/** The reconciler's instance states, backoff, restarts, minWorkers and scale-down, with a fake provider, a fake control service and a FakeClock. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { NodeProviderError } from "@lux/common";
import { FakeClock, type DemandEntry, type DrainReply, type NodeActivity, type NodeResources } from "@lux/protocol";
import { Reconciler, TAG_CLUSTER, TAG_NODE_TYPE, parseClusterConfig, tagsMatch, type AutoscalerStatus, type ControlService, type NodeProvider, type NodeTags } from "@lux/autoscaler";

const config = parseClusterConfig(`clusterName: u
maxWorkers: 10
idleTimeoutS: 60
reconcileIntervalMs: 1000
provider: { type: local }
headNodeType: head
availableNodeTypes:
  head: { resources: { CPU: 0 }, maxWorkers: 0 }
  cpu4: { resources: { CPU: 4 } }
  kept: { resources: { CPU: 1 }, labels: { pool: kept }, minWorkers: 2, maxWorkers: 3 }
`);

class FakeProvider implements NodeProvider {
  readonly nodes = new Map<string, NodeTags>();
  readonly failures = new Map<string, string>();
  creates: { nodeType: string; count: number }[] = [];
  failNext: NodeProviderError | undefined;
  failTerminate = false;
  terminations = 0;
  private readonly n = new Map<string, number>();
  createNodes(nodeType: string, count: number, tags: NodeTags): Promise<string[]> {
    this.creates.push({ nodeType, count });
    if (this.failNext !== undefined) {
      const e = this.failNext;
      this.failNext = undefined;
      return Promise.reject(e);
    }
    const ids = Array.from({ length: count }, () => {
      const n = this.n.get(nodeType) ?? 0;
      this.n.set(nodeType, n + 1);
      return `${nodeType}-${n}`;
    });
    for (const id of ids) this.nodes.set(id, { ...tags, [TAG_NODE_TYPE]: nodeType });
    return Promise.resolve(ids);
  }
  terminateNodes(ids: readonly string[]): Promise<void> {
    this.terminations++;
    if (this.failTerminate) return Promise.reject(new NodeProviderError({ provider: "kubernetes", operation: "delete pods", status: 503, reason: "unavailable" }));
    for (const id of ids) this.nodes.delete(id);
    return Promise.resolve();
  }
  nonTerminatedNodes(filter: NodeTags): Promise<string[]> {
    return Promise.resolve([...this.nodes].filter(([, t]) => tagsMatch(t, filter)).map(([id]) => id));
  }
  nodeTags(id: string): Promise<NodeTags> {
    return Promise.resolve(this.nodes.get(id) ?? {});
  }
  internalIp(): Promise<string | undefined> {
    return Promise.resolve("127.0.0.1");
  }
  failureOf(id: string): string | undefined {
    return this.failures.get(id);
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

class FakeControl implements ControlService {
  nodes: NodeResources[] = [];
  idle = new Map<string, number>();
  demandEntries: DemandEntry[] = [];
  requestBundles: Record<string, number>[] = [];
  drains: string[] = [];
  drainReply: DrainReply = { accepted: true, movedObjects: 0, failedObjects: 0 };
  published: AutoscalerStatus[] = [];
  view(): Promise<NodeResources[]> {
    return Promise.resolve(this.nodes);
  }
  activity(): Promise<NodeActivity[]> {
    return Promise.resolve(this.nodes.filter((n) => n.alive).map((n) => ({ nodeId: n.nodeId, leases: 0, bundles: 0, idleForMs: this.idle.get(n.nodeId) ?? 0, draining: false })));
  }
  demand(): Promise<DemandEntry[]> {
    return Promise.resolve(this.demandEntries);
  }
  request(): Promise<Record<string, number>[]> {
    return Promise.resolve(this.requestBundles);
  }
  drain(nodeId: string): Promise<DrainReply> {
    this.drains.push(nodeId);
    return Promise.resolve(this.drainReply);
  }
  publish(status: AutoscalerStatus): Promise<void> {
    this.published.push(status);
    return Promise.resolve();
  }
  close(): void {}
  /** The raylet of provider node `id` registered. */
  join(id: string, resources: Record<string, number>): void {
    this.nodes.push({ nodeId: `node-${id}`, address: "x", total: resources, available: { ...resources }, alive: true, labels: { "lux.io/instance-id": id, "lux.io/node-type": id.split("-")[0] as string } });
  }
}

function setup(): { clock: FakeClock; provider: FakeProvider; control: FakeControl; reconciler: Reconciler } {
  const clock = new FakeClock();
  const provider = new FakeProvider();
  const control = new FakeControl();
  return { clock, provider, control, reconciler: new Reconciler({ config, provider, control, clock, launchTimeoutMs: 120_000 }) };
}

const states = (r: Reconciler): string[] => r.instances.all().map((i) => `${i.nodeType}:${i.state}`).sort();
const tasks = (cpus: number, count: number): DemandEntry => ({ resources: { CPU: cpus }, count, infeasible: true, kind: "task" });

describe("reconciler", () => {
  test("minWorkers come up without demand; demand launches; REQUESTED → ALLOCATED → RUNNING", async () => {
    const { provider, control, reconciler } = setup();
    control.demandEntries = [tasks(1, 6)];
    await reconciler.reconcile();
    assert.deepEqual(provider.creates.sort((a, b) => a.nodeType.localeCompare(b.nodeType)), [{ nodeType: "cpu4", count: 1 }, { nodeType: "kept", count: 2 }]);
    assert.deepEqual(states(reconciler), ["cpu4:REQUESTED", "kept:REQUESTED", "kept:REQUESTED"]);
    await reconciler.reconcile();
    assert.deepEqual(states(reconciler), ["cpu4:ALLOCATED", "kept:ALLOCATED", "kept:ALLOCATED"]);
    assert.equal(provider.creates.length, 2, "launching nodes count as capacity: no more launches");
    control.join("cpu4-0", { CPU: 4 });
    await reconciler.reconcile();
    assert.deepEqual(states(reconciler), ["cpu4:RUNNING", "kept:ALLOCATED", "kept:ALLOCATED"]);
    const status = control.published.at(-1);
    assert.deepEqual(status?.nodeTypes["cpu4"], { running: 1, pending: 0, failed: 0, terminating: 0, minWorkers: 0, maxWorkers: 10 });
    assert.equal(status?.nodeTypes["kept"]?.pending, 2);
  });

  test("a refused launch fails the instance, is reported, and backs its type off", async () => {
    const { clock, provider, control, reconciler } = setup();
    control.demandEntries = [tasks(4, 1)];
    provider.nodes.set("kept-a", { [TAG_CLUSTER]: "u", "lux.io/node-kind": "worker", [TAG_NODE_TYPE]: "kept" });
    provider.nodes.set("kept-b", { [TAG_CLUSTER]: "u", "lux.io/node-kind": "worker", [TAG_NODE_TYPE]: "kept" });
    provider.failNext = new NodeProviderError({ provider: "kubernetes", operation: "create pods", status: 403, reason: "exceeded quota" });
    await reconciler.reconcile();
    let status = control.published.at(-1) as AutoscalerStatus;
    assert.equal(status.nodeTypes["cpu4"]?.failed, 1);
    assert.match(status.recentFailures[0]?.reason ?? "", /HTTP 403.*exceeded quota/);
    assert.ok(status.nodeTypes["cpu4"]?.backoffUntilMs !== undefined);
    await reconciler.reconcile();
    assert.equal(provider.creates.length, 1, "backing off: no launch");
    assert.equal((control.published.at(-1) as AutoscalerStatus).waiting.length, 1, "the demand waits for the backoff");
    clock.advance(5_001);
    await reconciler.reconcile();
    assert.equal(provider.creates.length, 2, "launched again after the backoff");
    status = control.published.at(-1) as AutoscalerStatus;
    assert.equal(status.nodeTypes["cpu4"]?.pending, 1);
  });

  test("a node that ends before its raylet joins failed, with the provider's reason", async () => {
    const { provider, control, reconciler } = setup();
    control.demandEntries = [tasks(4, 1)];
    await reconciler.reconcile();
    const id = [...provider.nodes.keys()].find((k) => k.startsWith("cpu4")) as string;
    provider.nodes.delete(id);
    provider.failures.set(id, "its lux start process exited (code 1)");
    await reconciler.reconcile();
    const status = control.published.at(-1) as AutoscalerStatus;
    assert.ok(status.recentFailures.some((f) => f.instanceId === id && f.reason === "its lux start process exited (code 1)"));
  });

  test("a restarted reconciler finds its nodes by their tags and launches no duplicates", async () => {
    const { clock, provider, control, reconciler } = setup();
    control.demandEntries = [tasks(1, 6)];
    await reconciler.reconcile();
    const launched = provider.creates.length;
    control.join("cpu4-0", { CPU: 4 });
    const again = new Reconciler({ config, provider, control, clock });
    await again.reconcile();
    assert.equal(provider.creates.length, launched);
    assert.deepEqual(states(again), ["cpu4:RUNNING", "kept:ALLOCATED", "kept:ALLOCATED"]);
  });

  test("idle nodes are drained then ended, never below minWorkers; a refused drain keeps the node", async () => {
    const { provider, control, reconciler } = setup();
    control.demandEntries = [tasks(4, 2)];
    await reconciler.reconcile();
    for (const id of provider.nodes.keys()) control.join(id, id.startsWith("cpu4") ? { CPU: 4 } : { CPU: 1 });
    control.demandEntries = [];
    await reconciler.reconcile();
    assert.equal(states(reconciler).filter((s) => s.endsWith("RUNNING")).length, 4);
    for (const n of control.nodes) control.idle.set(n.nodeId, 61_000);
    control.drainReply = { accepted: false, rejection: "it holds 1 lease(s)", movedObjects: 0, failedObjects: 0 };
    await reconciler.reconcile();
    assert.deepEqual(control.drains.sort(), ["node-cpu4-0", "node-cpu4-1"], "the kept type is at its minWorkers");
    assert.equal(provider.nodes.size, 4);
    control.drainReply = { accepted: true, movedObjects: 2, failedObjects: 0 };
    await reconciler.reconcile();
    assert.deepEqual([...provider.nodes.keys()].sort(), ["kept-0", "kept-1"]);
    assert.deepEqual(states(reconciler), ["cpu4:TERMINATING", "cpu4:TERMINATING", "kept:RUNNING", "kept:RUNNING"]);
    await reconciler.reconcile();
    assert.deepEqual(states(reconciler), ["kept:RUNNING", "kept:RUNNING"]);
  });

  test("a standing request keeps the idle nodes it needs", async () => {
    const { provider, control, reconciler } = setup();
    control.requestBundles = [{ CPU: 4 }];
    await reconciler.reconcile();
    assert.deepEqual(provider.creates.find((c) => c.nodeType === "cpu4"), { nodeType: "cpu4", count: 1 });
    for (const id of provider.nodes.keys()) control.join(id, id.startsWith("cpu4") ? { CPU: 4 } : { CPU: 1 });
    for (const n of control.nodes) control.idle.set(n.nodeId, 61_000);
    await reconciler.reconcile();
    assert.deepEqual(control.drains, [], "the request needs the cpu4 node; kept is at its minWorkers");
    control.requestBundles = [];
    await reconciler.reconcile();
    assert.deepEqual(control.drains, ["node-cpu4-0"]);
  });

  test("a node the provider failed to end is ended again later", async () => {
    const { clock, provider, control, reconciler } = setup();
    control.demandEntries = [tasks(4, 1)];
    await reconciler.reconcile();
    control.join("cpu4-0", { CPU: 4 });
    control.demandEntries = [];
    await reconciler.reconcile();
    control.idle.set("node-cpu4-0", 61_000);
    provider.failTerminate = true;
    await reconciler.reconcile();
    assert.ok(provider.nodes.has("cpu4-0"));
    assert.ok(states(reconciler).includes("cpu4:TERMINATING"));
    const tries = provider.terminations;
    provider.failTerminate = false;
    await reconciler.reconcile();
    assert.equal(provider.terminations, tries, "not at once");
    clock.advance(30_001);
    await reconciler.reconcile();
    assert.equal(provider.nodes.has("cpu4-0"), false);
  });
});

/**
 * The overview's live figures: the cluster's totals from its nodes' rows; one poll per
 * interval for every watcher, none while nobody watches; samples kept for a while; and the
 * stream route (`/api/stream/cluster`) that pushes them as Server-Sent Events.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import Fastify from "fastify";
import { FakeClock, systemClock } from "@lux/protocol";
import type { state } from "lux";
import { ClusterSampler, sampleOf, type ClusterSample, type NodeSource } from "../src/cluster-sampler.js";
import { registerClusterStream } from "../src/cluster-stream.js";
import { createDashboardServer } from "../src/server.js";
import type { StateSource } from "../src/state-routes.js";

type NodeItem = state.NodeStateItem;

function node(nodeId: string, over: Partial<NodeItem> = {}): NodeItem {
  return {
    nodeId,
    address: "127.0.0.1:1",
    state: "ALIVE",
    storeKind: "shm",
    resources: { CPU: 4, memory: 1000 },
    availableResources: { CPU: 3, memory: 1000 },
    labels: {},
    startedAtMs: 0,
    storeCapacity: 500,
    storeUsedBytes: 100,
    ...over,
  };
}

/** A source whose answers the test sets; counts the polls. */
function source(nodes: () => NodeItem[]): NodeSource & { polls: number } {
  const s = {
    polls: 0,
    list: async () => {
      s.polls++;
      return { items: nodes(), nextPageToken: null, total: nodes().length, dropped: 0 };
    },
  };
  return s as unknown as NodeSource & { polls: number };
}

/** Lets the poll's promise callbacks run. */
const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

describe("the cluster sampler", () => {
  it("sums used and total over alive nodes: CPU, GPU, memory, store", () => {
    const s = sampleOf([node("a"), node("b", { resources: { CPU: 2, GPU: 1 }, availableResources: { CPU: 0.5, GPU: 0 }, storeUsedBytes: null }), node("c", { state: "DEAD" })], 7);
    assert.deepEqual(s, {
      t: 7,
      nodes: 2,
      CPU: { used: 2.5, total: 6 },
      GPU: { used: 1, total: 1 },
      memory: { used: 0, total: 1000 },
      store: { used: 100, total: 1000 },
    });
  });

  it("polls once per interval for every watcher, and not at all while nobody watches", async () => {
    const clock = new FakeClock(1000);
    let cpuFree = 3;
    const src = source(() => [node("a", { availableResources: { CPU: cpuFree } })]);
    const sampler = new ClusterSampler({ source: src, clock, intervalMs: 1000, historyMs: 3000 });
    const seen: ClusterSample[][] = [[], []];
    const stops = seen.map((got) => sampler.watch({ sample: (x) => got.push(x), problem: () => assert.fail("no problem expected") }));
    await settle();
    assert.equal(src.polls, 1, "one poll at once, for both");
    cpuFree = 1;
    clock.advance(1000);
    await settle();
    assert.equal(src.polls, 2);
    assert.deepEqual(seen.map((got) => got.map((x) => x.CPU.used)), [[1, 3], [1, 3]]);
    assert.equal(seen[0]?.[1], seen[1]?.[1], "the same sample object for every watcher");
    for (let i = 0; i < 4; i++) {
      clock.advance(1000);
      await settle();
    }
    assert.deepEqual(sampler.history().map((x) => x.t), [3000, 4000, 5000, 6000], "3 s of history (and the newest)");
    for (const stop of stops) stop();
    clock.advance(5000);
    await settle();
    assert.equal(src.polls, 6, "no poll once nobody watches");
    assert.equal(sampler.history().length, 4, "the history stays for the next watcher");
  });

  it("tells watchers why there is no sample, and goes on polling", async () => {
    const clock = new FakeClock(0);
    let fail = true;
    const src = {
      list: async () => {
        if (fail) throw new Error("control service away");
        return { items: [node("a")], nextPageToken: null, total: 1, dropped: 0 };
      },
    } as unknown as NodeSource;
    const sampler = new ClusterSampler({ source: src, clock });
    const problems: string[] = [];
    const samples: ClusterSample[] = [];
    const stop = sampler.watch({ sample: (x) => samples.push(x), problem: (m) => problems.push(m) });
    await settle();
    assert.deepEqual(problems, ["cannot read the cluster's nodes: control service away"]);
    fail = false;
    clock.advance(1000);
    await settle();
    assert.equal(samples.length, 1);
    stop();
  });
});

describe("GET /api/stream/cluster", () => {
  const token = "s".repeat(48);
  const nodes = source(() => [node("a")]);
  const app = createDashboardServer({ token, state: nodes as unknown as StateSource, ui: { sampleIntervalMs: 50 } });
  after(() => app.close());

  it("pushes the history, then a sample each interval, as Server-Sent Events (token required)", async () => {
    const address = await app.listen({ host: "127.0.0.1", port: 0 });
    assert.equal((await fetch(`${address}/api/stream/cluster`)).status, 401);
    const controller = new AbortController();
    const res = await fetch(`${address}/api/stream/cluster`, { headers: { authorization: `Bearer ${token}` }, signal: controller.signal });
    assert.equal(res.headers.get("content-type"), "text/event-stream; charset=utf-8");
    const reader = (res.body as ReadableStream<Uint8Array>).pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    while ((text.match(/event: sample\n/g) ?? []).length < 2) text += (await reader.read()).value ?? "";
    controller.abort();
    assert.match(text, /^retry: 2000\nevent: history\ndata: \[/);
    const sample = JSON.parse(/event: sample\ndata: (.*)\n\n/.exec(text)?.[1] ?? "") as ClusterSample;
    assert.deepEqual([sample.nodes, sample.CPU, sample.store], [1, { used: 1, total: 4 }, { used: 100, total: 500 }]);
  });

  it("stops watching when the page goes away", async () => {
    const own = Fastify();
    const sampler = new ClusterSampler({ source: source(() => [node("a")]), clock: systemClock, intervalMs: 50 });
    registerClusterStream(own, sampler);
    try {
      const address = await own.listen({ host: "127.0.0.1", port: 0 });
      const controller = new AbortController();
      const res = await fetch(`${address}/api/stream/cluster`, { signal: controller.signal });
      await (res.body as ReadableStream<Uint8Array>).getReader().read();
      assert.equal(sampler.watchers, 1);
      controller.abort();
      for (const deadline = Date.now() + 5000; sampler.watchers > 0; ) {
        assert.ok(Date.now() < deadline, "the watcher of a closed stream is dropped");
        await new Promise((r) => setTimeout(r, 10));
      }
    } finally {
      await own.close();
    }
  });

  it("closes with a stream open", async () => {
    const res = await fetch(`http://127.0.0.1:${(app.server.address() as { port: number }).port}/api/stream/cluster`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.status, 200);
    const started = Date.now();
    await app.close();
    assert.ok(Date.now() - started < 1000, "closing does not wait for the stream's connection");
    await res.body?.cancel();
  });
});

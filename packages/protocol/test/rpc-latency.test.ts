/**
 * A server that measures its handling times (`ServiceHandlers.measure`): each request's time
 * from arrival to reply lands in its method's histogram, for handlers that reply at once,
 * later, or throw; servers that do not measure keep none.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { FakeClock, LatencyHistogram, RpcConnection, defineService, memoryTransportPair, obj, returns, rpc, serve, str, RPC_LATENCY_BOUNDARIES_MS, type ServiceDef, type ServiceOf } from "../src/index.js";

const Echo = defineService({
  now: rpc(obj({ v: str }), returns<{ v: string }>()),
  later: rpc(obj({ v: str }), returns<{ v: string }>()),
  boom: rpc(obj({ v: str }), returns<{ v: string }>()),
});

test("LatencyHistogram counts each observation in the first bucket whose bound it does not exceed", () => {
  const h = new LatencyHistogram([1, 10]);
  for (const ms of [0, 1, 1.5, 10, 11, 1e6]) h.observe(ms);
  assert.deepEqual([...h.counts], [2, 2, 2]);
  assert.equal(h.count, 6);
  assert.equal(h.sum, 1_000_023.5);
});

test("measured handlers record each request's time from arrival to reply, per method", async () => {
  const clock = new FakeClock();
  let release: (() => void) | undefined;
  const handlers = serve(Echo, {
    now: (req) => {
      clock.advance(3);
      return req;
    },
    later: (req) => new Promise<{ v: string }>((resolve) => (release = () => resolve(req))),
    boom: () => {
      throw new TypeError("boom");
    },
  });
  const latencies = handlers.measure();
  const [a, b] = memoryTransportPair();
  const server = new RpcConnection<never, ServiceDef>(b, { maxFrameBytes: 1 << 20, callTimeoutMs: 10_000, handlers, clock });
  void server.serverHandshake("t", 1000).catch(() => undefined);
  const client = new RpcConnection<ServiceOf<typeof Echo>>(a, { maxFrameBytes: 1 << 20, callTimeoutMs: 10_000 });
  await client.clientHandshake("t", 1000);
  assert.deepEqual(await client.call("now", { v: "x" }), { v: "x" });
  const pending = client.call("later", { v: "y" });
  await new Promise((r) => setImmediate(r));
  clock.advance(250);
  release?.();
  await pending;
  await assert.rejects(client.call("boom", { v: "z" }));
  assert.equal(latencies.get("now")?.count, 1);
  assert.equal(latencies.get("now")?.sum, 3);
  assert.equal(latencies.get("later")?.sum, 250);
  assert.equal(latencies.get("later")?.counts[RPC_LATENCY_BOUNDARIES_MS.indexOf(250)], 1, "250 ms: the bucket bounded by 250");
  assert.equal(latencies.get("boom")?.count, 1, "a handler that throws is timed too");
  client.close();
});

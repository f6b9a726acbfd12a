import assert from "node:assert/strict";
import { test } from "node:test";
import { ConnectionClosedError, RpcConnection, defineService, empty, memoryTransportPair, num, obj, returns, rpc, serve, type ServiceOf } from "../src/index.js";

const Service = defineService({
  echo: rpc(obj({ n: num }), returns<{ n: number }>()),
  fail: rpc(empty, returns<{ never: true }>()),
  hang: rpc(empty, returns<{ never: true }>()),
});
type Service = ServiceOf<typeof Service>;

async function connected(): Promise<{ client: RpcConnection<Service>; server: RpcConnection<never, Service> }> {
  const [a, b] = memoryTransportPair();
  const server = new RpcConnection<never, Service>(b, {
    maxFrameBytes: 1 << 20,
    callTimeoutMs: 10_000,
    handlers: serve(Service, {
      echo: (req) => ({ n: req.n }),
      fail: () => {
        throw new Error("handler failed");
      },
      hang: () => new Promise(() => undefined),
    }),
  });
  void server.serverHandshake("t", 1000).catch(() => undefined);
  const client = new RpcConnection<Service>(a, { maxFrameBytes: 1 << 20, callTimeoutMs: 10_000 });
  await client.clientHandshake("t", 1000);
  return { client, server };
}

const viaCallback = <M extends keyof Service>(
  c: RpcConnection<Service>,
  method: M,
  req: Parameters<Service[M]>[0],
): Promise<{ error: Error | undefined; reply: unknown; calls: number }> =>
  new Promise((resolve) => {
    let calls = 0;
    c.callback(method, req as never, (error, reply) => {
      calls++;
      // Resolve a tick later, so a second (wrong) call would be counted.
      setImmediate(() => resolve({ error, reply, calls }));
    });
  });

test("callback: the reply, the remote error, and ConnectionClosedError, each exactly once", async () => {
  const { client } = await connected();
  const ok = await viaCallback(client, "echo", { n: 7 });
  assert.deepEqual([ok.error, ok.reply, ok.calls], [undefined, { n: 7 }, 1]);
  const failed = await viaCallback(client, "fail", {});
  assert.match(String(failed.error?.message), /handler failed/);
  assert.equal(failed.calls, 1);
  const hanging = viaCallback(client, "hang", {});
  client.close(true);
  const closed = await hanging;
  assert.ok(closed.error instanceof ConnectionClosedError);
  assert.equal(closed.calls, 1);
  const afterClose = await viaCallback(client, "echo", { n: 1 });
  assert.ok(afterClose.error instanceof ConnectionClosedError);
});

test("callback: a callback that throws is reported, and the connection keeps working", async () => {
  const { client } = await connected();
  const uncaught: unknown[] = [];
  // Only this test's listener while it runs (the test runner would count the error as a failure).
  const others = process.listeners("uncaughtException");
  process.removeAllListeners("uncaughtException");
  const onUncaught = (e: unknown): void => void uncaught.push(e);
  process.on("uncaughtException", onUncaught);
  try {
    client.callback("echo", { n: 1 }, () => {
      throw new Error("bug in the callback");
    });
    assert.deepEqual(await client.call("echo", { n: 2 }), { n: 2 });
    await new Promise((r) => setImmediate(r));
    assert.equal(client.state, "open");
    assert.match(String((uncaught[0] as Error | undefined)?.message), /bug in the callback/);
  } finally {
    process.removeListener("uncaughtException", onUncaught);
    for (const l of others) process.on("uncaughtException", l);
  }
});

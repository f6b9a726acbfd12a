/**
 * How connections fail, by class: a call with no reply by its deadline, a handshake that
 * gets no answer or is refused, a connection that closes under a call or before one, and an
 * address where nothing listens. Each is a coded LuxError carrying the facts as fields.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  ConnectFailedError,
  ConnectionClosedError,
  LuxError,
  ProtocolError,
  RpcConnection,
  RpcServer,
  RpcTimeoutError,
  connectRpc,
  listenTransport,
  memoryTransportPair,
} from "../src/index.js";

interface Service {
  hang(req: Record<string, never>): { never: true };
}

async function connected(): Promise<{ client: RpcConnection<Service>; server: RpcConnection<never, Service> }> {
  const [a, b] = memoryTransportPair();
  const server = new RpcConnection<never, Service>(b, { maxFrameBytes: 1 << 20, handlers: { hang: () => new Promise(() => undefined) } });
  void server.serverHandshake("t", 1000).catch(() => undefined);
  const client = new RpcConnection<Service>(a, { maxFrameBytes: 1 << 20 });
  await client.clientHandshake("t", 1000);
  return { client, server };
}

test("a call whose peer never answers rejects with RpcTimeoutError naming the method, the peer and the deadline", async () => {
  const { client, server } = await connected();
  try {
    const e = await client.call("hang", {}, 30).then(
      () => assert.fail("resolved"),
      (error: unknown) => error,
    );
    assert.ok(e instanceof RpcTimeoutError && e instanceof LuxError);
    assert.equal(e.code, "LUX_RPC_TIMEOUT");
    assert.deepEqual({ method: e.method, peer: e.peer, timeoutMs: e.timeoutMs }, { method: "hang", peer: "memory:b", timeoutMs: 30 });
    assert.match(e.message, /^hang to memory:b got no reply within 30 ms/);
  } finally {
    client.close(true);
    server.close(true);
  }
});

test("a handshake nobody answers rejects with RpcTimeoutError for method handshake", async () => {
  const [a, b] = memoryTransportPair();
  b.onData(() => undefined); // a peer that reads and never replies
  const client = new RpcConnection<Service>(a, { maxFrameBytes: 1 << 20 });
  await assert.rejects(client.clientHandshake("t", 20), (e: unknown) => e instanceof RpcTimeoutError && e.method === "handshake");
  b.close();
});

test("a refused handshake rejects with ProtocolError on both sides, saying why", async () => {
  const [a, b] = memoryTransportPair();
  const server = new RpcConnection<never, Service>(b, { maxFrameBytes: 1 << 20, handlers: {} });
  const refused = server.serverHandshake("right", 1000);
  const client = new RpcConnection<Service>(a, { maxFrameBytes: 1 << 20 });
  await assert.rejects(
    client.clientHandshake("wrong", 1000),
    (e: unknown) => e instanceof ProtocolError && e.peer === "memory:b" && /wrong or missing cluster token/.test(e.message),
  );
  await assert.rejects(refused, (e: unknown) => e instanceof ProtocolError && /handshake refused/.test(e.message));
});

test("calls pending when the connection closes, and calls made after, reject with ConnectionClosedError", async () => {
  const { client, server } = await connected();
  const pending = client.call("hang", {});
  server.close(true);
  await assert.rejects(pending, (e: unknown) => e instanceof ConnectionClosedError && e.code === "LUX_CONNECTION_CLOSED" && e.peer === "memory:b");
  await assert.rejects(client.call("hang", {}), (e: unknown) => e instanceof ConnectionClosedError && e.method === "hang");
});

test("connecting where nothing listens rejects with ConnectFailedError naming the address", async () => {
  // A port that was free a moment ago: bound, then released.
  const listener = await listenTransport("127.0.0.1:0", (t) => t.close(true));
  const address = listener.address;
  await listener.close();
  await assert.rejects(
    connectRpc(address, { token: "t", maxFrameBytes: 1 << 20, connectTimeoutMs: 5000 }),
    (e: unknown) => e instanceof ConnectFailedError && e.address === address && e.cause instanceof Error && /ECONNREFUSED/.test(e.message),
  );
});

test("connecting with the wrong token rejects with ProtocolError", async () => {
  const server = await RpcServer.listen<Service>({ address: "127.0.0.1:0", token: "right", maxFrameBytes: 1 << 20, handlers: { hang: () => new Promise(() => undefined) } });
  try {
    await assert.rejects(
      connectRpc(server.address, { token: "wrong", maxFrameBytes: 1 << 20 }),
      (e: unknown) => e instanceof ProtocolError && /refused the handshake: wrong or missing cluster token/.test(e.message),
    );
  } finally {
    await server.close();
  }
});

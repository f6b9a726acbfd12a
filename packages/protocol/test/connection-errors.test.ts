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
  FakeClock,
  LuxError,
  ProtocolError,
  RpcConnection,
  RpcServer,
  RpcTimeoutError,
  UNTIL_PEER_LOST,
  connectRpc,
  connectTransport,
  defineService,
  empty,
  listenTransport,
  memoryTransportPair,
  num,
  obj,
  returns,
  rpc,
  serve,
  type ServiceOf,
} from "../src/index.js";

const Service = defineService({ hang: rpc(empty, returns<{ never: true }>()) });
type Service = ServiceOf<typeof Service>;
const Echo = defineService({ echo: rpc(obj({ n: num }), returns<{ n: number }>()) });
type Echo = ServiceOf<typeof Echo>;

async function connected(clock = new FakeClock(), callTimeoutMs = 10_000): Promise<{ client: RpcConnection<Service>; server: RpcConnection<never, Service> }> {
  const [a, b] = memoryTransportPair();
  const server = new RpcConnection<never, Service>(b, { maxFrameBytes: 1 << 20, callTimeoutMs: 10_000, handlers: serve(Service, { hang: () => new Promise(() => undefined) }), clock });
  void server.serverHandshake("t", 1000).catch(() => undefined);
  const client = new RpcConnection<Service>(a, { maxFrameBytes: 1 << 20, callTimeoutMs, clock });
  await client.clientHandshake("t", 1000);
  return { client, server };
}

/** Resolves once `clock` has a timer (the handshake's, after a real connect). */
async function waitForTimer(clock: FakeClock): Promise<void> {
  while (clock.pendingTimers === 0) await new Promise((r) => setImmediate(r));
}

/** Whether `p` has settled once promise callbacks (and in-memory transport deliveries) have run. */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  p.then(() => (done = true), () => (done = true));
  await new Promise((r) => setImmediate(r));
  return done;
}

test("a call whose peer never answers rejects with RpcTimeoutError naming the method, the peer and the deadline", async () => {
  const clock = new FakeClock();
  const { client, server } = await connected(clock);
  try {
    const call = client.call("hang", {}, 30);
    const outcome = call.then(
      () => assert.fail("resolved"),
      (error: unknown) => error,
    );
    clock.advance(29);
    assert.equal(await settled(call), false, "pending until its deadline");
    clock.advance(1);
    const e = await outcome;
    assert.ok(e instanceof RpcTimeoutError && e instanceof LuxError);
    assert.equal(e.code, "LUX_RPC_TIMEOUT");
    assert.deepEqual({ method: e.method, peer: e.peer, timeoutMs: e.timeoutMs }, { method: "hang", peer: "memory:b", timeoutMs: 30 });
    assert.match(e.message, /^hang to memory:b got no reply within 30 ms/);
  } finally {
    client.close(true);
    server.close(true);
  }
});

test("a call that names no deadline gets the connection's default one (config rpcTimeoutMs): none waits forever", async () => {
  const clock = new FakeClock();
  const { client, server } = await connected(clock, 40);
  try {
    const call = client.call("hang", {});
    const outcome = call.then(
      () => assert.fail("resolved"),
      (error: unknown) => error,
    );
    clock.advance(39);
    assert.equal(await settled(call), false, "pending until its deadline");
    clock.advance(1);
    const e = await outcome;
    assert.ok(e instanceof RpcTimeoutError);
    assert.deepEqual({ method: e.method, timeoutMs: e.timeoutMs }, { method: "hang", timeoutMs: 40 });
  } finally {
    client.close(true);
    server.close(true);
  }
});

test("a call with UNTIL_PEER_LOST has no timer: it ends when the connection closes", async () => {
  const clock = new FakeClock();
  const { client, server } = await connected(clock, 20);
  const call = client.call("hang", {}, UNTIL_PEER_LOST);
  assert.equal(clock.pendingTimers, 0);
  clock.advance(24 * 3600 * 1000);
  assert.equal(await settled(call), false);
  server.close(true);
  await assert.rejects(call, (e: unknown) => e instanceof ConnectionClosedError);
});

test("opening a connection has one deadline for connect and handshake together", async () => {
  // A server that accepts the TCP connection and never answers the handshake.
  const silent = await listenTransport("127.0.0.1:0", (t) => t.onData(() => undefined));
  try {
    const clock = new FakeClock();
    const dial = (address: string, timeoutMs: number): ReturnType<typeof connectTransport> => {
      clock.advance(100); // the connect itself took 100 of the 150 ms
      return connectTransport(address, timeoutMs);
    };
    const connecting = connectRpc(silent.address, { token: "t", maxFrameBytes: 1 << 20, connectTimeoutMs: 150, callTimeoutMs: 10_000, clock, dial });
    const outcome = connecting.then(
      () => assert.fail("connected"),
      (error: unknown) => error,
    );
    await waitForTimer(clock);
    clock.advance(49);
    assert.equal(await settled(connecting), false);
    clock.advance(1);
    const e = await outcome;
    assert.ok(e instanceof RpcTimeoutError && e.method === "handshake" && e.timeoutMs === 150, String(e));
  } finally {
    await silent.close();
  }
});

test("a call answered before its deadline cancels its timer", async () => {
  const clock = new FakeClock();
  const [a, b] = memoryTransportPair();
  const server = new RpcConnection<never, Echo>(b, { maxFrameBytes: 1 << 20, callTimeoutMs: 10_000, handlers: serve(Echo, { echo: (req) => req }), clock });
  void server.serverHandshake("t", 1000).catch(() => undefined);
  const client = new RpcConnection<Echo>(a, { maxFrameBytes: 1 << 20, callTimeoutMs: 10_000, clock });
  await client.clientHandshake("t", 1000);
  assert.equal(clock.pendingTimers, 0, "the handshakes' timers are gone once they completed");
  assert.deepEqual(await client.call("echo", { n: 1 }, 30), { n: 1 });
  assert.equal(clock.pendingTimers, 0);
  client.close(true);
});

test("a handshake nobody answers rejects with RpcTimeoutError for method handshake, at its deadline", async () => {
  const clock = new FakeClock();
  const [a, b] = memoryTransportPair();
  b.onData(() => undefined); // a peer that reads and never replies
  const client = new RpcConnection<Service>(a, { maxFrameBytes: 1 << 20, callTimeoutMs: 10_000, clock });
  const handshake = client.clientHandshake("t", 20);
  const rejected = assert.rejects(handshake, (e: unknown) => e instanceof RpcTimeoutError && e.method === "handshake" && e.timeoutMs === 20);
  clock.advance(19);
  assert.equal(await settled(handshake), false);
  clock.advance(1);
  await rejected;
  b.close();
});

test("a client that sends no hello is dropped by the server at its handshake deadline", async () => {
  const clock = new FakeClock();
  const [a, b] = memoryTransportPair();
  const dropped: Error[] = [];
  const server = new RpcConnection<never, Service>(b, {
    maxFrameBytes: 1 << 20,
    callTimeoutMs: 10_000,
    handlers: serve(Service, {}),
    clock,
    onProtocolError: (e) => dropped.push(e),
  });
  const handshake = server.serverHandshake("t", 50);
  const rejected = assert.rejects(handshake, (e: unknown) => e instanceof ProtocolError && /no handshake within 50 ms/.test(e.message));
  let clientClosed = false;
  a.onClose(() => (clientClosed = true));
  clock.advance(49);
  assert.equal(await settled(handshake), false);
  clock.advance(1);
  await rejected;
  assert.equal(server.state, "closed");
  assert.equal(dropped.length, 1, "reported through onProtocolError");
  await new Promise((r) => setImmediate(r));
  assert.equal(clientClosed, true, "the silent client's transport is closed");
});

test("a refused handshake rejects with ProtocolError on both sides, saying why", async () => {
  const [a, b] = memoryTransportPair();
  const server = new RpcConnection<never, Service>(b, { maxFrameBytes: 1 << 20, callTimeoutMs: 10_000, handlers: serve(Service, {}) });
  const refused = server.serverHandshake("right", 1000);
  const client = new RpcConnection<Service>(a, { maxFrameBytes: 1 << 20, callTimeoutMs: 10_000 });
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
    connectRpc(address, { token: "t", maxFrameBytes: 1 << 20, connectTimeoutMs: 5000, callTimeoutMs: 10_000 }),
    (e: unknown) => e instanceof ConnectFailedError && e.address === address && e.cause instanceof Error && /ECONNREFUSED/.test(e.message),
  );
});

test("connecting with the wrong token rejects with ProtocolError", async () => {
  const server = await RpcServer.listen<Service>({ address: "127.0.0.1:0", token: "right", maxFrameBytes: 1 << 20, connectTimeoutMs: 5000, callTimeoutMs: 10_000, handlers: serve(Service, { hang: () => new Promise(() => undefined) }) });
  try {
    await assert.rejects(
      connectRpc(server.address, { token: "wrong", maxFrameBytes: 1 << 20, connectTimeoutMs: 5000, callTimeoutMs: 10_000 }),
      (e: unknown) => e instanceof ProtocolError && /refused the handshake: wrong or missing cluster token/.test(e.message),
    );
  } finally {
    await server.close();
  }
});

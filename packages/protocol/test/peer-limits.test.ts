/**
 * What a peer can make a server hold: a connection that never authenticates is dropped at
 * the handshake deadline, and at most a capped number wait per listener (the oldest goes);
 * a frame's buffer grows only as its bytes arrive and is released when its peer goes; a
 * frame over the control limit drops the connection before anything is allocated.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  PROTOCOL_VERSION,
  FRAME_HEADER_BYTES,
  HANDSHAKE_MAX_FRAME_BYTES,
  FRAME_UP_FRONT_BYTES,
  FakeClock,
  FrameDecoder,
  RpcConnection,
  RpcServer,
  bytes,
  connectRpc,
  encodeMessage,
  defineService,
  memoryTransportPair,
  obj,
  returns,
  rpc,
  serve,
  type Listen,
  type ServiceDef,
  type ServiceOf,
  type Transport,
} from "../src/index.js";

const Echo = defineService({ echo: rpc(obj({ data: bytes }), returns<{ size: number }>()) });
type Echo = ServiceOf<typeof Echo>;

const MIB = 1024 * 1024;

/** A listener in memory: `connect()` opens a transport to the server, as a TCP connect would. */
function memoryListener(): { listen: Listen; connect(): Transport } {
  let accept: ((t: Transport) => void) | undefined;
  return {
    listen: (address, onTransport) => {
      accept = onTransport;
      return Promise.resolve({ address, unref: () => undefined, close: () => Promise.resolve() });
    },
    connect: () => {
      const [client, server] = memoryTransportPair();
      (accept as (t: Transport) => void)(server);
      return client;
    },
  };
}

const flush = async (): Promise<void> => {
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
};

function closedFlag(t: Transport): { closed: boolean } {
  const flag = { closed: false };
  t.onClose(() => (flag.closed = true));
  return flag;
}

async function server(clock: FakeClock, maxHandshakingConnections?: number, maxConnections?: number) {
  const net = memoryListener();
  const dropped: string[] = [];
  const rpcServer = await RpcServer.listen<Echo>({
    address: "memory",
    listen: net.listen,
    token: "t",
    maxFrameBytes: 256 * MIB,
    connectTimeoutMs: 10_000,
    handshakeTimeoutMs: 5000,
    ...(maxHandshakingConnections !== undefined ? { maxHandshakingConnections } : {}),
    ...(maxConnections !== undefined ? { maxConnections } : {}),
    callTimeoutMs: 10_000,
    clock,
    handlers: serve(Echo, { echo: (req) => ({ size: req.data.length }) }),
    onProtocolError: (e) => dropped.push(e.message),
  });
  return { net, dropped, rpcServer };
}

test("a peer that never sends its hello is dropped at the handshake deadline (rpcHandshakeTimeoutMs, not the connect deadline)", async () => {
  const clock = new FakeClock();
  const { net, dropped, rpcServer } = await server(clock);
  const silent = closedFlag(net.connect());
  await flush();
  clock.advance(4999);
  await flush();
  assert.equal(silent.closed, false);
  clock.advance(1);
  await flush();
  assert.equal(silent.closed, true);
  assert.match(dropped[0] ?? "", /no handshake within 5000 ms/);
  await rpcServer.close();
});

test("past the cap of connections still handshaking, the one waiting longest is dropped; a real client still gets in", async () => {
  const clock = new FakeClock();
  const { net, dropped, rpcServer } = await server(clock, 3);
  const silent = [0, 1, 2, 3, 4].map(() => closedFlag(net.connect()));
  await flush();
  assert.deepEqual(
    silent.map((s) => s.closed),
    [true, true, false, false, false],
    "the two oldest went",
  );
  assert.equal(dropped.length, 2);
  assert.match(dropped[0] ?? "", /more than 3 connections are still in their handshake/);
  // A client that authenticates takes a place too, but completes at once: it is served.
  const client = await connectRpc<Echo>("memory", { token: "t", maxFrameBytes: MIB, connectTimeoutMs: 1000, callTimeoutMs: 1000, clock, dial: () => Promise.resolve(net.connect()) });
  assert.deepEqual(await client.call("echo", { data: Buffer.alloc(10) }), { size: 10 });
  assert.deepEqual(
    silent.map((s) => s.closed),
    [true, true, true, false, false],
    "the client's arrival dropped the next oldest",
  );
  // Authenticated connections do not count against the cap.
  for (let i = 0; i < 5; i++) net.connect();
  await flush();
  assert.equal(client.state, "open");
  assert.deepEqual(await client.call("echo", { data: Buffer.alloc(1) }), { size: 1 });
  client.close(true);
  await rpcServer.close();
});

test("past the cap of all connections, a new one takes the place of the oldest unauthenticated one, or is refused when all are authenticated", async () => {
  const clock = new FakeClock();
  const { net, dropped, rpcServer } = await server(clock, 10, 3);
  const connect = (): Promise<RpcConnection<Echo>> =>
    connectRpc<Echo>("memory", { token: "t", maxFrameBytes: MIB, connectTimeoutMs: 1000, callTimeoutMs: 1000, clock, dial: () => Promise.resolve(net.connect()) });
  const clients = [await connect(), await connect()];
  const silent = closedFlag(net.connect());
  await flush();
  assert.equal(silent.closed, false, "three connections: at the cap, not past it");
  // A fourth: the unauthenticated one goes, the newcomer authenticates and is served.
  clients.push(await connect());
  assert.equal(silent.closed, true);
  assert.match(dropped[0] ?? "", /the listener holds its most connections \(3\): dropped the one waiting longest in its handshake/);
  // All three authenticated: a fifth is refused at once, and the three are still served.
  const refused = closedFlag(net.connect());
  await flush();
  assert.equal(refused.closed, true);
  assert.match(dropped[1] ?? "", /the listener holds its most connections \(3\), all authenticated: refused a new one/);
  for (const c of clients) assert.deepEqual(await c.call("echo", { data: Buffer.alloc(2) }), { size: 2 });
  // One leaves: there is room again.
  (clients.pop() as RpcConnection<Echo>).close(true);
  await flush();
  const again = await connect();
  assert.deepEqual(await again.call("echo", { data: Buffer.alloc(1) }), { size: 1 });
  for (const c of [...clients, again]) c.close(true);
  await rpcServer.close();
});

test("before its handshake, a peer's frame may be at most HANDSHAKE_MAX_FRAME_BYTES: a longer one drops it before anything is buffered", async () => {
  const clock = new FakeClock();
  const { net, dropped, rpcServer } = await server(clock);
  const raw = net.connect();
  const flag = closedFlag(raw);
  announce(raw, HANDSHAKE_MAX_FRAME_BYTES + 1, Buffer.alloc(10));
  await flush();
  assert.equal(flag.closed, true);
  assert.match(dropped[0] ?? "", new RegExp(`frame of ${HANDSHAKE_MAX_FRAME_BYTES + 1} bytes exceeds the limit of ${HANDSHAKE_MAX_FRAME_BYTES} bytes`));
  await rpcServer.close();
});

test("a large frame's buffer grows as its bytes arrive; the frame arrives intact", () => {
  const frames: Buffer[] = [];
  const decoder = new FrameDecoder(256 * MIB, (b, s, e) => frames.push(Buffer.from(b.subarray(s, e))));
  const size = 9 * MIB + 17;
  const payload = Buffer.alloc(size);
  for (let i = 0; i < size; i += 4096) payload[i] = i & 0xff;
  const header = Buffer.alloc(FRAME_HEADER_BYTES);
  header.writeUInt32BE(size);
  decoder.push(header);
  decoder.push(payload.subarray(0, 10));
  assert.equal(decoder.bufferedBytes, FRAME_UP_FRONT_BYTES, "announced 9 MiB, 10 bytes sent: 1 MiB held");
  decoder.push(payload.subarray(10, 2 * MIB));
  assert.equal(decoder.bufferedBytes, 4 * MIB, "2 MiB sent: 4 MiB held");
  for (let at = 2 * MIB; at < size; at += 64 * 1024) decoder.push(payload.subarray(at, Math.min(size, at + 64 * 1024)));
  assert.equal(frames.length, 1);
  assert.ok((frames[0] as Buffer).equals(payload));
  assert.equal(decoder.bufferedBytes, 0);
});

test("frames up to the up-front size get their buffer at once; release() drops a partial frame", () => {
  const frames: Buffer[] = [];
  const decoder = new FrameDecoder(256 * MIB, (b, s, e) => frames.push(b.subarray(s, e)), 8 * MIB);
  const header = Buffer.alloc(FRAME_HEADER_BYTES);
  header.writeUInt32BE(8 * MIB);
  decoder.push(header);
  decoder.push(Buffer.alloc(100));
  assert.equal(decoder.bufferedBytes, 8 * MIB);
  decoder.release();
  assert.equal(decoder.bufferedBytes, 0);
  // The next frame starts clean.
  header.writeUInt32BE(3);
  decoder.push(Buffer.concat([header, Buffer.from("abc")]));
  assert.deepEqual(frames.map((f) => f.toString()), ["abc"]);
});

/** An authenticated connection pair whose client side writes raw bytes. */
async function authenticated(maxFrameBytes: number): Promise<{ raw: Transport; server: RpcConnection<never, Echo>; dropped: Error[] }> {
  const [a, b] = memoryTransportPair();
  const dropped: Error[] = [];
  const server = new RpcConnection<never, Echo>(b, { maxFrameBytes, callTimeoutMs: 10_000, handlers: serve(Echo, { echo: () => ({ size: 0 }) }), onProtocolError: (e) => dropped.push(e) });
  const accepted = server.serverHandshake("t", 1000);
  const client = new RpcConnection<ServiceDef>(a, { maxFrameBytes, callTimeoutMs: 10_000 });
  await Promise.all([client.clientHandshake("t", 1000), accepted]);
  return { raw: a, server, dropped };
}

function announce(raw: Transport, size: number, body: Buffer): void {
  const frame = Buffer.alloc(FRAME_HEADER_BYTES + body.length);
  frame.writeUInt32BE(size);
  body.copy(frame, FRAME_HEADER_BYTES);
  raw.writeFrame(frame, 0, frame.length);
}

test("an authenticated peer announcing 2 GiB is dropped at once, over the 256 MiB control limit", async () => {
  const { raw, server, dropped } = await authenticated(256 * MIB);
  announce(raw, 2 * 1024 * MIB, Buffer.alloc(1000));
  await flush();
  assert.equal(server.state, "closed");
  assert.match(dropped[0]?.message ?? "", /frame of 2147483648 bytes exceeds the limit of 268435456 bytes/);
  assert.equal(server.partialFrameBytes, 0);
});

test("a peer that goes in the middle of a frame leaves no buffer behind", async () => {
  const { raw, server } = await authenticated(256 * MIB);
  announce(raw, 200 * MIB, Buffer.alloc(3 * MIB));
  await flush();
  assert.equal(server.state, "open");
  assert.equal(server.partialFrameBytes, 4 * MIB, "200 MiB announced, 3 MiB sent: 4 MiB held");
  raw.close();
  await flush();
  assert.equal(server.state, "closed");
  assert.equal(server.partialFrameBytes, 0);
});

/** A raw peer of a server connection serving Echo, which records every call it handles. */
function rawPeer(token = "t"): { raw: Transport; server: RpcConnection<never, Echo>; handled: string[]; handshake: Promise<void>; dropped: Error[] } {
  const [a, b] = memoryTransportPair();
  const handled: string[] = [];
  const dropped: Error[] = [];
  const server = new RpcConnection<never, Echo>(b, {
    maxFrameBytes: MIB,
    callTimeoutMs: 10_000,
    handlers: serve(Echo, { echo: () => (handled.push("echo"), { size: 0 }) }),
    onProtocolError: (e) => dropped.push(e),
  });
  const handshake = server.serverHandshake(token, 1000).catch(() => undefined);
  return { raw: a, server, handled, handshake, dropped };
}

function frameOf(message: unknown): Buffer {
  const body = encodeMessage(message);
  const f = Buffer.alloc(FRAME_HEADER_BYTES + body.length);
  f.writeUInt32BE(body.length);
  body.copy(f, FRAME_HEADER_BYTES);
  return f;
}

test("frames behind a refused hello or an undecodable frame, in the same chunk, are never dispatched (found by npm run fuzz)", async () => {
  const request = frameOf([0, 1, "echo", { data: Buffer.alloc(1) }]);
  const firsts: [string, Buffer][] = [
    ["a hello with the wrong token", frameOf({ magic: "lux", version: PROTOCOL_VERSION, token: "wrong" })],
    ["a hello that does not decode", Buffer.concat([frameOf({ magic: "lux", version: PROTOCOL_VERSION, token: "t" }).subarray(0, 10), Buffer.of(0xc1)])],
    ["something that is no hello", frameOf([0, 1, "echo", { data: Buffer.alloc(1) }])],
  ];
  for (const [what, first] of firsts) {
    const { raw, server, handled, handshake } = rawPeer();
    const chunk = Buffer.concat([first, request, request]);
    raw.writeFrame(chunk, 0, chunk.length);
    await handshake;
    await flush();
    assert.equal(server.state, "closed", what);
    assert.deepEqual(handled, [], `${what}: a request behind it was handled`);
  }
  // After an accepted hello, an undecodable frame ends the connection: what follows it goes unhandled too.
  const { raw, server, handled } = rawPeer();
  const garbage = Buffer.concat([Buffer.from([0, 0, 0, 1]), Buffer.of(0xc1)]);
  const chunk = Buffer.concat([frameOf({ magic: "lux", version: PROTOCOL_VERSION, token: "t" }), request, garbage, request]);
  raw.writeFrame(chunk, 0, chunk.length);
  await flush();
  assert.equal(server.state, "closed");
  assert.deepEqual(handled, ["echo"], "only the request before the bad frame");
});

test("a hello with stray bytes behind it in its frame is dropped without quoting the frame (the token stays out of the log)", async () => {
  const token = "c0ffee".repeat(8);
  const { raw, server, dropped, handshake } = rawPeer(token);
  const hello = encodeMessage({ magic: "lux", version: PROTOCOL_VERSION, token });
  const f = Buffer.concat([Buffer.alloc(FRAME_HEADER_BYTES), hello, Buffer.of(0x01, 0x02)]);
  f.writeUInt32BE(hello.length + 2);
  raw.writeFrame(f, 0, f.length);
  await handshake;
  await flush();
  assert.equal(server.state, "closed");
  assert.match(dropped[0]?.message ?? "", /undecodable frame: Data read, but end of buffer not reached/);
  assert.ok(!(dropped[0]?.message ?? "").includes(token), dropped[0]?.message);
  assert.equal(dropped[0]?.cause, undefined);
});

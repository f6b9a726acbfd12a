import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import * as net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, afterEach, before, test } from "node:test";
import {
  RpcServer,
  bytes,
  connectRpc,
  connectTransport,
  defineService,
  listenTransport,
  num,
  obj,
  returns,
  rpc,
  serve,
  type ServiceOf,
  type Transport,
  type TransportListener,
} from "../src/index.js";

/** Frames from this size get a buffer of their own instead of a place in the staging buffer. */
const LARGE = 64 * 1024;

let dir: string;
let listener: TransportListener;
let accepted: ((t: Transport) => void) | undefined;
const open: Transport[] = [];

/** Every socket.write while a test runs: how many bytes, of which memory, and whether before the tick ended. */
const spied: { length: number; memory: ArrayBufferLike; inTick: boolean }[] = [];
let inTick = false;
const socketWrite = Object.getOwnPropertyDescriptor(net.Socket.prototype, "write");
before(() => {
  const original = net.Socket.prototype.write;
  net.Socket.prototype.write = function (this: net.Socket, ...args: Parameters<net.Socket["write"]>): boolean {
    const chunk = args[0];
    // The test runner reports through stdout, a socket too.
    const ours = this !== process.stdout && this !== process.stderr;
    if (ours && Buffer.isBuffer(chunk)) spied.push({ length: chunk.length, memory: chunk.buffer, inTick });
    return original.apply(this, args);
  } as net.Socket["write"];
});
after(() => {
  if (socketWrite === undefined) Reflect.deleteProperty(net.Socket.prototype, "write");
  else Object.defineProperty(net.Socket.prototype, "write", socketWrite);
});

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "lux-transport-"));
  listener = await listenTransport(path.join(dir, "s.sock"), (t) => {
    open.push(t);
    accepted?.(t);
  });
});

after(async () => {
  await listener.close();
  rmSync(dir, { recursive: true, force: true });
});

afterEach(() => {
  for (const t of open.splice(0)) t.close(true);
  spied.splice(0);
});

/**
 * A connected pair and everything the receiving end gets; with `paused`, the receiver
 * reads nothing until `resume` (so the sender's socket soon cannot write at once).
 */
async function pair(paused = false): Promise<{
  sender: Transport;
  resume: () => void;
  until: (bytes: number) => Promise<Buffer>;
}> {
  const server = new Promise<Transport>((resolve) => (accepted = resolve));
  const sender = await connectTransport(listener.address, 1000);
  open.push(sender);
  const receiver = await server;
  const chunks: Buffer[] = [];
  let total = 0;
  let waiting: { bytes: number; resolve: () => void } | undefined;
  const resume = (): void =>
    receiver.onData((c) => {
      chunks.push(c);
      total += c.length;
      if (waiting !== undefined && total >= waiting.bytes) waiting.resolve();
    });
  if (!paused) resume();
  const until = async (bytes: number): Promise<Buffer> => {
    if (total < bytes) await new Promise<void>((resolve) => (waiting = { bytes, resolve }));
    return Buffer.concat(chunks);
  };
  return { sender, resume, until };
}

/** Frame bytes with a recognizable pattern; the header is not checked by the transport. */
function frame(length: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) b[i] = (seed * 31 + i) & 0xff;
  return b;
}

test("small frames are copied: the sender may overwrite them at once; one write per tick", async () => {
  const { sender, until } = await pair();
  const scratch = Buffer.alloc(1000);
  const expected: Buffer[] = [];
  for (let i = 0; i < 10; i++) {
    const f = frame(100, i);
    f.copy(scratch, 200);
    sender.writeFrame(scratch, 200, 300);
    scratch.fill(0);
    expected.push(f);
  }
  assert.equal(spied.length, 0, "nothing written before the tick ends");
  const all = Buffer.concat(expected);
  assert.deepEqual(await until(all.length), all);
  assert.deepEqual(
    spied.map((s) => s.length),
    [all.length],
  );
});

test("a long synchronous burst goes out in slices of about 32 KiB before the tick ends", async () => {
  const { sender, until } = await pair();
  const frames = Array.from({ length: 100 }, (_, i) => frame(1000, i));
  inTick = true;
  for (const f of frames) sender.writeFrame(f, 0, f.length);
  inTick = false;
  const all = Buffer.concat(frames);
  assert.deepEqual(await until(all.length), all);
  // Three slices of 33 frames in the tick (a slice may be two writes, corked, where it
  // straddles two staging buffers), the last frame after it.
  const early = spied.filter((s) => s.inTick).map((s) => s.length);
  assert.equal(early.reduce((a, b) => a + b, 0), 99_000);
  assert.ok(early.every((n) => n <= 33_000));
  assert.deepEqual(
    spied.filter((s) => !s.inTick).map((s) => s.length),
    [1000],
  );
});

test("a large frame is copied into a buffer of its own, in order with the small frames around it", async () => {
  const { sender, until } = await pair();
  const large = frame(LARGE + 10, 1);
  const holder = Buffer.concat([Buffer.alloc(16), large]);
  const small1 = frame(300, 2);
  const small2 = frame(500, 3);
  sender.writeFrame(small1, 0, small1.length);
  sender.writeFrame(holder, 16, holder.length);
  holder.fill(0);
  sender.writeFrame(small2, 0, small2.length);
  const all = Buffer.concat([small1, large, small2]);
  assert.deepEqual(await until(all.length), all);
  assert.deepEqual(
    spied.map((s) => s.length),
    [small1.length, large.length, small2.length],
  );
  assert.equal(spied[0]?.memory, spied[2]?.memory, "the small frames share the staging buffer");
  assert.notEqual(spied[1]?.memory, spied[0]?.memory);
});

test("one staging buffer serves every flush while the socket writes at once", async () => {
  const { sender, until } = await pair();
  const sent: Buffer[] = [];
  for (let round = 0; round < 40; round++) {
    for (let i = 0; i < 5; i++) {
      const f = frame(200 + ((round * 5 + i) % 13) * 97, round * 5 + i);
      sender.writeFrame(f, 0, f.length);
      sent.push(f);
    }
    await new Promise((r) => setImmediate(r));
  }
  const all = Buffer.concat(sent);
  assert.deepEqual(await until(all.length), all);
  assert.equal(spied.length, 40);
  assert.equal(new Set(spied.map((s) => s.memory)).size, 1);
});

test("staged bytes the socket still holds are not written over", async () => {
  const { sender, resume, until } = await pair(true);
  const sent: Buffer[] = [];
  // Far more than the kernel buffers while nobody reads: most writes wait in the socket.
  for (let round = 0; round < 200; round++) {
    for (let i = 0; i < 20; i++) {
      const f = frame(1000 + ((round + i) % 7) * 61, round * 20 + i);
      sender.writeFrame(f, 0, f.length);
      sent.push(f);
    }
    await new Promise((r) => setImmediate(r));
  }
  resume();
  const all = Buffer.concat(sent);
  assert.ok(all.length > 4 << 20);
  assert.ok(all.equals(await until(all.length)));
  assert.ok(new Set(spied.map((s) => s.memory)).size > 1, "the socket fell behind");
});

const EchoService = defineService({ echo: rpc(obj({ i: num, data: bytes }), returns<{ i: number; data: Uint8Array }>()) });
type EchoService = ServiceOf<typeof EchoService>;

test("RpcConnection over a socket: pipelined calls of every size come back intact, each exactly once", async () => {
  const server = await RpcServer.listen<EchoService>({
    address: path.join(dir, "rpc.sock"),
    token: "t",
    maxFrameBytes: 64 << 20,
    connectTimeoutMs: 5000,
    callTimeoutMs: 10_000,
    handlers: serve(EchoService, { echo: (req) => req }),
  });
  const client = await connectRpc<EchoService>(server.address, { token: "t", maxFrameBytes: 64 << 20, connectTimeoutMs: 5000, callTimeoutMs: 10_000 });
  try {
    const sizes = [0, 3, 100, 5000, LARGE - 40, LARGE, 300_000, 3 << 20];
    const calls: Promise<void>[] = [];
    for (let i = 0; i < 2000; i++) {
      const size = i % 50 === 0 ? (sizes[(i / 50) % sizes.length] as number) : (i * 37) % 700;
      const data = frame(size, i);
      const expected = Buffer.from(data);
      calls.push(
        new Promise<void>((resolve, reject) => {
          let replies = 0;
          client.callback("echo", { i, data }, (error, reply) => {
            replies++;
            if (error !== undefined) reject(error);
            else if (replies === 1 && reply?.i === i && expected.equals(reply.data)) resolve();
            else reject(new Error(`call ${i} came back wrong`));
          });
        }),
      );
    }
    await Promise.all(calls);
  } finally {
    client.close(true);
    await server.close();
  }
});

test("RpcConnection.detach: after an agreed reply both sides exchange raw bytes on the same socket", async () => {
  let serverSide: Transport | undefined;
  const serverGot: Buffer[] = [];
  const server = await RpcServer.listen<EchoService>({
    address: path.join(dir, "detach.sock"),
    token: "t",
    maxFrameBytes: 64 << 20,
    connectTimeoutMs: 5000,
    callTimeoutMs: 10_000,
    handlers: serve(EchoService, {
      echo: (req, conn) => {
        serverSide = conn.detach((chunk) => {
          serverGot.push(Buffer.from(chunk));
          if (Buffer.concat(serverGot).length === 5000) serverSide?.writeRaw(Buffer.from("thanks"), () => undefined);
        });
        return req;
      },
    }),
  });
  const client = await connectRpc<EchoService>(server.address, { token: "t", maxFrameBytes: 64 << 20, connectTimeoutMs: 5000, callTimeoutMs: 10_000 });
  try {
    const reply = await client.call("echo", { i: 1, data: Buffer.from("hi") });
    assert.equal(reply.i, 1);
    const clientGot: Buffer[] = [];
    const thanks = new Promise<void>((resolve) =>
      client.detach((chunk) => {
        clientGot.push(chunk);
        if (Buffer.concat(clientGot).toString() === "thanks") resolve();
      }),
    );
    const data = frame(5000, 9);
    client.transport.writeRaw(data, () => undefined);
    await thanks;
    assert.deepEqual(Buffer.concat(serverGot), data);
  } finally {
    client.close(true);
    await server.close();
  }
});

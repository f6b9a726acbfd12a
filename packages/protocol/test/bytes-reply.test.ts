/**
 * Replies whose bytes travel raw (methods declared with `rpcBytes`): in memory and over real
 * sockets (TCP with bulk reads, TLS): gathered by `call`, streamed to a sink by `callInto`,
 * sent from the server's buffer without a copy (`sent` once written), in order with the
 * frames around them; a sink that throws, a call that timed out and a peer announcing too
 * many bytes each end as they should.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, test } from "node:test";
import { createCa, issueCert } from "@lux/cli";
import {
  FakeClock,
  ProtocolError,
  RpcConnection,
  RpcServer,
  RpcTimeoutError,
  connectRpc,
  defineService,
  int,
  memoryTransportPair,
  num,
  obj,
  returns,
  rpc,
  rpcBytes,
  serve,
  tlsTransports,
  type BytesReply,
  type PeerOptions,
  type ServiceOf,
} from "../src/index.js";

const Service = defineService({
  chunk: rpcBytes(obj({ size: int(), seed: int() })),
  echo: rpc(obj({ n: num }), returns<{ n: number }>()),
});
type Service = ServiceOf<typeof Service>;

function pattern(size: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) b[i] = (seed * 31 + i * 7) & 0xff;
  return b;
}

/** The server's side: what it sent, and the `sent` callbacks it got (with their errors). */
interface Sends {
  sent: (Error | undefined)[];
  /** When set, `chunk` replies once this resolves. */
  gate?: Promise<void> | undefined;
}

function handlers(sends: Sends) {
  return serve(Service, {
    chunk: async ({ size, seed }): Promise<BytesReply> => {
      await sends.gate;
      return { data: pattern(size, seed), sent: (error) => void sends.sent.push(error) };
    },
    echo: ({ n }) => ({ n }),
  });
}

async function inMemory(options: { clientMaxFrameBytes?: number; clock?: FakeClock } = {}) {
  const sends: Sends = { sent: [] };
  const [a, b] = memoryTransportPair();
  const server = new RpcConnection<never, Service>(b, { maxFrameBytes: 1 << 20, callTimeoutMs: 10_000, handlers: handlers(sends) });
  void server.serverHandshake("t", 1000).catch(() => undefined);
  const problems: Error[] = [];
  const client = new RpcConnection<Service>(a, {
    maxFrameBytes: options.clientMaxFrameBytes ?? 1 << 20,
    callTimeoutMs: 10_000,
    onProtocolError: (e) => void problems.push(e),
    ...(options.clock !== undefined ? { clock: options.clock } : {}),
  });
  const handshake = client.clientHandshake("t", 1000);
  options.clock?.advance(0);
  await handshake;
  return { client, sends, problems };
}

/** Collects what a sink gets; checks each slice is handed on within its bounds. */
function collector(): { sink: (buffer: Buffer, start: number, end: number) => void; bytes: () => Buffer; slices: () => number } {
  const parts: Buffer[] = [];
  return {
    sink: (buffer, start, end) => {
      assert.ok(start >= 0 && start <= end && end <= buffer.length);
      parts.push(Buffer.from(buffer.subarray(start, end)));
    },
    bytes: () => Buffer.concat(parts),
    slices: () => parts.length,
  };
}

test("call gathers a bytes reply into `data`; callInto streams it to a sink; `sent` runs once each", async () => {
  const { client, sends } = await inMemory();
  const { data } = await client.call("chunk", { size: 70_000, seed: 1 });
  assert.deepEqual(Buffer.from(data), pattern(70_000, 1));
  const into = collector();
  assert.equal(await client.callInto("chunk", { size: 5000, seed: 2 }, into.sink), undefined);
  assert.deepEqual(into.bytes(), pattern(5000, 2));
  const empty = collector();
  await client.callInto("chunk", { size: 0, seed: 3 }, empty.sink);
  assert.equal(empty.bytes().length, 0);
  assert.deepEqual(await client.call("echo", { n: 4 }), { n: 4 }, "frames after the raw bytes are read as frames");
  assert.deepEqual(sends.sent, [undefined, undefined, undefined]);
});

test("a sink that throws fails its call, not the connection: the rest of its bytes are skipped", async () => {
  const { client, problems } = await inMemory();
  const failing = client.callInto("chunk", { size: 9000, seed: 5 }, () => {
    throw new RangeError("no room for these bytes");
  });
  const next = collector();
  const after = client.callInto("chunk", { size: 3000, seed: 6 }, next.sink);
  await assert.rejects(failing, RangeError);
  await after;
  assert.deepEqual(next.bytes(), pattern(3000, 6));
  assert.equal(client.state, "open");
  assert.deepEqual(problems, []);
});

test("the bytes of a call that timed out are skipped; the next reply is intact", async () => {
  const clock = new FakeClock();
  const { client, sends } = await inMemory({ clock });
  let open: () => void = () => undefined;
  sends.gate = new Promise<void>((resolve) => (open = resolve));
  const late = collector();
  const timedOut = client.callInto("chunk", { size: 4000, seed: 7 }, late.sink, 50);
  clock.advance(50);
  await assert.rejects(timedOut, RpcTimeoutError);
  open();
  sends.gate = undefined;
  const next = collector();
  await client.callInto("chunk", { size: 2000, seed: 8 }, next.sink);
  assert.equal(late.slices(), 0, "nothing reached the sink of the call that timed out");
  assert.deepEqual(next.bytes(), pattern(2000, 8));
});

test("a reply announcing more raw bytes than the connection's frame limit drops the connection", async () => {
  const { client, problems } = await inMemory({ clientMaxFrameBytes: 4096 });
  await assert.rejects(client.call("chunk", { size: 5000, seed: 9 }));
  assert.equal(client.state, "closed");
  assert.ok(problems[0] instanceof ProtocolError);
  assert.match(problems[0].message, /5000 raw bytes/);
});

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lux-bytes-test-"));
let tlsPeer: Pick<PeerOptions, "dial" | "listen">;
before(() => {
  createCa(path.join(dir, "ca"));
  issueCert({ ca: path.join(dir, "ca"), name: "node", ip: ["127.0.0.1"], dns: [], out: dir, days: 1 });
  const material = { cert: fs.readFileSync(path.join(dir, "node.crt")), key: fs.readFileSync(path.join(dir, "node.key")), ca: fs.readFileSync(path.join(dir, "ca", "ca.crt")) };
  tlsPeer = tlsTransports({ material, handshakeTimeoutMs: 5000 });
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

for (const kind of ["TCP", "TLS"] as const) {
  test(`over ${kind}: large bytes replies and small replies, pipelined on bulk-read connections, arrive intact and in order`, async () => {
    const sends: Sends = { sent: [] };
    const peer: PeerOptions = { token: "t", maxFrameBytes: 16 << 20, connectTimeoutMs: 5000, callTimeoutMs: 20_000, ...(kind === "TLS" ? tlsPeer : {}) };
    const server = await RpcServer.listen<Service>({ ...peer, address: "127.0.0.1:0", handlers: handlers(sends) });
    // Two connections reading through the process's one bulk-read buffer at once.
    const clients = await Promise.all([0, 1].map(() => connectRpc<Service>(server.address, { ...peer, bulkReads: true })));
    try {
      const sizes = [12 << 20, 1, 0, 300_000, 64 * 1024, 5 << 20];
      const checks = clients.flatMap((client, c) =>
        sizes.flatMap((size, i) => {
          const seed = c * 100 + i;
          const into = collector();
          return [
            client.callInto("chunk", { size, seed }, into.sink).then(() => assert.ok(into.bytes().equals(pattern(size, seed)), `chunk ${seed} of ${size} bytes`)),
            client.call("echo", { n: seed }).then((r) => assert.equal(r.n, seed)),
          ];
        }),
      );
      await Promise.all(checks);
      const gathered = await clients[0]?.call("chunk", { size: 3 << 20, seed: 42 });
      assert.ok(Buffer.from(gathered?.data ?? []).equals(pattern(3 << 20, 42)));
      assert.equal(sends.sent.length, 2 * sizes.length + 1);
      assert.ok(sends.sent.every((e) => e === undefined));
    } finally {
      for (const c of clients) c.close(true);
      await server.close();
    }
  });
}

/**
 * Object transfer channels (bulk-channel.ts) between two ends of a real TLS connection: a
 * chunk read arrives intact; a frame altered on the wire, or replayed, fails its tag, the
 * read rejects (its bytes are never reported written) and the channel closes, while a new
 * channel reads the chunk intact; a socket that cannot prove the channel is refused.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, test } from "node:test";
import { createCa, issueCert } from "@lux/cli";
import { RpcServer, connectRpc, defineService, empty, returns, rpc, serve, tlsTransports, type PeerOptions, type RayletService, type RpcConnection, type ServiceOf, type TlsMaterial } from "@lux/protocol";
import type { AesGcm } from "@lux/object-store";
import { BulkClient, BulkListener } from "../src/bulk-channel.js";

const Offers = defineService({ openBulkChannel: rpc(empty, returns<{ port: number; channel: string }>()) });

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lux-bulk-test-"));
let material: TlsMaterial;
before(() => {
  createCa(path.join(dir, "ca"));
  issueCert({ ca: path.join(dir, "ca"), name: "node", ip: ["127.0.0.1"], dns: [], out: dir, days: 1 });
  material = { cert: fs.readFileSync(path.join(dir, "node.crt")), key: fs.readFileSync(path.join(dir, "node.key")), ca: fs.readFileSync(path.join(dir, "ca", "ca.crt")) };
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** What the source serves: one object of random bytes. */
const OBJECT = randomBytes(3 * 1024 * 1024 + 123);
const CHUNK = 1024 * 1024;

/** How a proxy between the channel's ends changes what the source sends. */
type Meddle = (frame: Buffer, index: number, previous: Buffer | undefined) => Buffer | Buffer[];

/** A TCP proxy to `port` that passes the puller's bytes on as they are and hands each whole frame from the source to `meddle`. */
async function proxy(port: number, meddle: Meddle): Promise<{ port: number; close(): void }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((inbound) => {
    const outbound = net.connect(port, "127.0.0.1");
    sockets.add(inbound).add(outbound);
    inbound.on("error", () => undefined).pipe(outbound);
    outbound.on("error", () => inbound.destroy());
    inbound.on("close", () => outbound.destroy());
    let pending = Buffer.alloc(0);
    let index = 0;
    let previous: Buffer | undefined;
    outbound.on("data", (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 12) {
        const size = 12 + pending.readUInt32BE(0) + 16;
        if (pending.length < size) break;
        const frame = pending.subarray(0, size);
        pending = pending.subarray(size);
        for (const out of [meddle(Buffer.from(frame), index++, previous)].flat()) inbound.write(out);
        previous = Buffer.from(frame);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => {
      server.close();
      for (const s of sockets) s.destroy();
    },
  };
}

interface Ends {
  listener: BulkListener;
  client: RpcConnection<RayletService>;
  /** Where the puller is told to dial: the listener's port, unless a proxy in front of it is set. */
  via: { port: number | undefined };
  close(): Promise<void>;
}

/** A BulkListener offering channels on a real TLS connection (an RPC server with the one method), and a client of it. */
async function ends(): Promise<Ends> {
  const listener = new BulkListener({
    host: "127.0.0.1",
    read: async (objectId, offset, length) => {
      if (objectId !== "object-1") throw new Error(`no object ${objectId}`);
      return { data: OBJECT.subarray(offset, offset + length) };
    },
    handshakeTimeoutMs: 2000,
    maxHandshaking: 8,
    maxChunkBytes: CHUNK,
  });
  await listener.start();
  const via: { port: number | undefined } = { port: undefined };
  const options: PeerOptions = { token: "t0ken", maxFrameBytes: 1 << 20, connectTimeoutMs: 2000, callTimeoutMs: 2000, ...tlsTransports({ material, handshakeTimeoutMs: 2000 }) };
  const handlers = serve(Offers, {
    openBulkChannel: async (_req, conn) => {
      const offer = await listener.offer(conn);
      return via.port === undefined ? offer : { ...offer, port: via.port };
    },
  });
  const server = await RpcServer.listen<ServiceOf<typeof Offers>>({ ...options, address: "127.0.0.1:0", handlers });
  const client = (await connectRpc<ServiceOf<typeof Offers>>(server.address, options)) as unknown as RpcConnection<RayletService>;
  return {
    listener,
    client,
    via,
    close: async () => {
      client.close(true);
      listener.close();
      await server.close();
    },
  };
}

/** Reads chunk `offset` of the object on `channel` into `into` (a copy of its size); whether it verified. */
async function readInto(channel: BulkClient, offset: number, into: Buffer): Promise<void> {
  await channel.read("object-1", offset, into.length, (piece: Uint8Array, at: number, gcm: AesGcm) => gcm.update(piece, into.subarray(at, at + piece.length)), 5000);
}

describe("object transfer channels", () => {
  test("chunks read over a channel keyed by the TLS session arrive intact, several at once", async () => {
    const e = await ends();
    try {
      const channel = await BulkClient.open(e.client, 2000);
      assert.ok(channel !== undefined);
      const parts = [0, CHUNK, 2 * CHUNK, 3 * CHUNK].map((at) => Buffer.alloc(Math.min(CHUNK, OBJECT.length - at)));
      await Promise.all(parts.map((p, i) => readInto(channel, i * CHUNK, p)));
      assert.ok(Buffer.concat(parts).equals(OBJECT));
      // A read the source refuses fails alone; the channel goes on.
      await assert.rejects(channel.read("object-2", 0, 10, () => undefined, 5000), /no object object-2/);
      const again = Buffer.alloc(100);
      await readInto(channel, 5, again);
      assert.ok(again.equals(OBJECT.subarray(5, 105)));
    } finally {
      await e.close();
    }
  });

  for (const [name, meddle] of [
    ["a bit flipped in a chunk", (frame: Buffer, index: number) => (index === 1 ? (frame.writeUInt8(frame[5000]! ^ 1, 5000), frame) : frame)],
    ["a frame's header altered (its length kept)", (frame: Buffer, index: number) => (index === 1 ? (frame.writeUInt32BE(frame.readUInt32BE(8) ^ 0x100, 8), frame) : frame)],
    ["the first frame replayed in place of the second", (frame: Buffer, index: number, previous: Buffer | undefined) => (index === 1 && previous !== undefined ? previous : frame)],
  ] as const) {
    test(`${name}: the read fails, its bytes are not reported written, the channel closes; a new one reads intact`, async () => {
      const e = await ends();
      const p = await proxy(await e.listener.start().then((a) => Number(a.slice(a.lastIndexOf(":") + 1))), meddle as Meddle);
      try {
        e.via.port = p.port;
        const channel = await BulkClient.open(e.client, 2000);
        assert.ok(channel !== undefined);
        const first = Buffer.alloc(CHUNK);
        await readInto(channel, 0, first);
        assert.ok(first.equals(OBJECT.subarray(0, CHUNK)));
        const second = Buffer.alloc(CHUNK);
        await assert.rejects(readInto(channel, CHUNK, second), /authentication tag|not waiting|answers a read/);
        assert.ok(channel.closed);
        await assert.rejects(readInto(channel, 0, first), /authentication tag|not waiting|answers a read/);
        // Without the proxy, a new channel of the same TLS connection reads the chunk intact.
        e.via.port = undefined;
        const fresh = await BulkClient.open(e.client, 2000);
        assert.ok(fresh !== undefined);
        await readInto(fresh, CHUNK, second);
        assert.ok(second.equals(OBJECT.subarray(CHUNK, 2 * CHUNK)));
      } finally {
        p.close();
        await e.close();
      }
    });
  }

  test("two frames swapped (each a valid frame of a waiting read): both fail their tags under the other's sequence number", async () => {
    const e = await ends();
    let held: Buffer | undefined;
    const swap: Meddle = (frame, index) => {
      if (index === 0) {
        held = frame;
        return [];
      }
      return index === 1 ? [frame, held as Buffer] : frame;
    };
    const p = await proxy(await e.listener.start().then((a) => Number(a.slice(a.lastIndexOf(":") + 1))), swap);
    try {
      e.via.port = p.port;
      const channel = await BulkClient.open(e.client, 2000);
      assert.ok(channel !== undefined);
      const [a, b] = [Buffer.alloc(CHUNK), Buffer.alloc(CHUNK)];
      const reads = await Promise.allSettled([readInto(channel, 0, a), readInto(channel, CHUNK, b)]);
      assert.deepEqual(
        reads.map((r) => r.status),
        ["rejected", "rejected"],
      );
      assert.match(String((reads[0] as PromiseRejectedResult).reason), /authentication tag/);
      assert.ok(channel.closed);
    } finally {
      p.close();
      await e.close();
    }
  });

  test("a socket that does not prove the channel (another protocol, an unknown id, a forged hello) is closed", async () => {
    const e = await ends();
    try {
      const address = await e.listener.start();
      const port = Number(address.slice(address.lastIndexOf(":") + 1));
      const { channel } = await (e.client as unknown as RpcConnection<ServiceOf<typeof Offers>>).call("openBulkChannel", {});
      const id = Buffer.from(channel, "hex");
      const closedAfter = (bytes: Buffer): Promise<void> =>
        new Promise((resolve) => {
          const s = net.connect(port, "127.0.0.1", () => s.write(bytes));
          s.on("error", () => undefined);
          s.on("close", () => resolve());
        });
      await closedAfter(Buffer.from("GET / HTTP/1.1\r\n\r\n"));
      await closedAfter(Buffer.concat([Buffer.from("LUXCHAN1"), randomBytes(16), Buffer.alloc(28)]));
      // The real id with a hello not sealed under the channel's key: refused, and the id is used up.
      await closedAfter(Buffer.concat([Buffer.from("LUXCHAN1"), id, Buffer.alloc(28)]));
      await closedAfter(Buffer.concat([Buffer.from("LUXCHAN1"), id]));
    } finally {
      await e.close();
    }
  });
});

/**
 * Pulls between nodes, each a real store, pull manager and transfer server, linked in memory:
 * a pull resumes from the next source with only the chunks still missing when its source
 * breaks mid-transfer; a source offers the node already pulling the object from it as a
 * relay, which serves its chunks as they arrive; a relay that breaks leaves its reader to
 * the source; bytes always arrive intact.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, afterEach, test } from "node:test";
import { RayletService, RpcConnection, memoryTransportPair, serve, type ServiceDef } from "@lux/protocol";
import { ArenaStore, openArena, type ArenaClient } from "@lux/object-store";
import { PullManager } from "../src/pull-manager.js";
import { TransferServer } from "../src/transfer-server.js";

const KiB = 1024;
const CHUNK = 64 * KiB;
const CHUNKS = 10;
const SIZE = CHUNKS * CHUNK - 100;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lux-object-pull-"));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function pattern(seed: number): Buffer {
  const b = Buffer.allocUnsafe(SIZE);
  for (let i = 0; i < SIZE; i++) b[i] = (seed * 13 + i * 7 + (i >> 11)) & 0xff;
  return b;
}

type Served = { node: string; from: string; offset: number };

/** One node: its store, what it pulls and what it serves; `beforeChunk` may hold or break a chunk read it serves. */
class Node {
  readonly pulls: PullManager;
  readonly transfers: TransferServer;
  /** The chunk reads this node served: to which node, at which offset. */
  readonly served: Served[] = [];
  beforeChunk: ((from: string, offset: number, connection: RpcConnection<ServiceDef>) => Promise<void> | void) | undefined;
  private readonly links = new Map<string, RpcConnection<RayletService>>();

  constructor(
    readonly id: string,
    readonly store: ArenaStore,
    readonly arena: ArenaClient,
    private readonly nodes: Map<string, Node>,
    lanes: number,
  ) {
    this.transfers = new TransferServer({ store, arena, pulls: () => this.pulls });
    this.pulls = new PullManager({
      nodeId: id,
      store,
      arena,
      peer: async (nodeId) => this.link(nodeId),
      forget: (nodeId) => this.links.delete(nodeId),
      channel: async () => undefined,
      chunkBytes: CHUNK,
      maxBytesInFlight: 4 * CHUNK,
      chunksPerPull: lanes,
      chunkTimeoutMs: 10_000,
    });
  }

  /** This node's connection to `nodeId` (opened in memory on first use; closing it ends the other side's too). */
  async link(nodeId: string): Promise<RpcConnection<RayletService>> {
    const open = this.links.get(nodeId);
    if (open !== undefined && open.state !== "closed") return open;
    const other = this.nodes.get(nodeId);
    if (other === undefined) throw new Error(`no node ${nodeId}`);
    const [a, b] = memoryTransportPair();
    const server = new RpcConnection<ServiceDef, RayletService>(b, { maxFrameBytes: 1 << 20, callTimeoutMs: 10_000, handlers: other.handlers(this.id) });
    server.onClose(() => {
      other.store.clientGone(server);
      other.transfers.connectionGone(server);
    });
    void server.serverHandshake("t", 1000).catch(() => undefined);
    const client = new RpcConnection<RayletService>(a, { maxFrameBytes: 1 << 20, callTimeoutMs: 10_000 });
    await client.clientHandshake("t", 1000);
    this.links.set(nodeId, client);
    return client;
  }

  private handlers(from: string) {
    return serve(RayletService, {
      openTransfer: (req, conn) => this.transfers.open(req.objectId, req.puller, conn),
      readObjectChunk: async (req, conn) => {
        await this.beforeChunk?.(from, req.offset, conn as RpcConnection<ServiceDef>);
        this.served.push({ node: this.id, from, offset: req.offset });
        return this.transfers.read(req.objectId, req.offset, req.length, conn);
      },
      releaseObjects: (req, conn) => {
        this.transfers.release(req.objectIds, conn);
        return { ok: true as const };
      },
    });
  }

  async put(objectId: string, data: Buffer): Promise<void> {
    const at = await this.store.create(objectId, data.length, "owner", this);
    this.arena.write(at.offset, data);
    this.store.seal(objectId);
  }

  async read(objectId: string): Promise<Buffer> {
    const at = await this.store.get(objectId, "reader");
    assert.ok(at !== undefined, `${objectId} is on node ${this.id}`);
    const bytes = Buffer.from(this.arena.sharedBytes(at.offset, at.size));
    this.store.release(objectId, "reader");
    return bytes;
  }
}

const opened: ArenaStore[] = [];
afterEach(async () => {
  for (const s of opened.splice(0)) await s.close();
});

/** Nodes by id; each pull reads `lanes` chunks at a time. */
async function cluster(ids: string[], lanes = 2): Promise<Map<string, Node>> {
  const nodes = new Map<string, Node>();
  for (const id of ids) {
    const arenaPath = path.join(dir, `${id}-${Math.random().toString(36).slice(2)}`);
    const capacity = 4 * SIZE + CHUNK;
    const store = await ArenaStore.open({ path: arenaPath, capacity, spillDir: `${arenaPath}-spill`, fullTimeoutMs: 5000, spillWaitMs: 100, spillChunkBytes: CHUNK, pressureIntervalMs: 1000 });
    opened.push(store);
    nodes.set(id, new Node(id, store, openArena(arenaPath, capacity), nodes, lanes));
  }
  return nodes;
}

const node = (nodes: Map<string, Node>, id: string): Node => nodes.get(id) as Node;

/** The serving node breaks: its connection drops before it answers. */
function gone(connection: RpcConnection<ServiceDef>): never {
  connection.close(true);
  throw new Error("the node is gone");
}

test("a pull whose source breaks mid-transfer resumes from the next source, which sends only the missing chunks", async () => {
  // One chunk at a time: a chunk a served is one c received (none is lost on the way when a breaks).
  const nodes = await cluster(["a", "b", "c"], 1);
  const data = pattern(1);
  await node(nodes, "a").put("x", data);
  await node(nodes, "b").put("x", data);
  let servedByA = 0;
  node(nodes, "a").beforeChunk = (_from, _offset, connection) => {
    if (++servedByA >= 4) gone(connection); // the 4th read finds the node gone
  };
  await node(nodes, "c").pulls.pull("x", ["a", "b"], "owner", "get");
  assert.ok((await node(nodes, "c").read("x")).equals(data), "the object arrived intact");
  const fromA = node(nodes, "a").served.map((s) => s.offset);
  const fromB = node(nodes, "b").served.map((s) => s.offset);
  assert.equal(fromA.length, 3, "a served three chunks before it broke");
  assert.equal(new Set([...fromA, ...fromB]).size, CHUNKS, "every chunk was read");
  assert.equal(fromA.length + fromB.length, CHUNKS, "b sent no chunk a had already sent");
  assert.deepEqual(node(nodes, "c").pulls.stats(), { pulls: 1, bytes: SIZE, fromRelays: 0 });
});

test("no source left: the pull fails with ObjectLostError naming the nodes it tried, and leaves no partial copy", async () => {
  const nodes = await cluster(["a", "c"]);
  await node(nodes, "a").put("x", pattern(2));
  node(nodes, "a").beforeChunk = (_from, offset, connection) => {
    if (offset > 0) gone(connection);
  };
  await assert.rejects(node(nodes, "c").pulls.pull("x", ["a", "gone"], "owner", "get"), (e: Error) => e.name === "ObjectLostError" && /tried nodes a, gone/.test(String((e.cause as Error).message)));
  assert.equal(node(nodes, "c").store.has("x"), false);
});

/** Node r pulls x from s with its reads held until `release()`; resolves once r holds its (empty) copy. */
async function relayPulling(nodes: Map<string, Node>, data: Buffer): Promise<{ release: () => void; done: Promise<void> }> {
  await node(nodes, "s").put("x", data);
  let release: () => void = () => undefined;
  const held = new Promise<void>((resolve) => (release = resolve));
  node(nodes, "s").beforeChunk = (from) => (from === "r" ? held : undefined);
  const done = node(nodes, "r").pulls.pull("x", ["s"], "owner", "arg");
  while ((node(nodes, "r").pulls.running("x")?.byteSize ?? -1) < 0) await new Promise((r) => setImmediate(r));
  return { release, done };
}

test("a source offers the node already pulling the object as a relay: it serves its chunks as they arrive", async () => {
  const nodes = await cluster(["s", "r", "b"]);
  const data = pattern(3);
  const r = await relayPulling(nodes, data);
  const b = node(nodes, "b").pulls.pull("x", ["s"], "owner", "get");
  // b waits on r's chunks, which wait on s.
  while (node(nodes, "r").served.length === 0 && node(nodes, "s").served.every((s) => s.from === "r")) await new Promise((res) => setImmediate(res));
  r.release();
  await Promise.all([r.done, b]);
  assert.ok((await node(nodes, "r").read("x")).equals(data));
  assert.ok((await node(nodes, "b").read("x")).equals(data));
  assert.equal(node(nodes, "s").served.filter((s) => s.from === "b").length, 0, "s sent nothing to b");
  assert.equal(node(nodes, "r").served.filter((s) => s.from === "b").length, CHUNKS, "r relayed every chunk to b");
  assert.equal(node(nodes, "b").pulls.stats().fromRelays, 1);
  assert.equal(node(nodes, "r").transfers.sent, SIZE);
});

test("a relay that breaks mid-transfer leaves its reader to the source, which sends what is still missing", async () => {
  const nodes = await cluster(["s", "r", "b"], 1);
  const data = pattern(4);
  const r = await relayPulling(nodes, data);
  node(nodes, "r").beforeChunk = (_from, _offset, connection) => {
    if (node(nodes, "r").served.length >= 2) gone(connection);
  };
  r.release();
  await node(nodes, "b").pulls.pull("x", ["s"], "owner", "get");
  await r.done;
  assert.ok((await node(nodes, "b").read("x")).equals(data));
  const fromRelay = node(nodes, "r").served.filter((s) => s.from === "b").length;
  const fromSource = node(nodes, "s").served.filter((s) => s.from === "b").length;
  assert.equal(fromRelay, 2);
  assert.equal(fromRelay + fromSource, CHUNKS);
});

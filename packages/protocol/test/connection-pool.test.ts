/**
 * ConnectionPool over in-memory transports: `dial` hands out one end of a
 * memoryTransportPair and serves the other with acceptRpc, as a listening peer would.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  ConnectFailedError,
  ConnectionClosedError,
  ConnectionPool,
  FakeClock,
  acceptRpc,
  defineService,
  empty,
  memoryTransportPair,
  returns,
  rpc,
  serve,
  type Dial,
  type ServiceOf,
  type RpcConnection,
  type ServiceDef,
} from "../src/index.js";

const Service = defineService({ whoami: rpc(empty, returns<{ address: string; connection: number }>()) });
type Service = ServiceOf<typeof Service>;

const TOKEN = "t";
const MAX_FRAME = 1 << 20;

/** Peers by address; each dial opens a new connection to the peer there, or fails if there is none. */
class MemoryPeers {
  readonly dialed: string[] = [];
  readonly up = new Set<string>();
  private readonly accepted = new Map<string, RpcConnection<ServiceDef, Service>[]>();
  readonly clock = new FakeClock();

  readonly dial: Dial = (address) => {
    this.dialed.push(address);
    if (!this.up.has(address)) return Promise.reject(new ConnectFailedError({ address, reason: "nothing listens there" }));
    const [client, server] = memoryTransportPair();
    const list = this.accepted.get(address) ?? [];
    this.accepted.set(address, list);
    const connection = list.length + 1;
    list.push(acceptRpc<Service>(server, { token: TOKEN, maxFrameBytes: MAX_FRAME, connectTimeoutMs: 10_000, callTimeoutMs: 10_000, handlers: serve(Service, { whoami: () => ({ address, connection }) }), clock: this.clock }));
    return Promise.resolve(client);
  };

  /** The peer at `address` drops every connection to it. */
  dropAll(address: string): void {
    for (const c of this.accepted.get(address) ?? []) c.close(true);
  }

  pool(address?: (key: string) => Promise<string>): ConnectionPool<Service> {
    return new ConnectionPool<Service>({ token: TOKEN, maxFrameBytes: MAX_FRAME, connectTimeoutMs: 10_000, callTimeoutMs: 10_000, dial: this.dial, clock: this.clock, ...(address ? { address } : {}) });
  }
}

const closedOf = (c: RpcConnection<Service>): Promise<void> => new Promise((resolve) => c.onClose(() => resolve()));

test("callers share one connection per peer; different peers get their own", async () => {
  const peers = new MemoryPeers();
  peers.up.add("a:1").add("b:1");
  const pool = peers.pool();
  const [c1, c2] = await Promise.all([pool.get("a:1"), pool.get("a:1")]);
  assert.equal(c1, c2);
  assert.equal(await pool.get("a:1"), c1, "and later callers too");
  const b = await pool.get("b:1");
  assert.notEqual(b, c1);
  assert.deepEqual(await b.call("whoami", {}), { address: "b:1", connection: 1 });
  assert.deepEqual(peers.dialed, ["a:1", "b:1"]);
  pool.close();
});

test("a connection that closes is forgotten: the next get opens a new one", async () => {
  const peers = new MemoryPeers();
  peers.up.add("a:1");
  const pool = peers.pool();
  const first = await pool.get("a:1");
  const closed = closedOf(first);
  peers.dropAll("a:1");
  await closed;
  const second = await pool.get("a:1");
  assert.notEqual(second, first);
  assert.deepEqual(await second.call("whoami", {}), { address: "a:1", connection: 2 });
  pool.close();
});

test("a failed dial is not cached: the next get dials again", async () => {
  const peers = new MemoryPeers();
  const pool = peers.pool();
  await assert.rejects(pool.get("a:1"), ConnectFailedError);
  assert.equal(await pool.ifOpen("a:1"), undefined, "nothing kept of the failure");
  peers.up.add("a:1");
  const c = await pool.get("a:1");
  assert.equal(c.state, "open");
  assert.deepEqual(peers.dialed, ["a:1", "a:1"]);
  pool.close();
});

test("ifOpen returns the open connection and never dials", async () => {
  const peers = new MemoryPeers();
  peers.up.add("a:1");
  const pool = peers.pool();
  assert.equal(await pool.ifOpen("a:1"), undefined);
  assert.deepEqual(peers.dialed, [], "no dial for ifOpen");
  const c = await pool.get("a:1");
  assert.equal(await pool.ifOpen("a:1"), c);
  pool.close();
});

test("forget closes the peer's connection; the next get opens a new one", async () => {
  const peers = new MemoryPeers();
  peers.up.add("a:1");
  const pool = peers.pool();
  const first = await pool.get("a:1");
  const closed = closedOf(first);
  pool.forget("a:1");
  await closed;
  assert.equal(await pool.ifOpen("a:1"), undefined);
  const second = await pool.get("a:1");
  assert.notEqual(second, first);
  pool.forget("never-seen"); // no effect
  pool.close();
});

test("close closes every connection, one still opening too, and refuses later gets", async () => {
  const peers = new MemoryPeers();
  peers.up.add("a:1").add("b:1");
  const pool = peers.pool();
  const a = await pool.get("a:1");
  const opening = pool.get("b:1");
  const aClosed = closedOf(a);
  pool.close();
  await aClosed;
  const b = await opening;
  await closedOf(b);
  assert.equal(b.state, "closed");
  await assert.rejects(pool.get("a:1"), (e: unknown) => e instanceof ConnectionClosedError && e.peer === "a:1");
});

test("keys resolved to addresses: one connection per key, and a failed lookup is not cached", async () => {
  const peers = new MemoryPeers();
  peers.up.add("10.0.0.2:7000");
  const nodes = new Map<string, string>();
  let lookups = 0;
  const pool = peers.pool((nodeId) => {
    lookups++;
    const address = nodes.get(nodeId);
    return address === undefined ? Promise.reject(new Error(`node ${nodeId} is unknown`)) : Promise.resolve(address);
  });
  await assert.rejects(pool.get("node-2"), /node node-2 is unknown/);
  nodes.set("node-2", "10.0.0.2:7000");
  const c = await pool.get("node-2");
  assert.equal(await pool.get("node-2"), c);
  assert.deepEqual(await c.call("whoami", {}), { address: "10.0.0.2:7000", connection: 1 });
  assert.equal(lookups, 2, "looked up again after the failure, then not again while connected");
  assert.deepEqual(peers.dialed, ["10.0.0.2:7000"]);
  pool.close();
});

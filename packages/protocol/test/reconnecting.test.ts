import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  ConnectionClosedError,
  FakeClock,
  ReconnectingConnection,
  RpcConnection,
  defineService,
  empty,
  memoryTransportPair,
  num,
  obj,
  returns,
  rpc,
  serve,
  str,
  type ServiceOf,
} from "../src/index.js";

const EchoService = defineService({
  echo: rpc(obj({ n: num }), returns<{ n: number; server: number }>()),
  /** Replies only when the test says so. */
  slow: rpc(empty, returns<{ server: number }>()),
  register: rpc(obj({ id: str }), returns<{ ok: true }>()),
});
type EchoService = ServiceOf<typeof EchoService>;

const TOKEN = "t";
const flush = async (): Promise<void> => {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
};

/** Advances the fake clock, letting connects, handshakes and hooks (promise callbacks) run after each timer. */
const advance = async (clock: FakeClock, ms: number): Promise<void> => {
  await clock.advanceAsync(ms);
  await flush();
};

/** A fake server that can be taken down and brought back; each incarnation has a number. */
class FakeServer {
  up = true;
  incarnation = 1;
  registrations: string[] = [];
  refuseRegistration = false;
  private slowReplies: (() => void)[] = [];
  private connections: RpcConnection<never, EchoService>[] = [];

  async connect(): Promise<RpcConnection<EchoService>> {
    if (!this.up) throw new Error("connect ECONNREFUSED");
    const [a, b] = memoryTransportPair();
    const server = this.incarnation;
    const conn = new RpcConnection<never, EchoService>(b, {
      maxFrameBytes: 1 << 20,
      callTimeoutMs: 10_000,
      handlers: serve(EchoService, {
        echo: (req) => ({ n: req.n, server }),
        slow: () => new Promise((resolve) => this.slowReplies.push(() => resolve({ server }))),
        register: (req) => {
          if (this.refuseRegistration) throw new Error("node is dead");
          this.registrations.push(`${req.id}@${server}`);
          return { ok: true };
        },
      }),
    });
    this.connections.push(conn);
    void conn.serverHandshake(TOKEN, 1000).catch(() => undefined);
    const client = new RpcConnection<EchoService>(a, { maxFrameBytes: 1 << 20, callTimeoutMs: 10_000 });
    await client.clientHandshake(TOKEN, 1000);
    return client;
  }

  crash(): void {
    this.up = false;
    this.slowReplies = [];
    for (const c of this.connections.splice(0)) c.close(true);
  }

  restart(): void {
    this.up = true;
    this.incarnation += 1;
  }

  replySlow(): void {
    for (const r of this.slowReplies.splice(0)) r();
  }
}

async function open(server: FakeServer, clock: FakeClock, windowMs = 10_000) {
  const conn = await ReconnectingConnection.open<EchoService, never>({
    connect: () => server.connect(),
    windowMs,
    initialDelayMs: 100,
    maxDelayMs: 1000,
    clock,
  });
  conn.onReconnect(async (c) => {
    await c.call("register", { id: "node-1" });
  });
  return conn;
}

describe("ReconnectingConnection", () => {
  test("calls wait while the server is down and go through after it re-registers", async () => {
    const server = new FakeServer();
    const clock = new FakeClock();
    const conn = await open(server, clock);
    assert.deepEqual(await conn.call("echo", { n: 1 }), { n: 1, server: 1 });
    const inFlight = conn.call("slow", {});
    await flush();
    server.crash();
    await flush();
    assert.equal(conn.state, "reconnecting");
    const waiting = conn.call("echo", { n: 2 });
    let settled = false;
    void waiting.then(() => (settled = true), () => (settled = true));
    await advance(clock, 3000);
    assert.equal(settled, false, "a call waits while the server is down");
    server.restart();
    await advance(clock, 1000);
    assert.equal(conn.state, "open");
    assert.deepEqual(server.registrations, ["node-1@2"], "the hook re-registered on the new server first");
    assert.deepEqual(await waiting, { n: 2, server: 2 });
    server.replySlow();
    assert.deepEqual(await inFlight, { server: 2 }, "the call in flight was sent again");
    conn.close();
  });

  test("gives up after the window: close listeners run and calls reject", async () => {
    const server = new FakeServer();
    const clock = new FakeClock();
    const conn = await open(server, clock, 5000);
    const closed: (Error | undefined)[] = [];
    conn.onClose((e) => closed.push(e));
    server.crash();
    await flush();
    const waiting = conn.call("echo", { n: 1 });
    const rejected = assert.rejects(waiting, ConnectionClosedError);
    await advance(clock, 4000);
    assert.equal(closed.length, 0);
    await advance(clock, 2000);
    await rejected;
    assert.equal(conn.state, "closed");
    assert.equal(closed.length, 1);
    assert.match(String(closed[0]?.message), /did not come back within 5000 ms/);
    await assert.rejects(conn.call("echo", { n: 3 }), ConnectionClosedError);
  });

  test("a hook refused by the server makes it give up at once", async () => {
    const server = new FakeServer();
    const clock = new FakeClock();
    const conn = await open(server, clock);
    const closed: (Error | undefined)[] = [];
    conn.onClose((e) => closed.push(e));
    server.crash();
    server.restart();
    server.refuseRegistration = true;
    await advance(clock, 200);
    assert.equal(conn.state, "closed");
    assert.match(String(closed[0]?.message), /node is dead/);
  });

  test("close() while reconnecting stops the attempts and fails waiting calls", async () => {
    const server = new FakeServer();
    const clock = new FakeClock();
    const conn = await open(server, clock);
    server.crash();
    await flush();
    const waiting = assert.rejects(conn.call("echo", { n: 1 }), ConnectionClosedError);
    conn.close();
    await waiting;
    server.restart();
    await advance(clock, 5000);
    assert.equal(conn.state, "closed");
    assert.deepEqual(server.registrations, []);
  });
});

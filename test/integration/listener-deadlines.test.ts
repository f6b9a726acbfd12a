/**
 * Issue 17 point 6, on every RPC listener of a real cluster: the control service, a raylet,
 * a worker (its TCP port and its Unix socket) and a driver each drop a peer that does not
 * complete its handshake within rpcHandshakeTimeoutMs (here 1 s: the cluster's, which the
 * driver takes from its control service), whether it sends nothing or half a hello,
 * and a peer whose first frame is over the 4 KiB allowed before the handshake at once; each
 * still serves an authenticated peer afterwards.
 */
import assert from "node:assert/strict";
import * as net from "node:net";
import { after, before, describe, test } from "node:test";
import * as lux from "lux";
import { LocalCluster } from "lux/testing";
import { rpcPeerOptions } from "@lux/common";
import { HANDSHAKE_MAX_FRAME_BYTES, connectRpc, type GcsService, type ServiceDef } from "@lux/protocol";
import { FuzzTarget } from "../fuzz/fuzz-actor.js";

const HANDSHAKE_TIMEOUT_MS = 1000;
/** The deadline runs from the server's accept, which on a loaded machine lags the connect. */
const SLACK_MS = 4000;

function open(address: string): net.Socket {
  const socket = address.startsWith("/") ? net.connect({ path: address }) : net.connect({ host: address.slice(0, address.lastIndexOf(":")), port: Number(address.slice(address.lastIndexOf(":") + 1)) });
  socket.on("error", () => undefined);
  return socket;
}

/** Milliseconds from connecting until the server closed the connection, after writing `bytes` once connected. */
function lifetime(address: string, bytes: Buffer): Promise<number> {
  const socket = open(address);
  return new Promise((resolve) => {
    let connectedAt = Date.now();
    socket.once("connect", () => {
      connectedAt = Date.now();
      if (bytes.length > 0) socket.write(bytes);
    });
    socket.once("close", () => resolve(Date.now() - connectedAt));
    setTimeout(() => socket.destroy(), 30_000).unref();
  });
}

describe("every RPC listener drops peers that do not complete their handshake", () => {
  let cluster: LocalCluster;
  const listeners: { name: string; address: string }[] = [];

  before(async () => {
    cluster = await LocalCluster.start({ head: { numCpus: 1 }, config: { rpcHandshakeTimeoutMs: HANDSHAKE_TIMEOUT_MS } });
    await lux.init({ address: cluster.address, namespace: "deadlines" });
    const actor = FuzzTarget.options({ name: "deadline-target", numCpus: 0 }).remote();
    assert.equal(await lux.get(actor.ping.remote()), "pong");
    const gcs = await connectRpc<GcsService>(cluster.address, rpcPeerOptions(cluster.token));
    const info = await gcs.call("getNamedActor", { name: "deadline-target", namespace: "deadlines" });
    gcs.close();
    const driver = (await lux.state.listWorkers({ filters: [["type", "=", "DRIVER"]] })).items[0]?.address;
    assert.ok(info.address !== undefined && info.socketPath !== undefined && driver !== null && driver !== undefined, JSON.stringify({ info, driver }));
    listeners.push(
      { name: "control service", address: cluster.address },
      { name: "raylet", address: (cluster.nodes[0] as { address: string }).address },
      { name: "worker (TCP)", address: info.address },
      { name: "worker (Unix socket)", address: info.socketPath },
      { name: "driver", address: driver },
    );
  });

  after(async () => {
    await lux.shutdown();
    await cluster.shutdown();
  });

  test("silent peers and half hellos are dropped at the deadline, oversized first frames at once; each listener then serves a real client", async () => {
    const halfHello = Buffer.from([0, 0, 0, 80, 0x83, 0xa5]);
    const oversized = Buffer.alloc(4);
    oversized.writeUInt32BE(HANDSHAKE_MAX_FRAME_BYTES + 1);
    for (const { name, address } of listeners) {
      const [silent, half, big] = await Promise.all([lifetime(address, Buffer.alloc(0)), lifetime(address, halfHello), lifetime(address, oversized)]);
      for (const [what, ms] of [["silent", silent], ["half a hello", half]] as const) {
        assert.ok(ms >= HANDSHAKE_TIMEOUT_MS - 50 && ms <= HANDSHAKE_TIMEOUT_MS + SLACK_MS, `${name}: a ${what} peer lived ${ms} ms (deadline ${HANDSHAKE_TIMEOUT_MS} ms)`);
      }
      assert.ok(big < HANDSHAKE_TIMEOUT_MS, `${name}: a peer announcing ${HANDSHAKE_MAX_FRAME_BYTES + 1} bytes lived ${big} ms`);
      const client = await connectRpc<ServiceDef>(address, rpcPeerOptions(cluster.token));
      assert.equal(client.state, "open", name);
      client.close();
    }
  });
});

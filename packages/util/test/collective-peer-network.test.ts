/**
 * lux.util.collective's links between processes, on real loopback sockets (each "process" has
 * its own peer server and links; a map stands in for the KV store): ranks of one node send
 * through shared-memory slots, ranks of different nodes in socket frames; a peer with a wrong
 * cluster token never gets a message through; a rank whose links close is lost to the others.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { CollectiveError } from "@lux/core";
import type { ClusterPeer } from "@lux/core/internal";
import { RpcServer, connectRpc, systemClock, type PeerOptions, type ServiceDef } from "@lux/protocol";
import { CollectiveGroup } from "../src/collective/group.js";
import { peerHandlers, type Member } from "../src/collective/peer-handlers.js";
import { PeerNetwork } from "../src/collective/peer-network.js";
import type { CollectivePeerService } from "../src/collective/peer-service.js";
import { Rendezvous, type KvStore } from "../src/collective/rendezvous.js";
import { sharedMemoryAvailable } from "../src/collective/slot-file.js";

const CLUSTER_TOKEN = "cluster-token";

function mapKv(): KvStore {
  const map = new Map<string, string>();
  return {
    put: async (key, value) => {
      const added = !map.has(key);
      map.set(key, value);
      return added;
    },
    get: async (key) => (map.has(key) ? new TextEncoder().encode(map.get(key)) : undefined),
    del: async (key) => map.delete(key),
    keys: async (prefix) => [...map.keys()].filter((k) => k.startsWith(prefix)),
  };
}

function peerOf(nodeId: string, token: string): ClusterPeer {
  const options: PeerOptions = { token, maxFrameBytes: 64 * 1024 * 1024, connectTimeoutMs: 2000, callTimeoutMs: 5000 };
  return {
    identity: {},
    nodeId,
    workerId: `worker-${nodeId}`,
    host: "127.0.0.1",
    connectTimeoutMs: 2000,
    listen: async (handlers) => RpcServer.listen({ ...options, address: "127.0.0.1:0", handlers }),
    connect: (address, timeoutMs, handlers, dial) =>
      connectRpc(address, { ...options, connectTimeoutMs: timeoutMs, ...(handlers !== undefined ? { handlers } : {}), ...(dial?.bulkReads === true ? { bulkReads: true } : {}) }),
    onClose: () => undefined,
  };
}

interface Process {
  member: Member;
  server: RpcServer<CollectivePeerService>;
}

const servers: RpcServer<ServiceDef>[] = [];
const networks: PeerNetwork[] = [];

/** A "process" of rank `rank` on `nodeId`, published at the rendezvous `kv`. */
async function join(kv: KvStore, nodeIds: string[], rank: number, options: { token?: string; shm?: boolean } = {}): Promise<Process> {
  const name = "g";
  const peer = peerOf(nodeIds[rank] as string, options.token ?? CLUSTER_TOKEN);
  let member: Member | undefined;
  const server = await peer.listen(peerHandlers((group) => (group === name ? member : undefined)));
  servers.push(server as unknown as RpcServer<ServiceDef>);
  const group = new CollectiveGroup({ name, rank, worldSize: nodeIds.length, clock: systemClock, chunkBytes: 64 * 1024 });
  const network = new PeerNetwork({
    group,
    peer,
    rendezvous: new Rendezvous(kv, name, nodeIds.length, systemClock, undefined),
    declaration: undefined,
    clock: systemClock,
    address: server.address,
    shm: options.shm === false || !sharedMemoryAvailable() ? undefined : { slots: 4, slotBytes: 64 * 1024 },
  });
  networks.push(network);
  group.connect(network);
  member = { group, network };
  await network.publish();
  return { member, server };
}

after(async () => {
  for (const n of networks) await n.close();
  for (const s of servers) await s.close();
});

describe("collective links", () => {
  it("allreduce over three processes: within a node through shared memory, across nodes over sockets", async () => {
    const kv = mapKv();
    const nodeIds = ["n1", "n1", "n2"];
    const ps = await Promise.all(nodeIds.map((_, r) => join(kv, nodeIds, r)));
    const n = 300_001; // ~1.2 MB: many 64 KiB messages
    const arrays = ps.map((_, r) => Float32Array.from({ length: n }, (_, i) => (i % 1000) + r));
    await Promise.all(ps.map((p, r) => p.member.group.allreduce(arrays[r] as Float32Array, "SUM", 20_000)));
    for (const a of arrays) {
      assert.equal(a[0], 3);
      assert.equal(a[n - 1], 3 * ((n - 1) % 1000) + 3);
    }
    const [p0, p1, p2] = ps as [Process, Process, Process];
    if (sharedMemoryAvailable()) {
      assert.ok(p0.member.network.sent.shm > 10 && p1.member.network.sent.shm > 10, "ranks 0 and 1 (one node) exchanged through shared memory");
    }
    assert.ok(p2.member.network.sent.socket > 10, "rank 2 (another node) sent over its sockets");
    assert.equal(p2.member.network.sent.shm, 0, "rank 2 has no peer on its node");
    // The same data without shared memory gives the same result.
    const kv2 = mapKv();
    const plain = await Promise.all(nodeIds.map((_, r) => join(kv2, nodeIds, r, { shm: false })));
    const again = plain.map((_, r) => Float32Array.from({ length: n }, (_, i) => (i % 1000) + r));
    await Promise.all(plain.map((p, r) => p.member.group.allreduce(again[r] as Float32Array, "SUM", 20_000)));
    assert.deepEqual(again[0], arrays[0]);
    assert.ok(plain.every((p) => p.member.network.sent.shm === 0));
  });

  it("a rank with the wrong cluster token never reaches the others: their operation times out naming it", async () => {
    const kv = mapKv();
    const nodeIds = ["n1", "n2"];
    const good = await join(kv, nodeIds, 0);
    const bad = await join(kv, nodeIds, 1, { token: "wrong-token" });
    const [a, b] = await Promise.allSettled([good.member.group.barrier(1500), bad.member.group.barrier(1500)]);
    for (const r of [a, b]) assert.ok(r.status === "rejected" && r.reason instanceof CollectiveError, String(r.status === "rejected" ? r.reason : r.value));
    assert.match(String((a as PromiseRejectedResult).reason.message), /did not complete within timeoutMs 1500 ms.*rank 1 could not be reached .*wrong or missing cluster token/);
  });

  it("a rank whose links close (its process ended) is lost to the others at once", async () => {
    const kv = mapKv();
    const nodeIds = ["n1", "n1", "n2"];
    const ps = await Promise.all(nodeIds.map((_, r) => join(kv, nodeIds, r)));
    await Promise.all(ps.map((p) => p.member.group.barrier(5000)));
    const started = Date.now();
    const waiting = ps
      .slice(0, 2)
      .map((p) => assert.rejects(p.member.group.allreduce(new Float64Array(10), "SUM", 60_000), (e: unknown) => e instanceof CollectiveError && /rank 2 left the group|rank \d gave up/.test((e as Error).message)));
    await (ps[2] as Process).member.group.destroy();
    await (ps[2] as Process).server.close();
    await Promise.all(waiting);
    assert.ok(Date.now() - started < 10_000, "well before the 60 s timeout");
  });
});

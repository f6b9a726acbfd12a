/**
 * This process's memberships in collective groups, by group name, and the server its peers
 * connect to (one per process, opened with the first membership, on the node's address).
 * Everything here belongs to the process's core worker: lux.shutdown() ends it, and after a
 * new lux.init() a new one starts.
 */
import { CollectiveError, getRuntimeContext, type ActorHandle } from "@lux/core";
import { actorIdOf, clusterPeer, kvDel, kvGet, kvKeys, kvPut, type ClusterPeer } from "@lux/core/internal";
import { systemClock, type RpcServer } from "@lux/protocol";
import { randomUUID } from "node:crypto";
import { CollectiveGroup } from "./group.js";
import { peerHandlers, type Member } from "./peer-handlers.js";
import { PeerNetwork } from "./peer-network.js";
import type { CollectivePeerService } from "./peer-service.js";
import { Rendezvous, declare, readDeclaration, removeGroup, type KvStore } from "./rendezvous.js";
import { sharedMemoryAvailable } from "./slot-file.js";

/**
 * Most bytes of one message between ranks. Each message costs a notice and a free (shared
 * memory) or a frame, and turns of both event loops: 64 MiB allreduced on one node by 2 ranks
 * took ~10-12 ms of CPU per rank in 4 MiB messages, ~13-22 ms in 1 MiB ones (loaded machine);
 * across nodes the size made no difference measured.
 */
const CHUNK_BYTES = 4 * 1024 * 1024;
/** Shared-memory slots of each rank that sends to ranks of its node (4 × 4 MiB: 16 MiB of /dev/shm, touched as used). */
const SHM_SLOTS = 4;

const kv: KvStore = {
  put: (key, value) => kvPut(key, value),
  get: (key) => kvGet(key),
  del: (key) => kvDel(key),
  keys: (prefix) => kvKeys(prefix),
};

export class Memberships {
  /** Joins under way or done, by group name. */
  private readonly joining = new Map<string, Promise<Member>>();
  /** Joined, by group name: what inbound connections are routed to. */
  private readonly members = new Map<string, Member>();
  private server: Promise<RpcServer<CollectivePeerService>> | undefined;
  private closed = false;

  constructor(readonly peer: ClusterPeer) {
    peer.onClose(() => this.close());
  }

  /** This process's membership of `name`: joined already, or joined now from the group's declaration (createCollectiveGroup). */
  member(name: string, operation: string): Promise<Member> {
    let member = this.joining.get(name);
    if (member === undefined) {
      member = this.joinDeclared(name, operation);
      this.joining.set(name, member);
      member.catch(() => this.joining.delete(name));
    }
    return member;
  }

  /** Joins `name` as `rank` of `worldSize` (initCollectiveGroup). */
  init(name: string, rank: number, worldSize: number): Promise<Member> {
    if (this.joining.has(name)) {
      const reason = "this process is in a group of that name already: destroyCollectiveGroup() it first";
      return Promise.reject(new CollectiveError({ groupName: name, operation: "initCollectiveGroup", reason }));
    }
    const member = this.join(name, rank, worldSize, undefined);
    this.joining.set(name, member);
    member.catch(() => this.joining.delete(name));
    return member;
  }

  /** Declares a group of `actors` (rank = index) for them to join at their first operation. */
  async declare(name: string, actors: readonly ActorHandle<unknown>[]): Promise<void> {
    const actorIds = actors.map((a) => actorIdOf(a) as string);
    if (!(await declare(kv, name, { id: randomUUID(), actorIds }))) {
      const reason = "a group of that name is declared already: destroyCollectiveGroup() it first, or choose another groupName";
      throw new CollectiveError({ groupName: name, operation: "createCollectiveGroup", reason });
    }
  }

  /** Leaves `name` here; a process that is not a member removes the group's records (its declaration). */
  async destroy(name: string): Promise<void> {
    const member = await this.joining.get(name)?.catch(() => undefined);
    this.joining.delete(name);
    if (member === undefined) {
      await removeGroup(kv, name);
      return;
    }
    this.members.delete(name);
    await member.group.destroy();
    await member.network.unpublish();
  }

  /** The membership `name` with a rank for this process, if it is joined (no lazy join). */
  joined(name: string): Member | undefined {
    return this.members.get(name);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const members = [...this.members.values()];
    this.members.clear();
    this.joining.clear();
    await Promise.all(members.map((m) => m.group.destroy()));
    await (await this.server?.catch(() => undefined))?.close();
  }

  private async joinDeclared(name: string, operation: string): Promise<Member> {
    const declaration = await readDeclaration(kv, name);
    const fail = (reason: string): never => {
      throw new CollectiveError({ groupName: name, operation, reason });
    };
    if (declaration === undefined) {
      return fail("this process is in no group of that name: call initCollectiveGroup({ worldSize, rank, groupName }) in each member, or createCollectiveGroup(actors, { groupName }) from the driver first");
    }
    const actorId = getRuntimeContext().actorId;
    const rank = actorId === undefined ? -1 : declaration.actorIds.indexOf(actorId);
    if (rank < 0) return fail(`this process is not one of the ${declaration.actorIds.length} actors the group was created with`);
    return this.join(name, rank, declaration.actorIds.length, declaration.id);
  }

  private async join(name: string, rank: number, worldSize: number, declaration: string | undefined): Promise<Member> {
    const address = (await this.listen()).address;
    const group = new CollectiveGroup({ name, rank, worldSize, clock: systemClock, chunkBytes: CHUNK_BYTES });
    const rendezvous = new Rendezvous(kv, name, worldSize, systemClock, declaration);
    const network = new PeerNetwork({
      group,
      peer: this.peer,
      rendezvous,
      declaration,
      clock: systemClock,
      shm: sharedMemoryAvailable() ? { slots: SHM_SLOTS, slotBytes: CHUNK_BYTES } : undefined,
      address,
    });
    group.connect(network);
    // Routed to before it is published: a peer that reads the address may connect at once.
    this.members.set(name, { group, network });
    await network.publish();
    return { group, network };
  }

  private listen(): Promise<RpcServer<CollectivePeerService>> {
    this.server ??= this.peer.listen(peerHandlers((name) => this.joined(name)));
    return this.server;
  }
}

let current: Memberships | undefined;

/** This process's memberships; NotInitializedError (naming `operation`) before lux.init(). */
export function memberships(operation: string): Memberships {
  const peer = clusterPeer(operation);
  if (current?.peer.identity !== peer.identity) current = new Memberships(peer);
  return current;
}

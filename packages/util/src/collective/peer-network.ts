/**
 * A group's links to its peers in other processes. To send to a rank, this rank finds its
 * address at the rendezvous, connects (the cluster's handshake: version and token) and says
 * hello; once answered, the connection carries the link's own frames (peer-link.ts) instead
 * of RPC. Between ranks of one node the hello offers this rank's shared-memory slots, and the
 * data then goes through them (slot-file.ts), else in the frames. A link that closes, or a
 * peer's link to us that closes, means that rank is gone: the group's operations with it fail.
 */
import { CollectiveError } from "@lux/core";
import type { ClusterPeer } from "@lux/core/internal";
import { describeError, type Clock, type RpcConnection, type ServiceDef } from "@lux/protocol";
import type { CollectiveGroup } from "./group.js";
import type { OpName } from "./mailbox.js";
import type { Network } from "./network.js";
import { OutboundLink, inboundLink } from "./peer-link.js";
import type { CollectivePeerService } from "./peer-service.js";
import type { Rendezvous } from "./rendezvous.js";
import { SlotFile, SlotReader, type SlotFileInfo } from "./slot-file.js";

type Hello = Parameters<CollectivePeerService["hello"]>[0];
/** A connection a peer opened to us, as the server sees it. */
export type InboundConnection = RpcConnection<ServiceDef, CollectivePeerService>;

export interface PeerNetworkOptions {
  group: CollectiveGroup;
  peer: ClusterPeer;
  rendezvous: Rendezvous;
  /** The declaration the group was made from (createCollectiveGroup), if any. */
  declaration: string | undefined;
  clock: Clock;
  /** Where this process's peer server listens. */
  address: string;
  /** Shared-memory slots for peers of this node (undefined: sockets only). */
  shm: { slots: number; slotBytes: number } | undefined;
}

const FIRST_RETRY_MS = 10;
const MAX_RETRY_MS = 250;

export class PeerNetwork implements Network {
  private readonly links = new Map<number, Promise<OutboundLink>>();
  private readonly open = new Map<number, OutboundLink>();
  private readonly inbound = new Set<InboundConnection>();
  private slotFile: Promise<SlotFile | undefined> | undefined;
  /** Why each rank could not be reached, the last time it was tried. */
  private readonly problems = new Map<number, string>();
  private closed = false;
  /** Messages sent, by the way they went (tests check which way data takes). */
  readonly sent = { shm: 0, socket: 0 };

  constructor(private readonly options: PeerNetworkOptions) {}

  get declaration(): string | undefined {
    return this.options.declaration;
  }

  /** Tells the other ranks where this one listens. */
  async publish(): Promise<void> {
    const { group, peer, address, declaration } = this.options;
    await this.options.rendezvous.publish(group.rank, {
      address,
      nodeId: peer.nodeId,
      worldSize: group.worldSize,
      pid: process.pid,
      ...(declaration !== undefined ? { declaration } : {}),
    });
  }

  /** Withdraws what publish() published (the group is destroyed here). */
  unpublish(): Promise<void> {
    return this.options.rendezvous.unpublish(this.options.group.rank, this.options.address);
  }

  async nodeIds(cancelled: () => boolean): Promise<readonly string[]> {
    return (await this.options.rendezvous.all(cancelled)).map((e) => e.nodeId);
  }

  describeWaits(): string[] {
    const { rendezvous, group } = this.options;
    const waits: string[] = [];
    for (let r = 0; r < group.worldSize; r++) {
      if (r === group.rank) continue;
      const problem = this.problems.get(r);
      if (problem !== undefined) waits.push(`rank ${r} could not be reached (${problem})`);
      else if (!rendezvous.has(r) && !this.open.has(r)) waits.push(`rank ${r} has not joined`);
    }
    return waits;
  }

  async send(to: number, op: OpName, step: string, bytes: Uint8Array, deadline: number, cancelled: () => boolean): Promise<void> {
    const link = await this.link(to, deadline, cancelled);
    if (link.closed) throw this.error(`rank ${to} left the group: its connection closed`);
    const slots = link.slots;
    if (slots === undefined) {
      this.sent.socket++;
      return link.data(op, step, bytes);
    }
    this.sent.shm++;
    const slot = await slots.acquire();
    if (cancelled() || link.closed) {
      slots.release(slot);
      if (link.closed) throw this.error(`rank ${to} left the group: its connection closed`);
      return;
    }
    try {
      await slots.write(slot, bytes);
    } catch (e) {
      slots.release(slot);
      throw e;
    }
    link.shm(op, step, slot, bytes.byteLength);
  }

  abort(to: number, op: OpName, reason: string): void {
    this.open.get(to)?.abort(op, reason);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const link of this.open.values()) link.conn.close();
    for (const conn of this.inbound) conn.close();
    await (await this.slotFile?.catch(() => undefined))?.close();
  }

  /** A peer said hello on `conn`: once answered, its frames go to this group. */
  async accept(conn: InboundConnection, hello: Hello): Promise<{ shm: boolean }> {
    if (this.closed) throw this.error("the group was destroyed in that process");
    const reader = hello.shm !== undefined ? await SlotReader.open(hello.shm) : undefined;
    if (this.closed) {
      void reader?.close();
      throw this.error("the group was destroyed in that process");
    }
    const { group } = this.options;
    this.inbound.add(conn);
    conn.onClose(() => {
      this.inbound.delete(conn);
      void reader?.close();
      if (!this.closed) group.peerLost(hello.from, "its connection closed (its process ended, or it destroyed the group)");
    });
    // The peer writes nothing more until it has the answer, which goes out right after this.
    inboundLink(conn, reader, {
      deliver: (op, step, payload) => group.deliver(hello.from, op, step, payload),
      abort: (op, reason) => group.abort(hello.from, op, reason),
    });
    return { shm: reader !== undefined };
  }

  private link(to: number, deadline: number, cancelled: () => boolean): Promise<OutboundLink> {
    let link = this.links.get(to);
    if (link === undefined) {
      link = this.connect(to, deadline, cancelled);
      this.links.set(to, link);
      link.catch(() => this.links.delete(to));
    }
    return link;
  }

  /** Connects to `to` and says hello, trying again (a fresh look at the rendezvous) until it works or the operation ends. */
  private async connect(to: number, deadline: number, cancelled: () => boolean): Promise<OutboundLink> {
    const { rendezvous, clock } = this.options;
    for (let wait = FIRST_RETRY_MS; ; wait = Math.min(MAX_RETRY_MS, wait * 2)) {
      if (this.closed) throw this.error("the group was destroyed in this process");
      const entry = await rendezvous.entry(to, cancelled);
      try {
        const link = await this.hello(to, entry.address, entry.nodeId, deadline);
        this.problems.delete(to);
        return link;
      } catch (e) {
        this.problems.set(to, `at ${entry.address}: ${e instanceof CollectiveError ? String(e.reason) : describeError(e)}`);
        rendezvous.forget(to);
        if (cancelled() || clock.now() >= deadline) throw e;
        await new Promise<void>((resolve) => clock.setTimeout(resolve, wait));
      }
    }
  }

  private async hello(to: number, address: string, nodeId: string, deadline: number): Promise<OutboundLink> {
    const { peer, group, clock } = this.options;
    const left = (): number => Math.max(1, Math.min(peer.connectTimeoutMs, deadline - clock.now()));
    const conn = await peer.connect<CollectivePeerService, ServiceDef>(address, left());
    try {
      const slots = nodeId === peer.nodeId ? await this.slots() : undefined;
      const hello: Hello = {
        group: group.name,
        from: group.rank,
        to,
        worldSize: group.worldSize,
        ...(this.options.declaration !== undefined ? { declaration: this.options.declaration } : {}),
        ...(slots !== undefined ? { shm: slots.info satisfies SlotFileInfo } : {}),
      };
      const reply = await conn.call("hello", hello, left());
      if (this.closed) throw this.error("the group was destroyed in this process");
      // The peer detached its end before answering, and writes nothing until we do.
      const link = new OutboundLink(conn, reply.shm ? slots : undefined);
      this.open.set(to, link);
      conn.onClose(() => {
        if (!this.closed) group.peerLost(to, "its connection closed (its process ended, or it destroyed the group)");
      });
      return link;
    } catch (e) {
      conn.close(true);
      throw e;
    }
  }

  /** This rank's shared-memory slots (made once, at the first peer of its node); undefined if unavailable. */
  private slots(): Promise<SlotFile | undefined> {
    const shm = this.options.shm;
    if (shm === undefined) return Promise.resolve(undefined);
    this.slotFile ??= SlotFile.create(shm.slots, shm.slotBytes).catch(() => undefined);
    return this.slotFile;
  }

  private error(reason: string): InstanceType<typeof CollectiveError> {
    const { group } = this.options;
    return new CollectiveError({ groupName: group.name, operation: "connect", rank: group.rank, reason });
  }
}

/**
 * A group's links to its peers in other processes. Each link carries data one way, and the
 * rank that receives on it dials it: it reads its socket through one reused buffer (node:net's
 * onread), where a socket it had accepted would read into a fresh buffer per 64 KiB, each
 * page of which faults in (on this project's VMs that costs more than the bytes' copy). So a
 * rank that wants to send to another dials that rank (a link to receive on) and says hello;
 * the other then dials back (the link to send on) if it has not already. The dialler finds
 * the address at the rendezvous, connects (the cluster's handshake: version and token) and
 * says hello; once answered, the connection carries the link's own frames (peer-link.ts)
 * instead of RPC. A rank of the same node maps the sender's shared-memory slots (published
 * at the rendezvous) before its hello, and the data then goes through them (slot-file.ts),
 * else in the frames. A link that closes means that rank is gone: the group's operations
 * with it fail.
 */
import { CollectiveError } from "@lux/core";
import type { ClusterPeer } from "@lux/core/internal";
import { describeError, type Clock, type RpcConnection, type ServiceDef } from "@lux/protocol";
import type { CollectiveGroup } from "./group.js";
import type { OpName } from "./mailbox.js";
import type { Network } from "./network.js";
import { OutboundLink, inboundLink } from "./peer-link.js";
import type { CollectivePeerService } from "./peer-service.js";
import type { Rendezvous, RankEntry } from "./rendezvous.js";
import { SlotFile, SlotReader } from "./slot-file.js";

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
/** How long a rank keeps trying to dial back a rank that dialled it (it is up: it just did). */
const DIAL_BACK_MS = 60_000;

interface Awaited {
  readonly promise: Promise<OutboundLink>;
  readonly resolve: (link: OutboundLink) => void;
  readonly reject: (error: Error) => void;
}

export class PeerNetwork implements Network {
  /** This rank's dials to each rank (the links it receives on), under way or done. */
  private readonly dials = new Map<number, Promise<void>>();
  /** The links to send on (each rank's dial to this one), once their receiver is ready. */
  private readonly open = new Map<number, OutboundLink>();
  /** Senders waiting for a rank to dial. */
  private readonly awaiting = new Map<number, Awaited>();
  /** Every link's connection (closed with the group). */
  private readonly connections = new Set<RpcConnection<ServiceDef, ServiceDef>>();
  private slotFile: SlotFile | undefined;
  /** Why each rank could not be reached, the last time it was tried. */
  private readonly problems = new Map<number, string>();
  private closed = false;
  /** Messages sent, by the way they went (tests check which way data takes). */
  readonly sent = { shm: 0, socket: 0 };

  constructor(private readonly options: PeerNetworkOptions) {}

  get declaration(): string | undefined {
    return this.options.declaration;
  }

  /** Makes this rank's shared-memory slots (if it uses them) and tells the other ranks where it listens. */
  async publish(): Promise<void> {
    const { group, peer, address, declaration, shm } = this.options;
    if (shm !== undefined && this.slotFile === undefined) this.slotFile = await SlotFile.create(shm.slots, shm.slotBytes).catch(() => undefined);
    await this.options.rendezvous.publish(group.rank, {
      address,
      nodeId: peer.nodeId,
      worldSize: group.worldSize,
      pid: process.pid,
      ...(declaration !== undefined ? { declaration } : {}),
      ...(this.slotFile !== undefined ? { shm: this.slotFile.info } : {}),
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
      else if (this.awaiting.has(r)) waits.push(`rank ${r} has not connected back`);
    }
    return waits;
  }

  async send(to: number, op: OpName, step: string, bytes: Uint8Array, deadline: number, cancelled: () => boolean): Promise<void> {
    const link = this.open.get(to) ?? (await this.outbound(to, deadline, cancelled));
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
    for (const conn of this.connections) conn.close();
    for (const waiter of this.awaiting.values()) waiter.reject(this.error("the group was destroyed in this process"));
    this.awaiting.clear();
    await this.slotFile?.close();
  }

  /**
   * Rank `hello.from` dialled `conn` to receive from this rank: once it says it is ready, this
   * rank sends to it there (through the slots it mapped, if it did). Dials it back (to receive
   * from it) if not done yet.
   */
  accept(conn: InboundConnection, hello: Hello): { ok: true } {
    if (this.closed) throw this.error("the group was destroyed in that process");
    const slots = hello.shm === true ? this.slotFile : undefined;
    if (hello.shm === true && slots === undefined) throw this.error("that rank has no shared-memory slots to map");
    const { group, clock } = this.options;
    const from = hello.from;
    // Detached before the answer goes out; the peer writes nothing until it has it, and this
    // end nothing until the peer's ready frame.
    const link = new OutboundLink(conn, slots);
    this.track(conn, from);
    link.ready.then(
      () => {
        if (this.closed || link.closed) return;
        this.open.set(from, link);
        this.awaiting.get(from)?.resolve(link);
        this.awaiting.delete(from);
      },
      () => undefined,
    );
    void this.dial(from, clock.now() + DIAL_BACK_MS, () => this.closed || group.isDestroyed).catch(() => undefined);
    return { ok: true };
  }

  /** The link to send to `to` on, once `to` dialled this rank (which it does when this rank dials it). */
  private outbound(to: number, deadline: number, cancelled: () => boolean): Promise<OutboundLink> {
    if (this.closed) return Promise.reject(this.error("the group was destroyed in this process"));
    let waiter = this.awaiting.get(to);
    if (waiter === undefined) {
      let resolve: (link: OutboundLink) => void = () => undefined;
      let reject: (error: Error) => void = () => undefined;
      const promise = new Promise<OutboundLink>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      promise.catch(() => undefined); // senders race it with their operation's failure
      waiter = { promise, resolve, reject };
      this.awaiting.set(to, waiter);
    }
    // A dial that fails is noted (describeWaits); the sender waits until its operation ends.
    this.dial(to, deadline, cancelled).catch(() => undefined);
    return waiter.promise;
  }

  /** This rank's link to receive from `to`: dialled once (again after a failure). */
  private dial(to: number, deadline: number, cancelled: () => boolean): Promise<void> {
    let dial = this.dials.get(to);
    if (dial === undefined) {
      dial = this.connect(to, deadline, cancelled);
      this.dials.set(to, dial);
      dial.catch(() => this.dials.delete(to));
    }
    return dial;
  }

  /** Dials `to` and says hello, trying again (a fresh look at the rendezvous) until it works, `deadline` or `cancelled()`. */
  private async connect(to: number, deadline: number, cancelled: () => boolean): Promise<void> {
    const { rendezvous, clock } = this.options;
    for (let wait = FIRST_RETRY_MS; ; wait = Math.min(MAX_RETRY_MS, wait * 2)) {
      if (this.closed) throw this.error("the group was destroyed in this process");
      const entry = await rendezvous.entry(to, () => cancelled() || this.closed);
      try {
        await this.hello(to, entry, deadline);
        this.problems.delete(to);
        return;
      } catch (e) {
        this.problems.set(to, `at ${entry.address}: ${e instanceof CollectiveError ? String(e.reason) : describeError(e)}`);
        rendezvous.forget(to);
        if (cancelled() || clock.now() >= deadline) throw e;
        await new Promise<void>((resolve) => clock.setTimeout(resolve, wait));
      }
    }
  }

  private async hello(to: number, entry: RankEntry, deadline: number): Promise<void> {
    const { peer, group, clock } = this.options;
    const left = (): number => Math.max(1, Math.min(peer.connectTimeoutMs, deadline - clock.now()));
    const shm = this.options.shm !== undefined && entry.nodeId === peer.nodeId && entry.shm !== undefined;
    const reader = shm ? await SlotReader.open(entry.shm as NonNullable<RankEntry["shm"]>) : undefined;
    let conn: RpcConnection<CollectivePeerService, ServiceDef> | undefined;
    try {
      conn = await peer.connect<CollectivePeerService, ServiceDef>(entry.address, left(), undefined, { bulkReads: true });
      const hello: Hello = {
        group: group.name,
        from: group.rank,
        to,
        worldSize: group.worldSize,
        ...(this.options.declaration !== undefined ? { declaration: this.options.declaration } : {}),
        ...(reader !== undefined ? { shm: true } : {}),
      };
      await conn.call("hello", hello, left());
      if (this.closed) throw this.error("the group was destroyed in this process");
      // The peer detached its end before answering, and writes nothing until our ready frame.
      this.track(conn, to, reader);
      inboundLink(conn, reader, {
        deliver: (op, step, payload) => group.deliver(to, op, step, payload),
        abort: (op, reason) => group.abort(to, op, reason),
      });
    } catch (e) {
      conn?.close(true);
      await reader?.close();
      throw e;
    }
  }

  /** `conn` is a link with `rank`: closed with the group; when it closes, `rank` is gone. */
  private track(conn: RpcConnection<ServiceDef, ServiceDef> | InboundConnection, rank: number, reader?: SlotReader): void {
    const c = conn as RpcConnection<ServiceDef, ServiceDef>;
    this.connections.add(c);
    c.onClose(() => {
      this.connections.delete(c);
      void reader?.close();
      if (!this.closed) this.options.group.peerLost(rank, "its connection closed (its process ended, or it destroyed the group)");
    });
  }

  private error(reason: string): InstanceType<typeof CollectiveError> {
    const { group } = this.options;
    return new CollectiveError({ groupName: group.name, operation: "connect", rank: group.rank, reason });
  }
}

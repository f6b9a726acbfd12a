import type { BytesReply, RawSink, RayletService, RpcConnection } from "@lux/protocol";
import { LuxError, ObjectLostError, createLogger } from "@lux/common";
import type { AesGcm, ArenaClient, ArenaStore } from "@lux/object-store";
import type { BulkClient } from "./bulk-channel.js";

const log = createLogger("raylet");

export type PullPriority = "get" | "arg";
export type RayletPeer = RpcConnection<RayletService>;

/** What one pull works with: the node's store and arena, other raylets, the manager's budget. */
export interface PullContext {
  nodeId: string;
  store: ArenaStore;
  /** This node's arena, mapped shared: chunks are written straight into it. */
  arena: ArenaClient;
  /** The raylet of another node (a cached connection); rejects when the node is gone or unknown. */
  peer(nodeId: string): Promise<RayletPeer>;
  /** The connection to `nodeId` failed: forget it (and its address). */
  forget(nodeId: string): void;
  /** The chunk channel of a connection to another raylet (TLS clusters: bulk-channel.ts), else undefined. */
  channel(peer: RayletPeer): Promise<BulkClient | undefined>;
  chunkBytes: number;
  chunksPerPull: number;
  /** Deadline of reading one chunk from a source (config objectTransferChunkTimeoutMs); past it the next source is tried. */
  chunkTimeoutMs: number;
  /** Waits until `bytes` more may be in flight over all pulls (waiting gets go before task arguments). */
  acquire(pull: ObjectPull, bytes: number): Promise<void>;
  releaseSlot(bytes: number): void;
  /** A pull brought `bytes` here (some from a relay). */
  pulled(bytes: number, fromRelay: boolean): void;
}

/** A source the pull opened (openTransfer): the object is pinned there for this node until released. */
interface Link {
  nodeId: string;
  peer: RayletPeer;
  size: number;
  /** Another node pulling the object from this source, offered as a closer one. */
  relay: string | undefined;
  /** This node is such a relay. */
  isRelay: boolean;
}

/** A read of another node waiting for chunks of this copy: [first, last] by chunk index. */
interface RangeWaiter {
  first: number;
  last: number;
  resolve(): void;
  reject(error: Error): void;
}

const MISSING = 0;
const CLAIMED = 1;
const WRITTEN = 2;

const short = (nodeId: string): string => nodeId.slice(0, 8);

/**
 * One object being made local: opened on a source (pinned there), created in this node's
 * store, filled chunk by chunk (a few in flight, within the manager's budget), sealed.
 * A source that fails is replaced by the next one, which sends only the chunks still
 * missing. The first source may name a relay (another node pulling the same object from it
 * right now): chunks are then read from the relay, with that source kept as the fallback.
 * Meanwhile this copy serves other nodes' reads of the chunks already written (`serve`), so
 * concurrent pulls of one object form a chain instead of all reading one node.
 */
export class ObjectPull {
  priority: PullPriority;
  /** Settles once the object is sealed here; rejects (ObjectLostError, or the store's error) otherwise. */
  readonly done: Promise<void>;
  private size = -1;
  private localOffset = -1;
  /** Where the local copy's never-written store pages begin (see ArenaStore.touchedEnd). */
  private freshFrom = Infinity;
  /** This pull, as the creating client of the local copy. */
  private readonly creator = {};
  /** Per chunk: MISSING, CLAIMED (being read) or WRITTEN. */
  private chunks = new Uint8Array(0);
  private chunksLeft = 0;
  private waiters: RangeWaiter[] = [];
  /** Connections of other nodes that opened this copy while it is pulled. */
  private readonly readers = new Set<unknown>();
  private state: "pulling" | "sealed" | "failed" = "pulling";
  private failure: Error | undefined;
  private readonly tried: string[] = [];
  private lastError: unknown;
  /** A relay sent chunks of this pull. */
  private relayed = false;

  constructor(
    readonly objectId: string,
    priority: PullPriority,
    private readonly sources: readonly string[],
    private readonly ownerAddress: string,
    private readonly ctx: PullContext,
  ) {
    this.priority = priority;
    this.done = this.run();
  }

  /** The object's size, once the local copy exists (-1 before). */
  get byteSize(): number {
    return this.size;
  }

  get sealed(): boolean {
    return this.state === "sealed";
  }

  /** Lets `connection` (another node's raylet) read this copy while it is pulled; false once it is not. */
  addReader(connection: unknown): boolean {
    if (this.state !== "pulling" || this.size < 0) return false;
    this.readers.add(connection);
    return true;
  }

  hasReader(connection: unknown): boolean {
    return this.readers.has(connection);
  }

  dropReader(connection: unknown): void {
    this.readers.delete(connection);
  }

  /**
   * Bytes `[offset, offset + length)` of this copy for a reader, once they are written: sent
   * from where they lie, the copy pinned until they were. Undefined if the pull sealed
   * meanwhile (the reader's pin moved to the sealed object: the store serves it).
   */
  async serve(offset: number, length: number): Promise<BytesReply | undefined> {
    if (offset < 0 || length < 0 || offset + length > this.size) {
      throw new RangeError(`range ${offset}+${length} is outside object ${this.objectId} of ${this.size} bytes`);
    }
    await this.whenWritten(offset, length);
    if (this.state === "sealed") return undefined;
    const { store, arena } = this.ctx;
    const sending = {};
    if (!store.pinCreating(this.objectId, this.creator, sending)) throw new LuxError(`the copy of ${this.objectId} being pulled here is gone`);
    return { data: arena.sharedBytes(this.localOffset + offset, length), sent: () => store.release(this.objectId, sending) };
  }

  private async run(): Promise<void> {
    const links = new Map<string, Link>();
    try {
      await this.fill(links);
      this.seal();
    } catch (e) {
      this.fail(e as Error);
      throw e;
    } finally {
      for (const link of links.values()) this.unlink(link);
    }
  }

  /** Reads every chunk, source after source (each sends what is still missing); follows one relay. */
  private async fill(links: Map<string, Link>): Promise<void> {
    const queue = [...new Set(this.sources)].filter((n) => n !== this.ctx.nodeId && n !== "");
    /** The relay followed (at most one per pull). */
    let followed: string | undefined;
    while (this.size < 0 || this.chunksLeft > 0) {
      const nodeId = queue.shift();
      if (nodeId === undefined) throw this.lost();
      let link = links.get(nodeId);
      if (link === undefined) {
        link = await this.tryOpen(nodeId, nodeId === followed);
        if (link === undefined) continue;
        links.set(nodeId, link);
        if (this.size < 0) await this.createLocal(link.size);
        const relay = link.relay;
        if (followed === undefined && relay !== undefined && relay !== this.ctx.nodeId && !links.has(relay)) {
          followed = relay;
          queue.unshift(relay, nodeId); // the relay first; this source again if it fails
          continue;
        }
      }
      if (!(await this.tryCopy(link))) {
        links.delete(nodeId);
        this.unlink(link);
      }
    }
  }

  /** Opens the object on `nodeId` (pinned there for us); undefined if that node cannot serve it. */
  private async tryOpen(nodeId: string, isRelay: boolean): Promise<Link | undefined> {
    if (!this.tried.includes(short(nodeId))) this.tried.push(short(nodeId));
    let peer: RayletPeer;
    try {
      peer = await this.ctx.peer(nodeId);
    } catch (e) {
      this.ctx.forget(nodeId);
      this.sourceFailed(nodeId, e);
      return undefined;
    }
    try {
      const { size, relay } = await peer.call("openTransfer", { objectId: this.objectId, puller: this.ctx.nodeId });
      if (size < 0) throw new LuxError(`node ${short(nodeId)} does not hold the object`);
      const link = { nodeId, peer, size, relay, isRelay };
      if (this.size >= 0 && size !== this.size) {
        this.unlink(link);
        throw new LuxError(`node ${short(nodeId)} holds ${size} bytes of the object, not ${this.size}`);
      }
      return link;
    } catch (e) {
      if (peer.state === "closed") this.ctx.forget(nodeId);
      this.sourceFailed(nodeId, e);
      return undefined;
    }
  }

  /** Reads the missing chunks from `link`; false if it failed (the chunks it did not send stay missing). */
  private async tryCopy(link: Link): Promise<boolean> {
    try {
      await this.copyFrom(link);
      return true;
    } catch (e) {
      if (this.freedHere()) throw e; // no other source can help
      if (link.peer.state === "closed") this.ctx.forget(link.nodeId);
      this.sourceFailed(link.nodeId, e);
      return false;
    }
  }

  private sourceFailed(nodeId: string, e: unknown): void {
    this.lastError = e;
    log.warn(`pulling ${this.objectId} from node ${short(nodeId)} failed: ${(e as Error).message}`);
  }

  private async createLocal(size: number): Promise<void> {
    const { store, chunkBytes } = this.ctx;
    const touched = store.touchedEnd;
    const local = await store.create(this.objectId, size, this.ownerAddress, this.creator);
    store.markSecondary(this.objectId);
    this.localOffset = local.offset;
    this.freshFrom = Math.max(local.offset, touched);
    this.size = size;
    this.chunks = new Uint8Array(Math.ceil(size / chunkBytes));
    this.chunksLeft = this.chunks.length;
  }

  /** Reads the missing chunks from `link`, a few at a time, writing each as it arrives. */
  private async copyFrom(link: Link): Promise<void> {
    let failed = false;
    const lane = async (): Promise<void> => {
      while (!failed) {
        const i = this.claim();
        if (i < 0) return;
        try {
          await this.copyChunk(link, i);
          if (link.isRelay) this.relayed = true;
        } catch (e) {
          failed = true;
          throw e;
        }
      }
    };
    const lanes = Math.max(1, Math.min(this.ctx.chunksPerPull, this.chunksLeft));
    const results = await Promise.allSettled(Array.from({ length: lanes }, lane));
    const rejected = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (rejected !== undefined) throw rejected.reason;
  }

  /** Reads chunk `i` (claimed) from `link` into the local copy; it is missing again if that fails. */
  private async copyChunk(link: Link, i: number): Promise<void> {
    const { chunkBytes, chunkTimeoutMs } = this.ctx;
    const at = i * chunkBytes;
    const length = Math.min(chunkBytes, this.size - at);
    await this.ctx.acquire(this, length);
    try {
      const channel = await this.ctx.channel(link.peer);
      if (channel !== undefined) {
        // Decrypted into place as it arrives; written (readable) only once its tag verified.
        await channel.read(this.objectId, at, length, this.decrypter(at), chunkTimeoutMs);
      } else {
        const writer = this.writer(at, length);
        await link.peer.callInto("readObjectChunk", { objectId: this.objectId, offset: at, length }, writer.sink, chunkTimeoutMs);
        if (writer.written() !== length) throw new LuxError(`chunk at ${at} has ${writer.written()} bytes, expected ${length}`);
      }
      this.chunkWritten(i);
    } finally {
      if (this.chunks[i] === CLAIMED) this.chunks[i] = MISSING;
      this.ctx.releaseSlot(length);
    }
  }

  /** Writes the bytes of the chunk at `at` into the local copy as they arrive. */
  private writer(at: number, length: number): { sink: RawSink; written(): number } {
    const { store, arena } = this.ctx;
    let written = 0;
    const sink: RawSink = (buffer, start, end) => {
      // The owner may free the object mid-pull: its region is then no longer ours to write.
      if (!store.isCreating(this.objectId, this.creator)) throw new LuxError("the object was freed while it was being pulled");
      if (written + end - start > length) throw new LuxError(`chunk at ${at} has more than ${length} bytes`);
      const to = this.localOffset + at + written;
      // Split where the store's never-written pages begin (a chunk straddles it at most once).
      const warm = Math.max(0, Math.min(end - start, this.freshFrom - to));
      if (warm > 0) arena.writeReceived(to, buffer.subarray(start, start + warm));
      if (warm < end - start) arena.writeReceived(to + warm, buffer.subarray(start + warm, end), true);
      written += end - start;
    };
    return { sink, written: () => written };
  }

  /** Decrypts the pieces of the chunk at `at` (bytes `at`… of the object) into the local copy as they arrive. */
  private decrypter(at: number): (piece: Uint8Array, from: number, gcm: AesGcm) => void {
    const { store, arena } = this.ctx;
    return (piece, from, gcm) => {
      // The owner may free the object mid-pull: its region is then no longer ours to write.
      if (!store.isCreating(this.objectId, this.creator)) throw new LuxError("the object was freed while it was being pulled");
      const to = this.localOffset + at + from;
      const warm = Math.max(0, Math.min(piece.length, this.freshFrom - to));
      if (warm > 0) arena.writeDecrypted(to, piece.subarray(0, warm), gcm);
      if (warm < piece.length) arena.writeDecrypted(to + warm, piece.subarray(warm), gcm, true);
    };
  }

  /** The next chunk no one is reading, claimed; -1 if none. */
  private claim(): number {
    const i = this.chunks.indexOf(MISSING);
    if (i >= 0) this.chunks[i] = CLAIMED;
    return i;
  }

  private chunkWritten(i: number): void {
    this.chunks[i] = WRITTEN;
    this.chunksLeft--;
    if (this.waiters.length === 0) return;
    this.waiters = this.waiters.filter((w) => {
      if (!this.rangeWritten(w.first, w.last)) return true;
      w.resolve();
      return false;
    });
  }

  private rangeWritten(first: number, last: number): boolean {
    for (let i = first; i <= last; i++) if (this.chunks[i] !== WRITTEN) return false;
    return true;
  }

  private whenWritten(offset: number, length: number): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (length === 0 || this.state === "sealed") return Promise.resolve();
    const first = Math.floor(offset / this.ctx.chunkBytes);
    const last = Math.floor((offset + length - 1) / this.ctx.chunkBytes);
    if (this.rangeWritten(first, last)) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ first, last, resolve, reject }));
  }

  private freedHere(): boolean {
    return this.localOffset >= 0 && !this.ctx.store.isCreating(this.objectId, this.creator);
  }

  private seal(): void {
    const { store } = this.ctx;
    if (!store.isCreating(this.objectId, this.creator)) throw new LuxError("the object was freed while it was being pulled");
    store.seal(this.objectId);
    this.state = "sealed";
    // Readers of the copy while it was pulled hold it from now on as any reader of a sealed object.
    for (const reader of this.readers) store.get(this.objectId, reader).then(undefined, () => undefined);
    this.readers.clear();
    this.ctx.pulled(this.size, this.relayed);
  }

  private fail(error: Error): void {
    this.state = "failed";
    this.failure = new LuxError(`the pull of ${this.objectId} here failed: ${error.message}`, { cause: error });
    for (const w of this.waiters.splice(0)) w.reject(this.failure);
    this.readers.clear();
    this.ctx.store.clientGone(this.creator); // drops the partial copy (once chunks being sent from it are out)
  }

  /** Lets the source unpin the object (its pin also ends with our connection). */
  private unlink(link: Link): void {
    link.peer.notify("releaseObjects", { objectIds: [this.objectId] });
  }

  private lost(): ObjectLostError {
    const why = this.tried.length === 0 ? "no other node holds a copy" : `no copy could be read (tried nodes ${this.tried.join(", ")})`;
    return new ObjectLostError({
      objectId: this.objectId,
      cause: new Error(why, this.lastError === undefined ? undefined : { cause: this.lastError }),
    });
  }
}

import * as fs from "node:fs";
import { systemClock, type Clock } from "@lux/protocol";
import { LuxError, ObjectStoreFullError } from "@lux/common";
import { Allocator, alignUp } from "./allocator.js";
import { RoomMaker } from "./room-maker.js";
import { SpaceWaiters } from "./space-waiters.js";
import { Spiller } from "./spiller.js";
import { WarmRanges } from "./warm-ranges.js";

/** Where an object's bytes are in the arena. */
export interface StoreLocation {
  offset: number;
  size: number;
}

type EntryState = "created" | "sealed" | "spilling" | "spilled" | "restoring";

/** The object table's entry for one object. */
export interface Entry {
  objectId: string;
  owner: string;
  size: number;
  offset: number;
  state: EntryState;
  /** Readers holding views, by client; the object cannot move or be freed while pinned. */
  pins: Map<unknown, number>;
  pinCount: number;
  /** The owner freed it while readers still had views: free once they release. */
  freed: boolean;
  creator: unknown;
  lastUsed: number;
  /** Its spill file: while spilled, and after a restore (kept until it is dropped or the disk is needed). */
  spillPath: string | undefined;
  /** Settles when a spill or restore under way ends. */
  moving: Promise<void> | undefined;
  /** Readers that asked before the creator sealed it. */
  sealWaiters: (() => void)[];
  /** A copy pulled from another node: under pressure it is dropped, not spilled. */
  secondary: boolean;
}

export interface ArenaStoreOptions {
  /** The arena file (in /dev/shm for the shared-memory store). */
  path: string;
  capacity: number;
  spillDir: string;
  /** How long creates may wait while the store makes no room (no create served, no spill ended) before ObjectStoreFullError. */
  fullTimeoutMs: number;
  /** How long createSoon may wait for spilling to make room (config objectStoreSpillWaitMs). */
  spillWaitMs: number;
  /** Size of each read and write that moves an object to or from its spill file (config spillChunkBytes). */
  spillChunkBytes: number;
  /** While creates wait for space, how often processes are asked to collect garbage (config objectStorePressureIntervalMs). */
  pressureIntervalMs: number;
  /** Asked to make processes collect garbage: dropped refs then free their objects. */
  onPressure?: () => void;
  /** Times waits for space and the pressure rounds (default: the system clock). */
  clock?: Clock;
}

/**
 * The node's object store: a fixed-size arena file every process of the node maps,
 * with the allocator and object table kept here (in the raylet). Objects are created,
 * written by their creator, sealed (immutable after), read in place, and freed when
 * their owner says so and no reader holds a view. When full, unpinned objects are
 * spilled to disk and restored on access.
 */
export class ArenaStore {
  private readonly allocator: Allocator;
  private readonly entries = new Map<string, Entry>();
  /** Creates waiting for space. */
  private readonly space: SpaceWaiters;
  private fd: fs.promises.FileHandle | undefined;
  private readonly spiller: Spiller;
  private readonly room: RoomMaker;
  /**
   * Where each client (a connection: an object) created objects, its writes having touched
   * those pages: its next objects go there first. Weak: a client need not say it is gone.
   */
  private readonly warm = new WeakMap<object, WarmRanges>();

  private constructor(private readonly options: ArenaStoreOptions) {
    this.allocator = new Allocator(options.capacity);
    this.space = new SpaceWaiters({
      allocator: this.allocator,
      clock: options.clock ?? systemClock,
      fullTimeoutMs: options.fullTimeoutMs,
      pressureIntervalMs: options.pressureIntervalMs,
      onPressure: options.onPressure,
      makeRoom: () => this.room.make(),
      fullError: (objectId, size, why) => this.fullError(objectId, size, why),
    });
    this.spiller = new Spiller({
      spillDir: options.spillDir,
      chunkBytes: options.spillChunkBytes,
      allocator: this.allocator,
      arena: () => this.handle(),
      region: (objectId, size) => {
        const offset = this.space.count === 0 ? this.allocator.allocate(size) : -1;
        return offset >= 0 ? offset : this.space.reserve(objectId, size, undefined);
      },
    });
    this.room = new RoomMaker({
      entries: this.entries,
      allocator: this.allocator,
      space: this.space,
      spiller: this.spiller,
      spillDir: options.spillDir,
      capacity: options.capacity,
      drop: (e) => this.drop(e),
    });
  }

  get path(): string {
    return this.options.path;
  }

  get capacity(): number {
    return this.options.capacity;
  }

  /** Where the arena's never-written part begins (see Allocator.touchedEnd). */
  get touchedEnd(): number {
    return this.allocator.touchedEnd;
  }

  static async open(options: ArenaStoreOptions): Promise<ArenaStore> {
    const store = new ArenaStore(options);
    const fh = await fs.promises.open(options.path, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o600);
    await fh.truncate(options.capacity);
    store.fd = fh;
    await fs.promises.mkdir(options.spillDir, { recursive: true, mode: 0o700 });
    return store;
  }

  /**
   * For a caller that blocks a thread on the answer (a synchronous put): creates now if
   * there is room, or once spilling makes it if no other create waits and enough can be
   * spilled, for at most spillWaitMs. Otherwise undefined at once: the caller then stages
   * its value and creates with `create`. Room that needs frees (garbage collection in the
   * caller's own process, perhaps) is never waited for here.
   */
  async createSoon(objectId: string, size: number, owner: string, client: unknown): Promise<StoreLocation | undefined> {
    this.checkNew(objectId, size);
    if (this.space.count > 0) {
      this.room.make();
      return undefined;
    }
    const now = this.allocator.allocate(size, this.warmOf(client));
    if (now >= 0) return this.add(objectId, size, owner, client, now);
    if (!this.room.canSpillFor(size)) return undefined;
    const offset = await this.space.reserveBriefly(objectId, size, client, this.options.spillWaitMs);
    return offset < 0 ? undefined : this.addReserved(objectId, size, owner, client, offset);
  }

  /** Creates, waiting (without blocking other requests) for space to be freed or spilled. */
  async create(objectId: string, size: number, owner: string, client: unknown): Promise<StoreLocation> {
    this.checkNew(objectId, size);
    // Creates that wait go first: a new one may not jump ahead of them.
    const now = this.space.count === 0 ? this.allocator.allocate(size, this.warmOf(client)) : -1;
    if (now >= 0) return this.add(objectId, size, owner, client, now);
    const offset = await this.space.reserve(objectId, size, client);
    return this.addReserved(objectId, size, owner, client, offset);
  }

  seal(objectId: string): void {
    const e = this.entries.get(objectId);
    if (e === undefined || e.state !== "created") throw new LuxError(`object ${objectId} is not being created`);
    e.state = "sealed";
    for (const w of e.sealWaiters.splice(0)) w();
    if (this.space.count > 0) this.room.make(); // it may be spilled now
  }

  /** Pins the object for `client` and returns where it is (restoring it from disk if spilled). */
  async get(objectId: string, client: unknown): Promise<StoreLocation | undefined> {
    for (;;) {
      const e = this.entries.get(objectId);
      if (e === undefined || e.freed) return undefined;
      if (e.moving !== undefined) {
        // A move that fails leaves the object where it was: look again either way.
        await e.moving.catch(() => undefined);
        continue;
      }
      if (e.state === "created") {
        // Being written by its creator: readers wait for the seal (or the creator's end).
        await new Promise<void>((resolve) => e.sealWaiters.push(resolve));
        continue;
      }
      if (e.state === "spilled") {
        await this.spiller.restore(e);
        if (e.freed && e.pinCount === 0) this.drop(e);
        continue;
      }
      e.pins.set(client, (e.pins.get(client) ?? 0) + 1);
      e.pinCount++;
      e.lastUsed = Date.now();
      return { offset: e.offset, size: e.size };
    }
  }

  has(objectId: string): boolean {
    return this.entries.has(objectId);
  }

  /** Whether `client` created the object and has not sealed it yet (its region is still its to write). */
  isCreating(objectId: string, client: unknown): boolean {
    const e = this.entries.get(objectId);
    return e !== undefined && e.state === "created" && e.creator === client && !e.freed;
  }

  /** Marks a copy of an object whose primary lives on another node: evicted first, never spilled. */
  markSecondary(objectId: string): void {
    const e = this.entries.get(objectId);
    if (e !== undefined) e.secondary = true;
  }

  /**
   * Marks the copy here as the object's primary (moved from a node being drained): under
   * pressure it is spilled, never dropped.
   */
  markPrimary(objectId: string): void {
    const e = this.entries.get(objectId);
    if (e !== undefined) e.secondary = false;
  }

  /** The primary copies this store holds, written (sealed or spilled) and not freed, with their owners. */
  primaries(): { objectId: string; owner: string }[] {
    const out: { objectId: string; owner: string }[] = [];
    for (const e of this.entries.values()) if (!e.secondary && !e.freed && e.state !== "created") out.push({ objectId: e.objectId, owner: e.owner });
    return out;
  }

  /** Bytes `[offset, offset + length)` of a sealed object the caller has pinned (with get). */
  async read(objectId: string, offset: number, length: number): Promise<Buffer> {
    const e = this.pinnedEntry(objectId, offset, length, undefined);
    const buf = Buffer.allocUnsafe(length);
    const { bytesRead } = await this.handle().read(buf, 0, length, e.offset + offset);
    if (bytesRead !== length) throw new LuxError(`short read of object ${objectId}: ${bytesRead} of ${length} bytes`);
    return buf;
  }

  /**
   * Where bytes `[offset, offset + length)` of a sealed object pinned by `client` lie in the
   * arena (they stay there until the client releases it).
   */
  pinnedRange(objectId: string, offset: number, length: number, client: unknown): number {
    return this.pinnedEntry(objectId, offset, length, client).offset + offset;
  }

  /** A sealed object pinned by `client` (by anyone: undefined) that has `[offset, offset + length)`. */
  private pinnedEntry(objectId: string, offset: number, length: number, client: unknown): Entry {
    const e = this.entries.get(objectId);
    if (e === undefined || e.state !== "sealed" || e.offset < 0 || (client === undefined ? e.pinCount === 0 : !e.pins.has(client))) {
      throw new LuxError(`object ${objectId} is not pinned in this node's store`);
    }
    if (offset < 0 || length < 0 || offset + length > e.size) {
      throw new RangeError(`range ${offset}+${length} is outside object ${objectId} of ${e.size} bytes`);
    }
    return e;
  }

  /**
   * Pins an object `creator` is still writing, for `client` (bytes it already wrote are being
   * sent to another node): freed or abandoned meanwhile, its region stays until the client
   * releases it. Whether it could.
   */
  pinCreating(objectId: string, creator: unknown, client: unknown): boolean {
    const e = this.entries.get(objectId);
    if (e === undefined || e.state !== "created" || e.creator !== creator || e.freed) return false;
    e.pins.set(client, (e.pins.get(client) ?? 0) + 1);
    e.pinCount++;
    return true;
  }

  release(objectId: string, client: unknown): void {
    const e = this.entries.get(objectId);
    const n = e?.pins.get(client);
    if (e === undefined || n === undefined) return;
    if (n <= 1) e.pins.delete(client);
    else e.pins.set(client, n - 1);
    e.pinCount--;
    if (e.pinCount === 0 && e.freed) this.drop(e);
    else if (e.pinCount === 0 && this.space.count > 0) this.room.make(); // it may be spilled now
  }

  /** The owner no longer needs the object. */
  free(objectId: string): void {
    const e = this.entries.get(objectId);
    if (e === undefined) return;
    if (e.pinCount > 0 || e.moving !== undefined) {
      e.freed = true;
      return;
    }
    this.drop(e);
  }

  /** A client disconnected: its pins end and objects it was creating are abandoned. */
  clientGone(client: unknown): void {
    for (const e of [...this.entries.values()]) {
      const n = e.pins.get(client);
      if (n !== undefined) {
        e.pins.delete(client);
        e.pinCount -= n;
        if (e.pinCount === 0 && e.freed) this.drop(e);
      }
      if (e.state === "created" && e.creator === client) this.abandon(e);
    }
    if (typeof client === "object" && client !== null) this.warm.delete(client);
    this.space.clientGone(client);
    this.space.serve();
  }

  /** Frees every object owned by a process that is gone. */
  freeOwnedBy(owner: string): number {
    let n = 0;
    for (const e of [...this.entries.values()]) {
      if (e.owner === owner) {
        this.free(e.objectId);
        n++;
      }
    }
    return n;
  }

  /** Each object of the table, with the clients whose views pin it (the state API's objects). */
  *objects(): IterableIterator<{ objectId: string; owner: string; size: number; state: string; pinnedBy: unknown[] }> {
    for (const e of this.entries.values()) {
      yield { objectId: e.objectId, owner: e.owner, size: e.size, state: e.state.toUpperCase(), pinnedBy: [...e.pins.keys()] };
    }
  }

  stats(): { objects: number; usedBytes: number; spilledBytes: number; capacity: number } {
    return { objects: this.entries.size, usedBytes: this.allocator.usedBytes, spilledBytes: this.spiller.bytes, capacity: this.capacity };
  }

  /** Fails what waits, closes the arena and removes its file and the spill folder (even if closing failed). */
  async close(): Promise<void> {
    this.space.close(new LuxError("the object store is closing"));
    const fd = this.fd;
    this.fd = undefined;
    try {
      await fd?.close();
    } finally {
      await fs.promises.rm(this.options.path, { force: true });
      await fs.promises.rm(this.options.spillDir, { recursive: true, force: true });
    }
  }

  /** Removes the arena file and the spill folder at once: the raylet is exiting on a fatal error. */
  removeFilesSync(): void {
    fs.rmSync(this.options.path, { force: true });
    fs.rmSync(this.options.spillDir, { recursive: true, force: true });
  }

  private checkNew(objectId: string, size: number): void {
    if (this.entries.has(objectId)) throw new LuxError(`object ${objectId} already exists in the object store`);
    if (size > this.capacity) {
      throw this.fullError(objectId, size, "the object is larger than the whole store");
    }
  }

  private fullError(objectId: string, size: number, why: string): ObjectStoreFullError {
    let pinned = 0;
    let writing = 0;
    for (const e of this.entries.values()) {
      if (e.pinCount > 0) pinned += e.size;
      else if (e.state === "created") writing += e.size;
    }
    return new ObjectStoreFullError({
      objectId,
      size,
      capacity: this.capacity,
      cause: new Error(`${why}; ${pinned} bytes are held by readers' views and ${writing} bytes by objects still being written, which cannot be spilled`),
    });
  }

  private warmOf(client: unknown): WarmRanges | undefined {
    return typeof client === "object" && client !== null ? this.warm.get(client) : undefined;
  }

  /** Adds an object whose region was reserved while it waited (the same id may have been created meanwhile). */
  private addReserved(objectId: string, size: number, owner: string, client: unknown, offset: number): StoreLocation {
    if (this.entries.has(objectId)) {
      this.allocator.release(offset, size);
      throw new LuxError(`object ${objectId} already exists in the object store`);
    }
    return this.add(objectId, size, owner, client, offset);
  }

  private add(objectId: string, size: number, owner: string, client: unknown, offset: number): StoreLocation {
    if (typeof client === "object" && client !== null) {
      let warm = this.warm.get(client);
      if (warm === undefined) this.warm.set(client, (warm = new WarmRanges()));
      warm.add(offset, offset + alignUp(Math.max(size, 1)));
    }
    this.entries.set(objectId, {
      objectId,
      owner,
      size,
      offset,
      state: "created",
      pins: new Map(),
      pinCount: 0,
      freed: false,
      creator: client,
      lastUsed: Date.now(),
      spillPath: undefined,
      moving: undefined,
      sealWaiters: [],
      secondary: false,
    });
    return { offset, size };
  }

  /** Its creator gave up on the object: dropped, or once its pins (see pinCreating) are released. */
  private abandon(e: Entry): void {
    if (e.pinCount === 0) {
      this.drop(e);
      return;
    }
    e.freed = true;
    e.creator = undefined;
  }

  private drop(e: Entry): void {
    this.entries.delete(e.objectId);
    for (const w of e.sealWaiters.splice(0)) w();
    if (e.offset >= 0) this.allocator.release(e.offset, e.size);
    this.spiller.discard(e);
    this.space.serve();
  }

  private handle(): fs.promises.FileHandle {
    if (this.fd === undefined) throw new LuxError("the object store is closed");
    return this.fd;
  }
}

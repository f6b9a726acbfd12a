/**
 * Shared memory between the ranks of one node: each rank that sends to a rank of its node
 * writes the data into a file of its own in /dev/shm (tmpfs: memory), in one of a few slots,
 * and tells the receiver which; the receiver uses it from there and says when done, which
 * frees the slot.
 *
 * With the object store's addon (the one that maps its arena), both sides map the file: the
 * sender copies into its slot with one memcpy and the receiver reduces or copies straight out
 * of the mapping, with no system call per message. Without it, reads and writes go through
 * the file on libuv's threads (a copy in and a copy out through the kernel).
 *
 * The file is unlinked as soon as it is open, so nothing is left behind whatever way the
 * process ends; receivers open it through the sender's /proc/PID/fd/N, and check a nonce
 * written at its start, so they never read another process's file.
 */
import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { loadShmAddon, type ShmAddon } from "@lux/core/internal";

const SHM_DIR = "/dev/shm";
/** The nonce lives here; slots start after (page aligned, so every slot is aligned for any element type). */
const HEADER_BYTES = 4096;

/** Where a receiver finds a sender's slots. */
export interface SlotFileInfo {
  path: string;
  nonce: string;
  slots: number;
  slotBytes: number;
}

/** Whether this system can share memory this way (Linux: /dev/shm and /proc/self/fd). */
export function sharedMemoryAvailable(): boolean {
  return fs.existsSync(SHM_DIR) && fs.existsSync("/proc/self/fd");
}

/** The addon that maps files, unless it did not build (then files are read and written). */
function addon(): ShmAddon | undefined {
  const loaded = loadShmAddon();
  return "addon" in loaded ? loaded.addon : undefined;
}

const slotOffset = (slot: number, slotBytes: number): number => HEADER_BYTES + slot * slotBytes;

/** The sending side: this process's slots. */
export class SlotFile {
  private readonly free: number[];
  private readonly waiting: ((slot: number) => void)[] = [];
  private closed = false;

  private constructor(
    private readonly handle: fs.promises.FileHandle,
    /** The file mapped shared (the addon's mapping), when the addon is there. */
    private readonly mapping: { addon: ShmAddon; shared: object } | undefined,
    readonly info: SlotFileInfo,
  ) {
    this.free = Array.from({ length: info.slots }, (_, i) => i);
  }

  static async create(slots: number, slotBytes: number): Promise<SlotFile> {
    const file = path.join(SHM_DIR, `lux-collective-${process.pid}-${randomUUID()}`);
    const handle = await fs.promises.open(file, "w+", 0o600);
    try {
      const size = HEADER_BYTES + slots * slotBytes;
      const nonce = randomUUID();
      await handle.truncate(size);
      await handle.write(nonce, 0, "utf8");
      const maps = addon();
      const mapping = maps !== undefined ? { addon: maps, shared: maps.map(file, size, true) } : undefined;
      await fs.promises.unlink(file);
      return new SlotFile(handle, mapping, { path: `/proc/${process.pid}/fd/${handle.fd}`, nonce, slots, slotBytes });
    } catch (e) {
      await handle.close();
      await fs.promises.unlink(file).catch(() => undefined);
      throw e;
    }
  }

  /** A free slot, when there is one (first come, first served). */
  acquire(): Promise<number> {
    const slot = this.free.pop();
    if (slot !== undefined) return Promise.resolve(slot);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  release(slot: number): void {
    const next = this.waiting.shift();
    if (next !== undefined) next(slot);
    else this.free.push(slot);
  }

  /** Writes `bytes` (at most slotBytes) into `slot`: at once into the mapping, else through the file. */
  async write(slot: number, bytes: Uint8Array): Promise<void> {
    if (bytes.byteLength > this.info.slotBytes) throw new RangeError(`${bytes.byteLength} bytes do not fit a slot of ${this.info.slotBytes}`);
    const at = slotOffset(slot, this.info.slotBytes);
    // The addon reads views of plain ArrayBuffers only.
    if (this.mapping !== undefined && !(bytes.buffer instanceof SharedArrayBuffer)) {
      this.mapping.addon.write(this.mapping.shared, at, bytes);
      return;
    }
    let done = 0;
    while (done < bytes.byteLength) {
      const { bytesWritten } = await this.handle.write(bytes, done, bytes.byteLength - done, at + done);
      done += bytesWritten;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.mapping !== undefined) this.mapping.addon.unmap(this.mapping.shared);
    await this.handle.close();
  }
}

/** The receiving side: another process's slots. */
export class SlotReader {
  private constructor(
    private readonly handle: fs.promises.FileHandle,
    private readonly slotBytes: number,
    /** The whole file, mapped (read only by us: private pages that follow the sender's writes until written here). */
    private readonly mapped: Uint8Array | undefined,
  ) {}

  /** Opens the file `info` names; undefined when it cannot, or it is not that file (then use sockets). */
  static async open(info: SlotFileInfo): Promise<SlotReader | undefined> {
    if (!/^\/proc\/\d+\/fd\/\d+$/.test(info.path)) return undefined;
    let handle: fs.promises.FileHandle | undefined;
    try {
      handle = await fs.promises.open(info.path, "r");
      const header = Buffer.alloc(info.nonce.length);
      await handle.read(header, 0, header.length, 0);
      if (header.toString("utf8") === info.nonce) {
        const maps = addon();
        const size = HEADER_BYTES + info.slots * info.slotBytes;
        const mapped = maps !== undefined ? new Uint8Array(maps.mapRange(handle.fd, 0, size)) : undefined;
        return new SlotReader(handle, info.slotBytes, mapped);
      }
    } catch {
      // not ours to read, or gone: the sender falls back to sockets
    }
    await handle?.close();
    return undefined;
  }

  /**
   * The `length` bytes in `slot`: copied into `into` when given, else a view of the mapping
   * (valid until the slot is freed) or a buffer of their own.
   */
  async read(slot: number, length: number, into?: Uint8Array): Promise<Uint8Array> {
    const at = slotOffset(slot, this.slotBytes);
    if (this.mapped !== undefined) {
      if (at + length > this.mapped.byteLength) throw new RangeError(`${length} bytes at slot ${slot} lie past the sender's shared memory`);
      const view = this.mapped.subarray(at, at + length);
      if (into === undefined) return view;
      into.set(view);
      return into;
    }
    const target = into ?? Buffer.allocUnsafeSlow(length);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await this.handle.read(target, done, length - done, at + done);
      if (bytesRead === 0) throw new RangeError(`the sender's shared-memory file ended at slot ${slot}`);
      done += bytesRead;
    }
    return target;
  }

  async close(): Promise<void> {
    await this.handle.close().catch(() => undefined);
  }
}

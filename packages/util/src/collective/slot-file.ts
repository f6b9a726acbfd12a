/**
 * Shared memory between the ranks of one node: each rank that sends to a rank of its node
 * writes the data into a file of its own in /dev/shm (tmpfs: memory), in one of a few slots,
 * and tells the receiver which; the receiver reads it from there and answers when done, which
 * frees the slot. One copy in and one copy out, through the kernel's page cache, with no
 * socket in the way; reads and writes run on libuv's threads.
 *
 * The file is unlinked as soon as it is open, so nothing is left behind whatever way the
 * process ends; receivers open it through the sender's /proc/PID/fd/N, and check a nonce
 * written at its start, so they never read another process's file.
 */
import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

const SHM_DIR = "/dev/shm";
/** The nonce lives here; slots start after. */
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

/** The sending side: this process's slots. */
export class SlotFile {
  private readonly free: number[];
  private readonly waiting: ((slot: number) => void)[] = [];
  private closed = false;

  private constructor(
    private readonly handle: fs.promises.FileHandle,
    readonly info: SlotFileInfo,
  ) {
    this.free = Array.from({ length: info.slots }, (_, i) => i);
  }

  static async create(slots: number, slotBytes: number): Promise<SlotFile> {
    const file = path.join(SHM_DIR, `lux-collective-${process.pid}-${randomUUID()}`);
    const handle = await fs.promises.open(file, "w+", 0o600);
    try {
      await fs.promises.unlink(file);
      const nonce = randomUUID();
      await handle.truncate(HEADER_BYTES + slots * slotBytes);
      await handle.write(nonce, 0, "utf8");
      return new SlotFile(handle, { path: `/proc/${process.pid}/fd/${handle.fd}`, nonce, slots, slotBytes });
    } catch (e) {
      await handle.close();
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

  /** Writes `bytes` (at most slotBytes) into `slot`. */
  async write(slot: number, bytes: Uint8Array): Promise<void> {
    if (bytes.byteLength > this.info.slotBytes) throw new RangeError(`${bytes.byteLength} bytes do not fit a slot of ${this.info.slotBytes}`);
    let done = 0;
    while (done < bytes.byteLength) {
      const { bytesWritten } = await this.handle.write(bytes, done, bytes.byteLength - done, HEADER_BYTES + slot * this.info.slotBytes + done);
      done += bytesWritten;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.handle.close();
  }
}

/** The receiving side: another process's slots. */
export class SlotReader {
  private constructor(
    private readonly handle: fs.promises.FileHandle,
    private readonly slotBytes: number,
  ) {}

  /** Opens the file `info` names; undefined when it cannot, or it is not that file (then use sockets). */
  static async open(info: SlotFileInfo): Promise<SlotReader | undefined> {
    if (!/^\/proc\/\d+\/fd\/\d+$/.test(info.path)) return undefined;
    let handle: fs.promises.FileHandle | undefined;
    try {
      handle = await fs.promises.open(info.path, "r");
      const header = Buffer.alloc(info.nonce.length);
      await handle.read(header, 0, header.length, 0);
      if (header.toString("utf8") === info.nonce) return new SlotReader(handle, info.slotBytes);
    } catch {
      // not ours to read, or gone: the sender falls back to sockets
    }
    await handle?.close();
    return undefined;
  }

  /** The `length` bytes in `slot`: into `into` when given, else into a buffer of their own. */
  async read(slot: number, length: number, into?: Uint8Array): Promise<Uint8Array> {
    const target = into ?? Buffer.allocUnsafeSlow(length);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await this.handle.read(target, done, length - done, HEADER_BYTES + slot * this.slotBytes + done);
      if (bytesRead === 0) throw new RangeError(`the sender's shared-memory file ended at slot ${slot}`);
      done += bytesRead;
    }
    return target;
  }

  async close(): Promise<void> {
    await this.handle.close().catch(() => undefined);
  }
}

import * as fs from "node:fs";
import type { AesGcm } from "./gcm.js";
import { loadShmAddon, type ShmAddon } from "./native.js";

/**
 * A process's access to its node's arena. With the addon, the arena is mapped shared for
 * writing objects, and each read maps the object's pages privately (copy-on-write), so a
 * reader mutating a value it got never changes the stored object or what any other read
 * returns. Without the addon, reads and writes go through the file and copy.
 */
export interface ArenaClient {
  readonly kind: "shared-memory" | "file";
  write(offset: number, data: ArrayBufferView): void;
  /**
   * `write` for bytes this process will not read again (chunks of an object received from
   * another node, copied from a buffer the socket reads into): with the addon, stored past
   * the CPU cache, which costs less than half of what a plain copy does for large writes.
   * `fresh`: the arena there was never written (see ArenaStore.touchedEnd); the bytes are
   * written through the file instead, which puts pages in without faulting each into this
   * process (measured on a VM: ~0.8 against ~1.2 s of CPU per GiB into fresh pages).
   */
  writeReceived(offset: number, data: Uint8Array, fresh?: boolean): void;
  /**
   * The bytes at offset: a private mapping of the arena (shared-memory; unmapped when
   * garbage collected, and then `collected` is called) or a copy (file; `collected` is never
   * called).
   */
  /**
   * `writeReceived` of bytes still encrypted: `gcm` (decrypting, its frame started) decrypts
   * them into the arena at `offset` (in place, with the addon, unless `fresh`); `data` may
   * be overwritten. The caller checks the frame's tag before anyone may read these bytes.
   */
  writeDecrypted(offset: number, data: Uint8Array, gcm: AesGcm, fresh?: boolean): void;
  view(offset: number, size: number, collected?: () => void): ArrayBuffer;
  /**
   * The bytes at offset as they lie in the arena (shared-memory: no copy; valid while the
   * process lives, and reading them is safe only while their object is pinned), or a copy
   * (file). Never written through.
   */
  sharedBytes(offset: number, size: number): Uint8Array;
  close(): void;
}

export function openArena(path: string, capacity: number): ArenaClient {
  const loaded = loadShmAddon();
  return "addon" in loaded ? new MappedArena(loaded.addon, path, capacity) : new FileArena(path);
}

/** Bytes copied at a time when writing a view of a SharedArrayBuffer. */
const SHARED_CHUNK_BYTES = 1024 * 1024;
/**
 * sharedBytes views the arena through ArrayBuffers of this size, one starting every half of
 * it (made once each), so that any range of up to half this size lies in one of them. An
 * ArrayBuffer per range instead would count as new external memory each time, and V8 runs
 * full collections to keep that in check (a raylet sending 8 MiB chunks spent much of its
 * time in them). V8 takes ArrayBuffers of up to 4 GiB.
 */
const WINDOW_BYTES = 2 ** 31;
const WINDOW_STEP = WINDOW_BYTES / 2;

/**
 * V8 runs a full collection for about every 64 MiB of external memory a process adds. A
 * view's mapping allocates nothing (its pages are the store's), but it pins its object until
 * it is collected; so V8 is told a share of each view's size (see mapRange in the addon),
 * scaled so that the collections come about once per eighth of the store's capacity mapped
 * (pins left by dropped views then stay a fraction of the store), and never less often
 * than a plain ArrayBuffer would make them on a small store.
 */
const V8_EXTERNAL_STEP = 64 * 1024 * 1024;
const PINNED_SHARE = 1 / 8;

export function viewAccountingFactor(capacity: number): number {
  return Math.min(1, V8_EXTERNAL_STEP / Math.max(1, capacity * PINNED_SHARE));
}

/** What to call when a view is collected, by the token its mapping carries (every arena of the process). */
const viewCallbacks = new Map<number, () => void>();
let nextToken = 0;
let watching = false;

function watchViews(addon: ShmAddon, collected: () => void): number {
  if (!watching) {
    addon.onViewReleased((token) => {
      const callback = viewCallbacks.get(token);
      if (callback === undefined) return;
      viewCallbacks.delete(token);
      try {
        callback();
      } catch {
        // Called from the addon's finalizer: an error has nowhere to go.
      }
    });
    watching = true;
  }
  const token = nextToken++;
  viewCallbacks.set(token, collected);
  return token;
}

class MappedArena implements ArenaClient {
  readonly kind = "shared-memory";
  private readonly shared: object;
  private readonly fd: number;
  /** Views of the shared mapping for sharedBytes, by index (see WINDOW_BYTES). */
  private readonly windows = new Map<number, ArrayBuffer>();
  /** The arena file opened for writing, for writeReceived's fresh pages (kept for the process's life). */
  private writeFd: number | undefined;
  private readonly accounting: number;

  constructor(
    private readonly addon: ShmAddon,
    private readonly path: string,
    private readonly capacity: number,
  ) {
    this.shared = addon.map(path, capacity, true);
    this.fd = addon.openReadOnly(path);
    this.accounting = viewAccountingFactor(capacity);
  }

  write(offset: number, data: ArrayBufferView): void {
    if (data.buffer instanceof SharedArrayBuffer) this.writeShared(offset, data);
    else this.addon.write(this.shared, offset, data);
  }

  writeReceived(offset: number, data: Uint8Array, fresh = false): void {
    if (fresh) fs.writeSync((this.writeFd ??= fs.openSync(this.path, "r+")), data, 0, data.byteLength, offset);
    else if (data.buffer instanceof SharedArrayBuffer) this.writeShared(offset, data);
    else this.addon.writeStreaming(this.shared, offset, data);
  }

  writeDecrypted(offset: number, data: Uint8Array, gcm: AesGcm, fresh = false): void {
    if (!fresh && gcm.native !== undefined && !(data.buffer instanceof SharedArrayBuffer)) {
      this.addon.gcmUpdateMapped(gcm.native, data, this.shared, offset);
      return;
    }
    gcm.update(data, data);
    this.writeReceived(offset, data, fresh);
  }

  /**
   * The addon reads only views of plain ArrayBuffers: a view of a SharedArrayBuffer is
   * copied through a bounded scratch buffer, a chunk at a time.
   */
  private writeShared(offset: number, data: ArrayBufferView): void {
    const source = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    const scratch = new Uint8Array(Math.min(source.length, SHARED_CHUNK_BYTES));
    for (let at = 0; at < source.length; at += scratch.length) {
      const chunk = source.subarray(at, at + scratch.length);
      scratch.set(chunk);
      this.addon.write(this.shared, offset + at, scratch.subarray(0, chunk.length));
    }
  }

  view(offset: number, size: number, collected?: () => void): ArrayBuffer {
    // A zero-length view maps nothing and is never collected as a mapping: it pins nothing.
    if (collected === undefined || size === 0) {
      const bytes = this.addon.mapRange(this.fd, offset, size, Math.ceil(size * this.accounting));
      if (collected !== undefined) collected();
      return bytes;
    }
    const token = watchViews(this.addon, collected);
    try {
      return this.addon.mapRange(this.fd, offset, size, Math.ceil(size * this.accounting), token);
    } catch (e) {
      viewCallbacks.delete(token);
      throw e;
    }
  }

  sharedBytes(offset: number, size: number): Uint8Array {
    if (size > WINDOW_STEP) return new Uint8Array(this.addon.sharedView(this.shared, offset, size));
    const index = Math.floor(offset / WINDOW_STEP);
    let window = this.windows.get(index);
    if (window === undefined) {
      const start = index * WINDOW_STEP;
      window = this.addon.sharedView(this.shared, start, Math.min(WINDOW_BYTES, this.capacity - start));
      this.windows.set(index, window);
    }
    return new Uint8Array(window, offset - index * WINDOW_STEP, size);
  }

  close(): void {
    // Views may still be reachable; the mappings are released with them or with the process.
  }
}

class FileArena implements ArenaClient {
  readonly kind = "file";
  private readonly fd: number;

  constructor(path: string) {
    this.fd = fs.openSync(path, "r+");
  }

  write(offset: number, data: ArrayBufferView): void {
    fs.writeSync(this.fd, new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 0, data.byteLength, offset);
  }

  writeReceived(offset: number, data: Uint8Array): void {
    this.write(offset, data);
  }

  writeDecrypted(offset: number, data: Uint8Array, gcm: AesGcm): void {
    gcm.update(data, data);
    this.write(offset, data);
  }

  view(offset: number, size: number): ArrayBuffer {
    const buf = new ArrayBuffer(size);
    fs.readSync(this.fd, new Uint8Array(buf), 0, size, offset);
    return buf;
  }

  sharedBytes(offset: number, size: number): Uint8Array {
    return new Uint8Array(this.view(offset, size));
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}

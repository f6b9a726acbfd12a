import * as fs from "node:fs";
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
   * The bytes at offset: a private mapping of the arena (shared-memory; unmapped when
   * garbage collected) or a copy (file).
   */
  view(offset: number, size: number): ArrayBuffer;
  close(): void;
}

export function openArena(path: string, capacity: number): ArenaClient {
  const loaded = loadShmAddon();
  return "addon" in loaded ? new MappedArena(loaded.addon, path, capacity) : new FileArena(path);
}

/** Bytes copied at a time when writing a view of a SharedArrayBuffer. */
const SHARED_CHUNK_BYTES = 1024 * 1024;

class MappedArena implements ArenaClient {
  readonly kind = "shared-memory";
  private readonly shared: object;
  private readonly fd: number;

  constructor(
    private readonly addon: ShmAddon,
    path: string,
    capacity: number,
  ) {
    this.shared = addon.map(path, capacity, true);
    this.fd = addon.openReadOnly(path);
  }

  write(offset: number, data: ArrayBufferView): void {
    if (data.buffer instanceof SharedArrayBuffer) this.writeShared(offset, data);
    else this.addon.write(this.shared, offset, data);
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

  view(offset: number, size: number): ArrayBuffer {
    return this.addon.mapRange(this.fd, offset, size);
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

  view(offset: number, size: number): ArrayBuffer {
    const buf = new ArrayBuffer(size);
    fs.readSync(this.fd, new Uint8Array(buf), 0, size, offset);
    return buf;
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}

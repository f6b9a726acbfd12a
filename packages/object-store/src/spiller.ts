import * as fs from "node:fs";
import * as path from "node:path";
import { createLogger } from "@lux/common";
import type { Allocator } from "./allocator.js";
import type { Entry } from "./arena-store.js";

const log = createLogger("object-store");

export interface SpillerDeps {
  spillDir: string;
  /** Size of each read and write of a move. */
  chunkBytes: number;
  allocator: Allocator;
  /** The arena file (throws once the store is closed). */
  arena(): fs.promises.FileHandle;
  /** An arena region for a restored object: at once if there is room, else once room is made. */
  region(objectId: string, size: number): number | Promise<number>;
}

/**
 * Moves sealed objects between the arena and files in the spill folder: out when the
 * arena is full, back in when read. Objects never change, so a restored object keeps its
 * file: moving it out again costs no write, only its arena region. Those kept files go
 * when the object is dropped, or when the disk is needed for a spill. The store drops a
 * freed object once its move ends.
 */
export class Spiller {
  /** Bytes of the spill files on disk now (objects spilled, and restored ones that kept theirs). */
  bytes = 0;
  /** Objects back in the arena whose spill file is kept. */
  private readonly kept = new Set<Entry>();

  constructor(private readonly deps: SpillerDeps) {}

  /**
   * Moves the object to its file (no write if it kept its file from an earlier spill). If
   * writing fails (a full disk), the kept files of objects in the arena are deleted and
   * the write tried once more; if it still fails, the partial file is deleted and the
   * object stays in the arena, sealed and readable; the error is thrown.
   */
  async spill(e: Entry): Promise<void> {
    const file = path.join(this.deps.spillDir, e.objectId);
    const written = e.spillPath !== undefined;
    e.state = "spilling";
    e.moving = (async () => {
      if (!written) await this.write(e, file);
      this.kept.delete(e);
      this.deps.allocator.release(e.offset, e.size);
      e.offset = -1;
      e.spillPath = file;
      e.state = "spilled";
      if (!written) this.bytes += e.size;
      log.debug(`spilled ${e.objectId} (${e.size} bytes${written ? ", its file kept from before" : ""})`);
    })();
    try {
      await e.moving;
    } catch (err) {
      e.state = "sealed";
      throw err;
    } finally {
      e.moving = undefined;
    }
  }

  async restore(e: Entry): Promise<void> {
    const { allocator } = this.deps;
    e.state = "restoring";
    e.moving = (async () => {
      const offset = await this.deps.region(e.objectId, e.size);
      try {
        await copyRange(this.deps.arena(), offset, e.size, e.spillPath as string, "in", this.deps.chunkBytes);
      } catch (err) {
        allocator.release(offset, e.size);
        throw err;
      }
      e.offset = offset;
      e.state = "sealed";
      this.kept.add(e);
    })();
    try {
      await e.moving;
    } catch (err) {
      e.state = "spilled";
      throw err;
    } finally {
      e.moving = undefined;
    }
  }

  /** The object is dropped: its spill file, if any, goes. */
  discard(e: Entry): void {
    this.kept.delete(e);
    this.remove(e).catch(() => undefined); // remove() logs its failures
  }

  private async write(e: Entry, file: string): Promise<void> {
    try {
      await this.copyOut(e, file);
    } catch (err) {
      if (this.kept.size === 0) throw err;
      log.info(`spilling ${e.objectId} failed (${(err as Error).message}): deleting the spill files kept for ${this.kept.size} restored objects and trying again`);
      const removed = [...this.kept].map((k) => this.remove(k));
      this.kept.clear();
      await Promise.all(removed);
      await this.copyOut(e, file);
    }
  }

  /** Writes the object's bytes to `file`; a partial file is deleted. */
  private async copyOut(e: Entry, file: string): Promise<void> {
    try {
      await copyRange(this.deps.arena(), e.offset, e.size, file, "out", this.deps.chunkBytes);
    } catch (err) {
      await fs.promises.rm(file, { force: true }).catch((rmErr: unknown) => {
        log.warn(`could not delete the partial spill file ${file}: ${(rmErr as Error).message}`);
      });
      throw err;
    }
  }

  /** Deletes the object's spill file, if it has one. Never rejects. */
  private async remove(e: Entry): Promise<void> {
    if (e.spillPath === undefined) return;
    this.bytes -= e.size;
    const file = e.spillPath;
    e.spillPath = undefined;
    await fs.promises.rm(file, { force: true }).catch((err: unknown) => {
      log.warn(`could not delete the spill file ${file}: ${(err as Error).message}`);
    });
  }
}

/** Copies `size` bytes between the arena at `offset` and a spill file, in chunks of `chunkBytes`. */
async function copyRange(
  arena: fs.promises.FileHandle,
  offset: number,
  size: number,
  file: string,
  direction: "out" | "in",
  chunkBytes: number,
): Promise<void> {
  const other = await fs.promises.open(file, direction === "out" ? "w" : "r", 0o600);
  const buf = Buffer.allocUnsafe(Math.min(chunkBytes, size));
  try {
    for (let done = 0; done < size; ) {
      const n = Math.min(buf.length, size - done);
      if (direction === "out") {
        await arena.read(buf, 0, n, offset + done);
        await other.write(buf, 0, n, done);
      } else {
        await other.read(buf, 0, n, done);
        await arena.write(buf, 0, n, offset + done);
      }
      done += n;
    }
  } finally {
    await other.close();
  }
}

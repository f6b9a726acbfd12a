import * as fs from "node:fs";
import { ObjectStoreFullError, createLogger } from "@lux/common";
import { alignUp, type Allocator } from "./allocator.js";
import type { Entry } from "./arena-store.js";
import type { SpaceWaiters } from "./space-waiters.js";
import type { Spiller } from "./spiller.js";

const log = createLogger("object-store");

export interface RoomMakerDeps {
  /** The store's object table. */
  entries: ReadonlyMap<string, Entry>;
  allocator: Allocator;
  space: SpaceWaiters;
  spiller: Spiller;
  spillDir: string;
  capacity: number;
  /** Removes an object from the store (its region and spill file go). */
  drop(e: Entry): void;
}

/**
 * Makes room in the arena for the creates that wait: drops copies pulled from other nodes,
 * spills the least recently used objects no one is reading, and gives each waiter its
 * space as soon as it fits, until none waits or nothing more can be moved out.
 */
export class RoomMaker {
  private making = false;
  /** make() was called while a round ran: run another once it ends (waiters may have come). */
  private again = false;

  constructor(private readonly deps: RoomMakerDeps) {}

  /** Starts making room for the creates that wait, unless it is under way. Never throws. */
  make(): void {
    if (this.making) {
      this.again = true;
      return;
    }
    this.making = true;
    this.spillForWaiters()
      .catch((e: unknown) => log.error(`making room in the object store failed: ${(e as Error).message}`))
      .finally(() => {
        this.making = false;
        this.deps.space.serve();
        if (this.again) {
          this.again = false;
          this.make();
        }
      });
  }

  /** Whether `size` bytes could be had by spilling what no one reads (ignoring where the free bytes lie). */
  canSpillFor(size: number): boolean {
    let room = this.deps.capacity - this.deps.allocator.usedBytes;
    const need = alignUp(Math.max(size, 1));
    if (room >= need) return true;
    for (const e of this.deps.entries.values()) {
      if (!movable(e)) continue;
      room += alignUp(Math.max(e.size, 1));
      if (room >= need) return true;
    }
    return false;
  }

  /**
   * Serves the waiters in order, moving out objects until each fits. An object that cannot
   * be spilled (a full disk) stays in the arena; once nothing more can be spilled after
   * such a failure, the creates that do not fit fail with ObjectStoreFullError naming the
   * spill folder, instead of waiting for space that will not come. A create that only waits
   * for spilling (a synchronous put) is told to stage its value once nothing is left to spill.
   */
  private async spillForWaiters(): Promise<void> {
    const { space } = this.deps;
    const unspillable = new Set<Entry>();
    let spillError: unknown;
    for (;;) {
      space.serve();
      if (space.count === 0) return;
      const victim = this.pickVictim(unspillable);
      if (victim === undefined) {
        if (spillError !== undefined) space.failFirst(await this.spillFailedError(spillError));
        else if (space.firstIsBrief) space.giveUpFirst();
        else return; // wait for releases and frees (the pressure timer retries)
        continue;
      }
      if (victim.secondary) {
        log.debug(`evicted the copy of ${victim.objectId} (${victim.size} bytes)`);
        this.deps.drop(victim);
        space.progress();
        continue;
      }
      try {
        await this.deps.spiller.spill(victim);
        space.progress();
      } catch (e) {
        log.warn(`spilling ${victim.objectId} (${victim.size} bytes) to ${this.deps.spillDir} failed, it stays in memory: ${(e as Error).message}`);
        unspillable.add(victim);
        spillError = e;
      }
      if (victim.freed && victim.pinCount === 0) this.deps.drop(victim);
    }
  }

  /** The object to move out next: copies pulled from other nodes first (dropped: their primary is elsewhere), then the least recently used. */
  private pickVictim(skip: ReadonlySet<Entry>): Entry | undefined {
    let best: Entry | undefined;
    for (const e of this.deps.entries.values()) {
      if (!movable(e) || skip.has(e)) continue;
      if (best === undefined || (e.secondary && !best.secondary) || (e.secondary === best.secondary && e.lastUsed < best.lastUsed)) best = e;
    }
    return best;
  }

  /** What a create that cannot fit fails with once spilling failed: names the spill folder and its free space. */
  private async spillFailedError(cause: unknown): Promise<(objectId: string, size: number) => ObjectStoreFullError> {
    const { spillDir, capacity } = this.deps;
    const free = await fs.promises.statfs(spillDir).then(
      (st) => st.bavail * st.bsize,
      () => undefined,
    );
    return (objectId, size) =>
      new ObjectStoreFullError({
        objectId,
        size,
        capacity,
        spillDir,
        ...(free !== undefined ? { spillDirFreeBytes: free } : {}),
        cause,
      });
  }
}

/** Sealed, in the arena, read by no one, not being moved, still wanted: it may be spilled (or dropped, if a copy). */
function movable(e: Entry): boolean {
  return e.state === "sealed" && e.pinCount === 0 && e.moving === undefined && !e.freed;
}

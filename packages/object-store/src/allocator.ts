import type { WarmRanges } from "./warm-ranges.js";

/** Arena offsets are aligned to pages, so a reader can drop its private copy of an object's pages. */
export const ALIGNMENT = 4096;

export function alignUp(n: number, to = ALIGNMENT): number {
  return Math.ceil(n / to) * to;
}

interface Block {
  offset: number;
  size: number;
}

/**
 * First-fit allocator over the arena. Lowest offsets are preferred, so freed regions
 * are reused while their pages are still warm (first touch of a page costs a fault).
 * A block for a client that wrote objects before goes, when it fits, where that client
 * wrote (see WarmRanges): the lowest free space inside one of its ranges (see allocateWarm).
 */
export class Allocator {
  /** Free blocks sorted by offset, never adjacent (merged on free). */
  private readonly free: Block[];
  private used = 0;
  private highest = 0;

  constructor(readonly capacity: number) {
    this.free = capacity > 0 ? [{ offset: 0, size: capacity }] : [];
  }

  get usedBytes(): number {
    return this.used;
  }

  /**
   * The end of the highest block ever allocated. Blocks go as low as they fit, so the arena
   * below it has been written (its pages are in memory) and above it, never.
   */
  get touchedEnd(): number {
    return this.highest;
  }

  get largestFree(): number {
    let max = 0;
    for (const b of this.free) max = Math.max(max, b.size);
    return max;
  }

  /**
   * Offset of a new block of `size` bytes (rounded up to the alignment), or -1 if none fits:
   * inside one of `warm`'s ranges if it fits in one, else the lowest that fits.
   */
  allocate(size: number, warm?: WarmRanges): number {
    const need = alignUp(Math.max(size, 1));
    if (warm !== undefined && warm.size > 0) {
      const offset = this.allocateWarm(need, warm);
      if (offset >= 0) return offset;
    }
    for (let i = 0; i < this.free.length; i++) {
      const b = this.free[i] as Block;
      if (b.size >= need) return this.take(i, b.offset, need);
    }
    return -1;
  }

  /**
   * The lowest offset inside one range of `warm` where `need` bytes are free, taken; -1 if
   * none. Taken from the middle of a free block only where the free space left below is at
   * least `need` too: a smaller piece would be room lost to fragments in a small store (larger
   * objects no longer fit; more spilling).
   */
  private allocateWarm(need: number, warm: WarmRanges): number {
    let found = -1;
    let index = -1;
    warm.find((start, end) => {
      if (end - start < need) return false;
      // The first free block ending after `start`.
      let lo = 0;
      let hi = this.free.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        const b = this.free[mid] as Block;
        if (b.offset + b.size <= start) lo = mid + 1;
        else hi = mid;
      }
      for (let i = lo; i < this.free.length; i++) {
        const b = this.free[i] as Block;
        if (b.offset >= end) break;
        const from = Math.max(b.offset, start);
        const below = from - b.offset;
        if ((below === 0 || below >= need) && Math.min(b.offset + b.size, end) - from >= need) {
          found = from;
          index = i;
          return true;
        }
      }
      return false;
    });
    return found < 0 ? -1 : this.take(index, found, need);
  }

  /** Takes `[offset, offset + need)` out of free block `i`, which holds it. */
  private take(i: number, offset: number, need: number): number {
    const b = this.free[i] as Block;
    const before = offset - b.offset;
    const after = b.offset + b.size - (offset + need);
    if (before === 0 && after === 0) this.free.splice(i, 1);
    else if (before === 0) {
      b.offset += need;
      b.size -= need;
    } else if (after === 0) b.size -= need;
    else {
      b.size = before;
      this.free.splice(i + 1, 0, { offset: offset + need, size: after });
    }
    this.used += need;
    this.highest = Math.max(this.highest, offset + need);
    return offset;
  }

  release(offset: number, size: number): void {
    const len = alignUp(Math.max(size, 1));
    this.used -= len;
    // Binary search for the insertion point.
    let lo = 0;
    let hi = this.free.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.free[mid] as Block).offset < offset) lo = mid + 1;
      else hi = mid;
    }
    const prev = this.free[lo - 1];
    const next = this.free[lo];
    if (prev !== undefined && prev.offset + prev.size === offset) {
      prev.size += len;
      if (next !== undefined && prev.offset + prev.size === next.offset) {
        prev.size += next.size;
        this.free.splice(lo, 1);
      }
    } else if (next !== undefined && offset + len === next.offset) {
      next.offset = offset;
      next.size += len;
    } else {
      this.free.splice(lo, 0, { offset, size: len });
    }
  }
}

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

  /** Offset of a new block of `size` bytes (rounded up to the alignment), or -1 if none fits. */
  allocate(size: number): number {
    const need = alignUp(Math.max(size, 1));
    for (let i = 0; i < this.free.length; i++) {
      const b = this.free[i] as Block;
      if (b.size < need) continue;
      const offset = b.offset;
      if (b.size === need) this.free.splice(i, 1);
      else {
        b.offset += need;
        b.size -= need;
      }
      this.used += need;
      this.highest = Math.max(this.highest, offset + need);
      return offset;
    }
    return -1;
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

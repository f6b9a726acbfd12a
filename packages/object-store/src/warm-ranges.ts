/**
 * The arena ranges one client has written objects into: pages its own mapping of the arena
 * has already touched. Writing into such a page again costs a plain copy; a page its mapping
 * never touched costs a fault first, which on a VM with shadow page tables (measured: a
 * nested KVM guest) costs more than the copy: ~15 ms to write 4 MiB into the arena's pages
 * at addresses new to the process, ~0.2 ms into pages it wrote before (those pages being in
 * memory either way). So the allocator gives a client space it wrote before when some is free.
 */
export class WarmRanges {
  /** Sorted by start, never overlapping or adjacent (merged on add). */
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];

  /** At most this many separate ranges are kept (a client writing many scattered objects): past it, new ones are not recorded. */
  static readonly MAX_RANGES = 1024;

  get size(): number {
    return this.starts.length;
  }

  /** Records `[start, end)` as written. */
  add(start: number, end: number): void {
    if (end <= start) return;
    // The first range ending at or after `start` (a range ending at start is adjacent: merged).
    let lo = 0;
    let hi = this.ends.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.ends[mid] as number) < start) lo = mid + 1;
      else hi = mid;
    }
    // Ranges from lo that start at or before `end` overlap or touch [start, end): merge them.
    let last = lo;
    while (last < this.starts.length && (this.starts[last] as number) <= end) last++;
    if (last === lo) {
      if (this.starts.length >= WarmRanges.MAX_RANGES) return;
      this.starts.splice(lo, 0, start);
      this.ends.splice(lo, 0, end);
      return;
    }
    const mergedStart = Math.min(start, this.starts[lo] as number);
    const mergedEnd = Math.max(end, this.ends[last - 1] as number);
    this.starts.splice(lo, last - lo, mergedStart);
    this.ends.splice(lo, last - lo, mergedEnd);
  }

  /** Calls `visit(start, end)` for each range in order, until it returns true. */
  find(visit: (start: number, end: number) => boolean): void {
    for (let i = 0; i < this.starts.length; i++) if (visit(this.starts[i] as number, this.ends[i] as number)) return;
  }

  /** The ranges, in order (for tests). */
  list(): [start: number, end: number][] {
    return this.starts.map((s, i) => [s, this.ends[i] as number]);
  }
}

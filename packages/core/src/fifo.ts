/**
 * A first-in first-out queue whose `shift` costs O(1) amortized at any length.
 *
 * Why not an array's `shift()`: V8 moves an array's start in place only while its backing
 * store is small; past about 16,000 elements (the store lives in large-object space) every
 * shift copies all the rest, so draining a queue of n tasks costs O(n²): 300,000 queued
 * tasks spent most of a minute in `shift` alone (issue 25). Here the front is an index;
 * the consumed slots are dropped in one copy once they are at least half the store, so each
 * element is copied at most once per time it is queued.
 */
export class Fifo<T> {
  private items: (T | undefined)[] = [];
  private head = 0;
  /** Elements moved by compaction, in total: lets tests check that draining stays linear. */
  moved = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  /** The first element, or undefined when empty. */
  peek(): T | undefined {
    return this.items[this.head];
  }

  push(item: T): void {
    this.items.push(item);
  }

  shift(): T | undefined {
    if (this.head === this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head++] = undefined; // not kept alive by the queue
    if (this.head === this.items.length) {
      this.items.length = 0;
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) this.compact();
    return item;
  }

  /** Index (from the front) of the first element `match` accepts, or -1. */
  findIndex(match: (item: T) => boolean): number {
    for (let i = this.head; i < this.items.length; i++) if (match(this.items[i] as T)) return i - this.head;
    return -1;
  }

  /** Inserts `item` at `index` from the front (at the end when `index` is the length). */
  insert(index: number, item: T): void {
    this.items.splice(this.head + index, 0, item);
  }

  /** Removes the element at `index` from the front and returns it. */
  removeAt(index: number): T | undefined {
    return this.items.splice(this.head + index, 1)[0];
  }

  /** Removes and returns every element, front first. */
  drain(): T[] {
    const all = this.items.slice(this.head) as T[];
    this.items = [];
    this.head = 0;
    return all;
  }

  private compact(): void {
    this.moved += this.items.length - this.head;
    this.items = this.items.slice(this.head);
    this.head = 0;
  }
}

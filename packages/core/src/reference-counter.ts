import type { MemoryStore, Slot } from "./memory-store.js";
import type { RefTracker } from "./object-ref.js";

/** How many holders an object has in this process. */
export interface RefCounts {
  local: number;
  /** Pending tasks that take the object as an argument, and values that contain it. */
  pins: number;
  /** Other processes that hold the object (owner side). */
  borrowers: number;
}

/** A borrowed object's counts (and an owned object's whose memory-store entry is gone). */
interface RefEntry extends RefCounts {
  owned: boolean;
  owner: string;
}

/** The owners of borrowed objects, as the reference counter tells them (peers, in production). */
export interface BorrowChannel {
  /** Registers this process with the owner as a borrower; settles once the owner acknowledged. */
  addBorrow(objectId: string, owner: string): Promise<unknown>;
  /** Tells the owner this process dropped its last reference (no answer awaited). */
  removeBorrow(objectId: string, owner: string): void;
}

/**
 * Counts the references this process holds: live ObjectRef instances (tracked by a
 * FinalizationRegistry), pins (pending tasks, containing values) and, for objects it
 * owns, other processes that borrow them. At zero an owned object is freed and a
 * borrowed one is released to its owner. It registers this process as a borrower with
 * the owner of each object it borrows, and knows which registrations are unacknowledged.
 *
 * An owned object's counts live on its memory-store entry (one table per object on the
 * submission path); a table of its own holds borrowed objects, and owned ones whose entry
 * is gone (a ref to a freed object that came back inside a value).
 */
export class ReferenceCounter implements RefTracker {
  private readonly entries = new Map<string, RefEntry>();
  private readonly pendingBorrows = new Set<Promise<unknown>>();

  constructor(
    private readonly selfAddress: string,
    private readonly store: MemoryStore,
    private readonly owners: BorrowChannel,
    /** An owned object has no references left: free every copy (and delete its memory-store entry). */
    private readonly free: (objectId: string) => void,
  ) {}

  addLocal(objectId: string, owner: string): void {
    this.counts(objectId, owner).local++;
  }

  removeLocal(objectId: string): void {
    const c = this.find(objectId);
    if (c === undefined) return;
    c.local--;
    this.check(objectId, c);
  }

  addLocalOwned(slot: Slot): void {
    slot.local++;
  }

  removeLocalOwned(slot: Slot): void {
    if (slot.deleted) return;
    slot.local--;
    this.check(slot.id, slot);
  }

  pin(objectId: string, owner: string): void {
    this.counts(objectId, owner).pins++;
  }

  unpin(objectId: string): void {
    const c = this.find(objectId);
    if (c === undefined) return;
    c.pins--;
    this.check(objectId, c);
  }

  addBorrower(objectId: string): boolean {
    const c = this.findOwned(objectId);
    if (c === undefined) return false;
    c.borrowers++;
    return true;
  }

  removeBorrower(objectId: string): void {
    const c = this.findOwned(objectId);
    if (c === undefined) return;
    c.borrowers--;
    this.check(objectId, c);
  }

  /** Objects this process owns that something still references. */
  ownedCount(): number {
    let n = this.store.size();
    for (const e of this.entries.values()) if (e.owned) n++;
    return n;
  }

  size(): number {
    return this.store.size() + this.entries.size;
  }

  /** Whether borrow registrations are still unacknowledged (`flushBorrows` would wait). */
  borrowsPending(): boolean {
    return this.pendingBorrows.size > 0;
  }

  /** Waits until borrow registrations sent so far are acknowledged by their owners. */
  async flushBorrows(): Promise<void> {
    if (this.pendingBorrows.size === 0) return;
    await Promise.allSettled([...this.pendingBorrows]);
  }

  /** Objects held here that another process owns, with their counts and owner (the state API's objects). */
  *borrowed(): IterableIterator<[string, RefCounts & { owner: string }]> {
    for (const [id, e] of this.entries) if (!e.owned) yield [id, e];
  }

  /** Borrowed objects of a given owner (used when that owner dies). */
  borrowedFrom(owner: string): string[] {
    const ids: string[] = [];
    for (const [id, e] of this.entries) if (!e.owned && e.owner === owner) ids.push(id);
    return ids;
  }

  private find(objectId: string): RefCounts | undefined {
    return this.store.slot(objectId) ?? this.entries.get(objectId);
  }

  private findOwned(objectId: string): RefCounts | undefined {
    const c = this.find(objectId);
    return c === undefined || ("owned" in c && !(c as RefEntry).owned) ? undefined : c;
  }

  private counts(objectId: string, owner: string): RefCounts {
    const owned = owner === this.selfAddress;
    if (owned) {
      const slot = this.store.slot(objectId);
      if (slot !== undefined) return slot;
    }
    let e = this.entries.get(objectId);
    if (e === undefined) {
      e = { owned, owner, local: 0, pins: 0, borrowers: 0 };
      this.entries.set(objectId, e);
      if (!owned) this.sendBorrow(objectId, owner);
    }
    return e;
  }

  private check(objectId: string, c: RefCounts): void {
    if (c.local > 0 || c.pins > 0 || c.borrowers > 0) return;
    if (!("owned" in c)) {
      this.free(objectId); // the memory-store entry: `free` deletes it
      return;
    }
    const e = c as RefEntry;
    this.entries.delete(objectId);
    if (e.owned) this.free(objectId);
    else this.owners.removeBorrow(objectId, e.owner);
  }

  private sendBorrow(objectId: string, owner: string): void {
    const p = this.owners.addBorrow(objectId, owner);
    this.pendingBorrows.add(p);
    p.then(
      () => this.pendingBorrows.delete(p),
      () => this.pendingBorrows.delete(p),
    );
  }
}

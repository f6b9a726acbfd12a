import type { RefTracker } from "./object-ref.js";

interface RefEntry {
  owned: boolean;
  owner: string;
  local: number;
  /** Pending tasks that take the object as an argument, and values that contain it. */
  pins: number;
  /** Other processes that hold the object (owner side). */
  borrowers: number;
}

export interface ReferenceCounterHooks {
  /** An owned object has no references left: free every copy. */
  free(objectId: string): void;
  /** This process took its first reference to a borrowed object. */
  borrow(objectId: string, owner: string): void;
  /** This process dropped its last reference to a borrowed object. */
  unborrow(objectId: string, owner: string): void;
}

/**
 * Counts the references this process holds: live ObjectRef instances (tracked by a
 * FinalizationRegistry), pins (pending tasks, containing values) and, for objects it
 * owns, other processes that borrow them. At zero an owned object is freed and a
 * borrowed one is released to its owner.
 */
export class ReferenceCounter implements RefTracker {
  private readonly entries = new Map<string, RefEntry>();

  constructor(
    private readonly selfAddress: string,
    private readonly hooks: ReferenceCounterHooks,
  ) {}

  addLocal(objectId: string, owner: string): void {
    this.entry(objectId, owner).local++;
  }

  removeLocal(objectId: string): void {
    const e = this.entries.get(objectId);
    if (e === undefined) return;
    e.local--;
    this.check(objectId, e);
  }

  pin(objectId: string, owner: string): void {
    this.entry(objectId, owner).pins++;
  }

  unpin(objectId: string): void {
    const e = this.entries.get(objectId);
    if (e === undefined) return;
    e.pins--;
    this.check(objectId, e);
  }

  addBorrower(objectId: string): boolean {
    const e = this.entries.get(objectId);
    if (e === undefined || !e.owned) return false;
    e.borrowers++;
    return true;
  }

  removeBorrower(objectId: string): void {
    const e = this.entries.get(objectId);
    if (e === undefined || !e.owned) return;
    e.borrowers--;
    this.check(objectId, e);
  }

  has(objectId: string): boolean {
    return this.entries.has(objectId);
  }

  /** Objects this process owns that something still references. */
  ownedCount(): number {
    let n = 0;
    for (const e of this.entries.values()) if (e.owned) n++;
    return n;
  }

  size(): number {
    return this.entries.size;
  }

  /** Borrowed objects of a given owner (used when that owner dies). */
  borrowedFrom(owner: string): string[] {
    const ids: string[] = [];
    for (const [id, e] of this.entries) if (!e.owned && e.owner === owner) ids.push(id);
    return ids;
  }

  private entry(objectId: string, owner: string): RefEntry {
    let e = this.entries.get(objectId);
    if (e === undefined) {
      const owned = owner === this.selfAddress;
      e = { owned, owner, local: 0, pins: 0, borrowers: 0 };
      this.entries.set(objectId, e);
      if (!owned) this.hooks.borrow(objectId, owner);
    }
    return e;
  }

  private check(objectId: string, e: RefEntry): void {
    if (e.local > 0 || e.pins > 0 || e.borrowers > 0) return;
    this.entries.delete(objectId);
    if (e.owned) this.hooks.free(objectId);
    else this.hooks.unborrow(objectId, e.owner);
  }
}

import type { Clock, TimerHandle } from "@lux/protocol";
import type { MemoryStore, Slot } from "./memory-store.js";
import type { Blocking, ObjectGetter } from "./object-getter.js";
import { ObjectRef } from "./object-ref.js";

export interface WaitOptions {
  numReturns: number;
  timeoutMs: number | undefined;
  /** The error for an element that is not an ObjectRef (checked in the same pass). */
  notARef: (index: number, value: unknown) => Error;
}

export interface ObjectWaiterDeps {
  selfAddress: string;
  memory: MemoryStore;
  /** Finds when objects owned elsewhere have a value. */
  getter: Pick<ObjectGetter, "locate">;
  blocking: Blocking;
  /** Times `wait`'s timeout. */
  clock: Clock;
}

type Answer = [ObjectRef[], ObjectRef[]];

/** What `wait`'s validating pass found, for the blocking part. */
interface Scan {
  mark: number;
  solo: boolean;
  ready: number;
  pendingOwned: number;
  /** Refs without an entry here (owned elsewhere, or freed): index by object id. */
  others: Map<string, number> | undefined;
}

/** `lux.wait`: which refs are ready, without fetching their values. */
export class ObjectWaiter {
  /** Counts `wait` calls: each call's mark on the slots it scans. */
  private waitCalls = 0;
  /** The remainder the last `wait` returned (all owned here, checked) and a copy of what it held then. */
  private lastWait: { rest: readonly ObjectRef[]; copy: ObjectRef[] } | undefined;
  private forgetScheduled = false;

  constructor(private readonly deps: ObjectWaiterDeps) {}

  /**
   * Ready refs first, in input order. Costs O(refs) plain field reads per call and O(1) per
   * object that becomes ready, since waiting one result at a time on a long list of refs is
   * the common use (a set or closure per ref per call made that loop quadratic in allocations).
   * Duplicate refs are rejected (they would make `numReturns` ambiguous).
   */
  wait(refs: readonly ObjectRef[], opts: WaitOptions): Answer | Promise<Answer> {
    const again = this.waitAgain(refs, opts.numReturns);
    if (again !== undefined) return again;
    const mark = ++this.waitCalls;
    const self = this.deps.selfAddress;
    const memory = this.deps.memory;
    // The first watcher marks its slots; a wait that overlaps it keeps a set of its own.
    const solo = !memory.watched();
    let ready = 0;
    let pendingOwned = 0;
    let others: Map<string, number> | undefined;
    // Indices of the first `numReturns` refs ready now: when there are enough (the common
    // case when draining a list one at a time) they are the answer, cut out with native copies.
    const readyAt: number[] = [];
    for (let i = 0; i < refs.length; i++) {
      const ref: unknown = refs[i];
      if (!(ref instanceof ObjectRef)) throw opts.notARef(i, ref);
      const slot = ref.ownerAddress === self ? memory.slotOf(ref) : undefined;
      if (slot !== undefined) {
        if (!memory.markSeen(slot, mark)) throw duplicateRef(ref);
        if (slot.value !== undefined) {
          if (ready++ < opts.numReturns) readyAt.push(i);
          continue;
        }
        pendingOwned++;
        if (solo) memory.markWatched(slot, mark);
      } else {
        others ??= new Map();
        if (others.has(ref.objectId)) throw duplicateRef(ref);
        others.set(ref.objectId, i);
      }
    }
    if (ready >= opts.numReturns || opts.timeoutMs === 0) return others === undefined ? this.remember(splitAt(refs, readyAt)) : splitAt(refs, readyAt);
    return this.waitMore(refs, opts, { mark, solo, ready, pendingOwned, others });
  }

  /** The blocking part of `wait`: until enough refs are ready or the timeout passes. */
  private async waitMore(refs: readonly ObjectRef[], opts: WaitOptions, scan: Scan): Promise<Answer> {
    const { mark, solo, pendingOwned, others } = scan;
    let ready = scan.ready;
    const readyOthers = new Set<number>();
    this.deps.blocking.enter();
    let unwatch: (() => void) | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        let timer: TimerHandle | undefined;
        const oneMore = (): void => {
          if (++ready < opts.numReturns) return;
          timer?.cancel();
          resolve();
        };
        if (opts.timeoutMs !== undefined) timer = this.deps.clock.setTimeout(resolve, opts.timeoutMs);
        if (pendingOwned > 0) unwatch = this.watchOwned(refs, mark, solo, oneMore);
        if (others !== undefined) {
          for (const i of others.values()) {
            this.deps.getter.locate(refs[i] as ObjectRef).then(
              () => {
                readyOthers.add(i);
                oneMore();
              },
              (e: unknown) => {
                timer?.cancel();
                reject(e as Error);
              },
            );
          }
        }
      });
    } finally {
      unwatch?.();
      this.deps.blocking.leave();
    }
    return this.answer(refs, readyOthers, opts.numReturns);
  }

  /** Calls `oneMore` once for each pending owned ref of this wait call whose value becomes known. */
  private watchOwned(refs: readonly ObjectRef[], mark: number, solo: boolean, oneMore: () => void): () => void {
    const self = this.deps.selfAddress;
    const memory = this.deps.memory;
    let watched: Set<Slot> | undefined;
    if (!solo) {
      watched = new Set();
      for (const ref of refs) {
        const slot = ref.ownerAddress === self ? memory.slotOf(ref) : undefined;
        if (slot !== undefined && slot.value === undefined) watched.add(slot);
      }
    }
    return memory.watch((slot) => {
      // Counted once: a value can be set again (a lost copy, a new location).
      if (watched === undefined ? !memory.takeWatched(slot, mark) : !watched.delete(slot)) return;
      oneMore();
    });
  }

  /** Ready refs (at most `numReturns`) first, in input order, once the blocking part is over. */
  private answer(refs: readonly ObjectRef[], readyOthers: ReadonlySet<number>, numReturns: number): Answer {
    const self = this.deps.selfAddress;
    const memory = this.deps.memory;
    const r: ObjectRef[] = [];
    const n: ObjectRef[] = [];
    for (let i = 0; i < refs.length; i++) {
      const ref = refs[i] as ObjectRef;
      const isReady = ref.ownerAddress === self && memory.slotOf(ref)?.value !== undefined ? true : readyOthers.has(i);
      (isReady && r.length < numReturns ? r : n).push(ref);
    }
    return [r, n];
  }

  /**
   * The answer to a `wait` on the remainder the previous one returned (the drain loop), when
   * enough of its refs are ready: those refs were checked then (ObjectRefs owned here, no
   * duplicates), so only the ready ones at the front are looked at instead of every ref.
   * `undefined`: take the full path.
   */
  private waitAgain(refs: readonly ObjectRef[], numReturns: number): Answer | undefined {
    const last = this.lastWait;
    if (last === undefined || last.rest !== refs || last.copy.length !== refs.length) return undefined;
    // The caller may have changed the array since: it must still hold the same refs.
    const copy = last.copy;
    for (let i = 0; i < refs.length; i++) if (refs[i] !== copy[i]) return undefined;
    const memory = this.deps.memory;
    const readyAt: number[] = [];
    for (let i = 0; i < refs.length && readyAt.length < numReturns; i++) {
      const slot = memory.slotOf(refs[i] as ObjectRef);
      if (slot === undefined) return undefined;
      if (slot.value !== undefined) readyAt.push(i);
    }
    if (readyAt.length < numReturns) return undefined;
    const answer = splitAt(refs, readyAt);
    if (readyAt.length <= 16) {
      for (let j = readyAt.length - 1; j >= 0; j--) copy.splice(readyAt[j] as number, 1);
      last.rest = answer[1];
    } else {
      this.lastWait = { rest: answer[1], copy: answer[1].slice() };
    }
    return answer;
  }

  /**
   * Keeps the remainder of an answer about owned refs, and a private copy of it, for the
   * next call's `waitAgain`: until the end of this event-loop turn, so the refs in the copy
   * are not kept alive past the caller's loop.
   */
  private remember(answer: Answer): Answer {
    this.lastWait = { rest: answer[1], copy: answer[1].slice() };
    if (!this.forgetScheduled) {
      this.forgetScheduled = true;
      setImmediate(() => {
        this.forgetScheduled = false;
        this.lastWait = undefined;
      });
    }
    return answer;
  }
}

/** `[refs at the (ascending) indices, the other refs]`, both in input order. */
function splitAt(refs: readonly ObjectRef[], indices: readonly number[]): Answer {
  const picked = indices.map((i) => refs[i] as ObjectRef);
  if (indices.length <= 16) {
    const rest = refs.slice();
    for (let j = indices.length - 1; j >= 0; j--) rest.splice(indices[j] as number, 1);
    return [picked, rest];
  }
  const rest: ObjectRef[] = [];
  for (let i = 0, j = 0; i < refs.length; i++) {
    if (i === indices[j]) j++;
    else rest.push(refs[i] as ObjectRef);
  }
  return [picked, rest];
}

function duplicateRef(ref: ObjectRef): TypeError {
  return new TypeError(`lux.wait(): ${ref.toString()} appears more than once; pass each ref once`);
}

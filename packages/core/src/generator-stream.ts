import type { GeneratorItem, GeneratorSpec } from "@lux/protocol";
import { newPutObjectId, objectIdFor } from "@lux/common";
import type { ObjectValue, Slot } from "./memory-store.js";
import type { ObjectManager } from "./object-manager.js";
import { ObjectRef } from "./object-ref.js";

/** The owner's answer to a worker's item: run the generator on, or stop it. */
export interface ItemReply {
  stop: boolean;
}

export const GO: ItemReply = Object.freeze({ stop: false });
export const STOP: ItemReply = Object.freeze({ stop: true });

/**
 * The value of an index past the stream's end: it wakes whoever waits on that index (a
 * `next()`, a `wait`) to find the stream ended. Nobody reads it as an object.
 */
const NIL = Uint8Array.of(0xc0); // msgpack nil
const END: ObjectValue = Object.freeze({ kind: "inline", bytes: NIL });

const DONE: IteratorResult<ObjectRef> = Object.freeze({ done: true, value: undefined });

/** A report the owner answers later: the consumer must take more before the worker goes on. */
interface HeldReport {
  index: number;
  resolve(reply: ItemReply): void;
}

/**
 * The owner's side of one streaming generator task: the items its worker reported, in order,
 * each an object owned here (item `i` is the task's return `i + 1`; return 0 is the task's
 * completion). Items not handed out yet are pinned here; `next()` hands them out in order.
 *
 * Backpressure (`generatorBackpressureNumObjects: n`): the worker waits for the reply to each
 * item before running the generator on, and the reply to item `i` comes once the consumer has
 * taken `i + 2 - n` items, so the worker never holds more than `n` items the consumer has not
 * taken. `close()` (the consumer's `return()`, or the generator dropped) answers every report
 * from then on with `stop`, and frees the items not handed out.
 */
export class GeneratorStream {
  /** Items reported so far: indices [0, received). */
  private received = 0;
  /** Indices `next()` was asked for: each call takes the next one. */
  private requested = 0;
  /** Items handed to the consumer (what backpressure counts). */
  private taken = 0;
  /** Items in all (an error item included) once the task ended; undefined while it runs. */
  private count: number | undefined;
  private closed = false;
  /** Pinned entries of indices not handed out: items that came, and indices asked for before they came. */
  private readonly slots = new Map<number, Slot>();
  private held: HeldReport[] = [];

  constructor(
    readonly taskId: string,
    /** The task's generator spec: `skip` follows what came, so a retry reports only what is new. */
    private readonly spec: GeneratorSpec,
    private readonly objects: ObjectManager,
    /** Called once the task ended: no report can come any more. */
    private readonly onEnd: () => void,
  ) {}

  /** The consumer took all there is, or closed it: `next()` resolves done at once. */
  get finished(): boolean {
    return this.closed || (this.count !== undefined && this.requested >= this.count);
  }

  /** The worker reported item `item.index`; the reply says whether and when it may go on. */
  report(item: GeneratorItem, objectId: string, releaseContained: () => void): ItemReply | Promise<ItemReply> {
    // Items this owner has already (a retry re-ran the generator through them) are not taken again.
    if (item.index < this.received) return this.admit(item.index);
    if (this.closed || this.count !== undefined || item.index > this.received) {
      this.objects.discard(objectId, item.nodeId);
      return STOP;
    }
    const slot = this.slotAt(item.index);
    this.received++;
    this.spec.skip = this.received;
    const value: ObjectValue =
      item.nodeId === undefined ? { kind: "inline", bytes: item.value ?? NIL } : { kind: "stored", nodeId: item.nodeId, size: item.size ?? 0 };
    this.objects.memory.setSlot(slot, value);
    if (item.nodeId !== undefined) this.objects.directory.checkStored([objectId]);
    if (item.contained !== undefined && item.contained.length > 0) {
      this.objects.putter.pinContained(objectId, item.contained);
      void this.objects.refs.flushBorrows().then(releaseContained);
    }
    return this.admit(item.index);
  }

  /** The next item's ref, in order, once the worker yielded it; done once the task ended and every item was taken. */
  next(): Promise<IteratorResult<ObjectRef>> {
    if (this.finished) return Promise.resolve(DONE);
    const index = this.requested++;
    const slot = this.slotAt(index);
    if (slot.value !== undefined) return Promise.resolve(this.take(index, slot));
    const blocking = this.objects.blocking;
    blocking.enter();
    return new Promise((resolve) => {
      this.objects.memory.addWaiter(slot, () => {
        blocking.leave();
        resolve(this.take(index, slot));
      });
    });
  }

  /**
   * A ref `lux.wait` can watch for this stream: the entry of the next item (ready once it
   * came, or once the stream ended without it), or a ready one when nothing is left to wait for.
   */
  waitRef(): ObjectRef {
    const self = this.objects.selfAddress;
    if (this.finished) {
      const id = newPutObjectId();
      return new ObjectRef(id, self, this.objects.memory.put(id, END));
    }
    const slot = this.slotAt(this.requested);
    return new ObjectRef(slot.id, self, slot);
  }

  /**
   * The task ended (`v`: its completion's value). After a failure one more item holds the
   * error; indices past the last item are marked ended, so their waiters find the end.
   */
  ended(v: ObjectValue): void {
    if (this.count !== undefined) return;
    let count = this.received;
    if (v.kind === "error" && !this.closed) this.objects.memory.setSlot(this.slotAt(count++), v);
    this.count = count;
    for (const [index, slot] of [...this.slots]) {
      if (index < count) continue;
      this.objects.memory.setSlot(slot, END);
      this.unpin(index);
    }
    this.answerHeld();
    this.onEnd();
  }

  /** The consumer is done with it (`return()`, or the generator was collected): the worker stops, what was not taken is freed. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const [index, slot] of [...this.slots]) {
      if (slot.value === undefined) this.objects.memory.setSlot(slot, END);
      this.unpin(index);
    }
    this.answerHeld();
  }

  /** The ref of item `index` for the consumer (done if the stream ended or closed before it). */
  private take(index: number, slot: Slot): IteratorResult<ObjectRef> {
    if (this.closed || (this.count !== undefined && index >= this.count)) return DONE;
    const ref = new ObjectRef(slot.id, this.objects.selfAddress, slot);
    this.unpin(index);
    if (index >= this.taken) {
      this.taken = index + 1;
      if (this.held.length > 0) this.answerHeld();
    }
    return { done: false, value: ref };
  }

  /** The reply to item `index`: at once, or once the consumer took enough (backpressure). */
  private admit(index: number): ItemReply | Promise<ItemReply> {
    if (this.closed || this.count !== undefined) return STOP;
    if (this.mayGoOn(index)) return GO;
    return new Promise((resolve) => this.held.push({ index, resolve }));
  }

  private mayGoOn(index: number): boolean {
    const n = this.spec.backpressure;
    return n === 0 || this.taken >= index + 2 - n;
  }

  /** Answers the held reports whose turn came (all of them, with stop, once the stream ended or closed). */
  private answerHeld(): void {
    const over = this.closed || this.count !== undefined;
    const still: HeldReport[] = [];
    for (const h of this.held) {
      if (over) h.resolve(STOP);
      else if (this.mayGoOn(h.index)) h.resolve(GO);
      else still.push(h);
    }
    this.held = still;
  }

  /** The pinned entry of index `index`, made pending if it has none. */
  private slotAt(index: number): Slot {
    let slot = this.slots.get(index);
    if (slot === undefined) {
      const id = objectIdFor(this.taskId, index + 1);
      slot = this.objects.memory.createPending(id);
      this.objects.refs.pin(id, this.objects.selfAddress);
      this.slots.set(index, slot);
    }
    return slot;
  }

  private unpin(index: number): void {
    const slot = this.slots.get(index);
    if (slot === undefined) return;
    this.slots.delete(index);
    this.objects.refs.unpin(slot.id);
  }
}

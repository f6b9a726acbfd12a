/**
 * Ids are lowercase hex strings of fixed length per kind.
 *
 * Task ids (and the bases of put object ids) are a per-process random 8-byte prefix
 * plus a 4-byte counter: unique within the process by construction, and across
 * processes with the odds of a 64-bit random collision. Rarer ids (jobs, nodes,
 * workers, actors) are fully random. Object ids are a task id plus a 4-byte index,
 * so a task's return objects are known before it runs. Ids are not uniformly
 * distributed: hash them before using their characters to shard.
 */
import { randomFillSync } from "node:crypto";

export type JobId = string;
export type NodeId = string;
export type WorkerId = string;
export type ActorId = string;
export type TaskId = string;
export type ObjectId = string;

/** Length in hex characters of each id kind. */
export const ID_HEX_LENGTH = {
  job: 16,
  node: 32,
  worker: 32,
  actor: 32,
  task: 24,
  object: 32,
} as const;

/** Largest return index objectIdFor accepts. */
export const MAX_RETURN_INDEX = 0xfffffffe;
/** Index part of every put object id. */
const PUT_INDEX_HEX = "ffffffff";

const POOL_SIZE = 4096;
const pool = Buffer.allocUnsafe(POOL_SIZE);
let poolOffset = POOL_SIZE;

function randomHex(bytes: number): string {
  if (poolOffset + bytes > POOL_SIZE) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const hex = pool.toString("hex", poolOffset, poolOffset + bytes);
  poolOffset += bytes;
  return hex;
}

/** Two hex digits of each byte value (the counter's last byte in an id). */
const BYTE_HEX = Array.from({ length: 256 }, (_, i) => (i < 16 ? "0" : "") + i.toString(16));

/** A series of 24-hex unique bases: random prefix (16 hex) + counter (8 hex). */
class IdSeries {
  private prefix = "";
  private counter = 0x1_0000_0000; // forces a fresh prefix on first use
  /**
   * The prefix and the counter's first six hex digits, shared by the 256 ids in a row that
   * differ only in its last two: an id is one concatenation of two strings that exist
   * already (~32 bytes; prefix + hex8(n) also made an 8-character string per id, ~24 more).
   */
  private block = "";
  /** Every prefix this series used, when asked to remember them (see `made`). */
  private readonly prefixes: Set<string> | undefined;

  constructor(remember: boolean) {
    this.prefixes = remember ? new Set() : undefined;
  }

  next(): string {
    if (this.counter > 0xffffffff) {
      this.prefix = randomHex(8);
      this.counter = 0;
      this.prefixes?.add(this.prefix);
    }
    const n = this.counter++;
    const low = n & 0xff;
    if (low === 0) this.block = this.prefix + hex8(n).slice(0, 6);
    return this.block + (BYTE_HEX[low] as string);
  }

  /** Whether this series (one that remembers its prefixes) made `base`. */
  made(base: string): boolean {
    return this.prefixes?.has(base.slice(0, 16)) === true;
  }
}

const bases = new IdSeries(false);
/** Actor calls' task ids: a series of their own, so their owner tells them apart (force cancel). */
const actorCalls = new IdSeries(true);

function nextBase(): string {
  return bases.next();
}

function hex8(n: number): string {
  const h = n.toString(16);
  return h.length === 8 ? h : "00000000".slice(h.length) + h;
}

/** hex8 of the first return indices, made once: a task's return ids share them (no string per id). */
const RETURN_SUFFIXES = Array.from({ length: 16 }, (_, i) => hex8(i));

export function newJobId(): JobId {
  return randomHex(8);
}

export function newNodeId(): NodeId {
  return randomHex(16);
}

export function newWorkerId(): WorkerId {
  return randomHex(16);
}

export function newActorId(): ActorId {
  return randomHex(16);
}

export function newTaskId(): TaskId {
  return nextBase();
}

/** A task id for an actor method call (unique like newTaskId's). */
export function newActorCallTaskId(): TaskId {
  return actorCalls.next();
}

/**
 * Whether this process made `taskId` with newActorCallTaskId: the owner of a ref to an actor
 * call's result knows it is one, even after the call finished.
 */
export function isOwnActorCallTaskId(taskId: TaskId): boolean {
  return actorCalls.made(taskId);
}

/** The ids of a task's return objects (made when asked: a task spec holds only their count). */
export function returnIdsOf(taskId: TaskId, numReturns: number): ObjectId[] {
  const ids = new Array<ObjectId>(numReturns);
  for (let i = 0; i < numReturns; i++) ids[i] = objectIdFor(taskId, i);
  return ids;
}

/** The id of return value `index` (0-based) of task `taskId`; the same inputs give the same id. */
export function objectIdFor(taskId: TaskId, index: number): ObjectId {
  if (taskId.length !== ID_HEX_LENGTH.task) {
    throw new RangeError(`objectIdFor: task id must be ${ID_HEX_LENGTH.task} hex characters, got ${JSON.stringify(taskId)}`);
  }
  if (!Number.isInteger(index) || index < 0 || index > MAX_RETURN_INDEX) {
    throw new RangeError(`objectIdFor: return index must be an integer from 0 to ${MAX_RETURN_INDEX}, got ${index}`);
  }
  return taskId + (index < RETURN_SUFFIXES.length ? (RETURN_SUFFIXES[index] as string) : hex8(index));
}

/** A fresh id for an object created by put(); never equal to a task's return object id. */
export function newPutObjectId(): ObjectId {
  return nextBase() + PUT_INDEX_HEX;
}

/** Whether `objectId` was made by newPutObjectId. */
export function isPutObjectId(objectId: ObjectId): boolean {
  return objectId.length === ID_HEX_LENGTH.object && objectId.endsWith(PUT_INDEX_HEX);
}

/** The task that returns `objectId`, or undefined for a put object. */
export function taskIdOfObject(objectId: ObjectId): TaskId | undefined {
  return isPutObjectId(objectId) ? undefined : objectId.slice(0, ID_HEX_LENGTH.task);
}

/** The return index of `objectId`, or undefined for a put object. */
export function returnIndexOfObject(objectId: ObjectId): number | undefined {
  return isPutObjectId(objectId) ? undefined : Number.parseInt(objectId.slice(ID_HEX_LENGTH.task), 16);
}

const HEX = /^[0-9a-f]+$/;
/** Whether `value` is a well-formed id of `kind` (for checking input from peers). */
export function isId(kind: keyof typeof ID_HEX_LENGTH, value: unknown): value is string {
  return typeof value === "string" && value.length === ID_HEX_LENGTH[kind] && HEX.test(value);
}

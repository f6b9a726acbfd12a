/**
 * Arrays whose memory other processes of the node can map (`sharedArray`), as NCCL's
 * user-buffer registration: an allreduce among ranks of one node that all pass such arrays
 * reads and writes the arrays themselves, with no copy into and out of message slots.
 *
 * An array's memory is a file of its own in /dev/shm, mapped shared by the addon that maps
 * the object store's arena, unlinked as soon as it is mapped (nothing is left behind however
 * the process ends). Peers map it through this process's /proc/PID/fd/N and check the nonce
 * and size written in the file's first page (as slot-file.ts does), so they never map another
 * process's file. The mapping lives as long as the array's ArrayBuffer (a WeakMap keeps the
 * addon's mapping object, whose collection unmaps it, alive with the buffer); the file
 * descriptor closes once the buffer is collected, and the groups the array was registered
 * with tell their peers so at their next allreduce, who then unmap their mappings of it.
 */
import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { loadShmAddon, type ShmAddon } from "@lux/core/internal";
import { sharedMemoryAvailable } from "./slot-file.js";
import type { CollectiveArray } from "./typed-arrays.js";

const SHM_DIR = "/dev/shm";
/** The nonce and size live here; the array starts after (page aligned: aligned for any element type). */
const HEADER_BYTES = 4096;
/** sharedView's limit (V8's for an external ArrayBuffer). */
export const MAX_SHARED_BYTES = 2 ** 31;
/** The size is written after the nonce (36 characters), at this offset, as 16 decimal digits. */
const SIZE_AT = 64;
const SIZE_DIGITS = 16;
/** Zeros written at a time when the file is made (so a full /dev/shm fails there, not as SIGBUS later). */
const FILL_BYTES = 1024 * 1024;

/** Where a peer finds a shared array: its region (file), and the array's place in it. */
export interface SharedRef {
  /** /proc/PID/fd/N of the owner. */
  path: string;
  nonce: string;
  /** Bytes of the region (the array's whole buffer). */
  bytes: number;
  /** The array's byte offset in the region. */
  offset: number;
}

interface Region {
  /** The addon's shared mapping: collected (and unmapped) with the region. */
  readonly mapping: object;
  readonly path: string;
  readonly nonce: string;
  readonly bytes: number;
  /** The group the array is registered with. */
  readonly groupName: string;
}

/** Each shared array's buffer → its region (kept alive by the buffer). */
const regions = new WeakMap<ArrayBuffer, Region>();
/** Nonces of regions collected here, by group: told to the group's peers at its next allreduce. */
const freedByGroup = new Map<string, string[]>();
const collected = new FinalizationRegistry<{ fd: number; nonce: string; groupName: string }>(({ fd, nonce, groupName }) => {
  fs.close(fd, () => undefined);
  const freed = freedByGroup.get(groupName);
  if (freed === undefined) freedByGroup.set(groupName, [nonce]);
  else freed.push(nonce);
});

function addon(): ShmAddon | undefined {
  const loaded = loadShmAddon();
  return "addon" in loaded && typeof loaded.addon.sharedView === "function" ? loaded.addon : undefined;
}

/** Whether sharedArray gives arrays in shared memory here (Linux's /dev/shm and /proc, and the addon). */
export function sharedArraysAvailable(): boolean {
  return sharedMemoryAvailable() && addon() !== undefined;
}

type Ctor<A extends CollectiveArray> = { new (buffer: ArrayBuffer, byteOffset: number, length: number): A; readonly BYTES_PER_ELEMENT: number };

/**
 * A new array of `length` zeros of `ctor`'s type in a region other processes of this node can
 * map, registered with `groupName`; undefined when this system cannot (the caller then makes
 * an ordinary array).
 */
export function makeSharedArray<A extends CollectiveArray>(ctor: Ctor<A>, length: number, groupName: string): A | undefined {
  const maps = addon();
  if (maps === undefined || !sharedMemoryAvailable()) return undefined;
  const bytes = length * ctor.BYTES_PER_ELEMENT;
  const file = path.join(SHM_DIR, `lux-shared-array-${process.pid}-${randomUUID()}`);
  const fd = fs.openSync(file, "w+", 0o600);
  try {
    const nonce = randomUUID();
    const header = Buffer.alloc(HEADER_BYTES);
    header.write(nonce, 0, "utf8");
    header.write(String(bytes).padStart(SIZE_DIGITS, "0"), SIZE_AT, "utf8");
    fs.writeSync(fd, header, 0, HEADER_BYTES, 0);
    // Writing the zeros takes the pages now: a /dev/shm too small fails here (ENOSPC), where a
    // file only truncated to size would crash the process (SIGBUS) at its first touch of a page
    // that tmpfs cannot give.
    const zeros = Buffer.alloc(Math.min(FILL_BYTES, bytes));
    for (let at = 0; at < bytes; at += zeros.byteLength) fs.writeSync(fd, zeros, 0, Math.min(zeros.byteLength, bytes - at), HEADER_BYTES + at);
    const mapping = maps.map(file, HEADER_BYTES + bytes, true);
    fs.unlinkSync(file);
    const buffer = maps.sharedView(mapping, HEADER_BYTES, bytes);
    regions.set(buffer, { mapping, path: `/proc/${process.pid}/fd/${fd}`, nonce, bytes, groupName });
    collected.register(buffer, { fd, nonce, groupName });
    return new ctor(buffer, 0, length);
  } catch (e) {
    fs.closeSync(fd);
    fs.rmSync(file, { force: true });
    throw e;
  }
}

/** Where peers find `arr`, when it is a shared array registered with `groupName`. */
export function sharedRefOf(arr: CollectiveArray, groupName: string): SharedRef | undefined {
  const region = arr.buffer instanceof ArrayBuffer ? regions.get(arr.buffer) : undefined;
  if (region === undefined || region.groupName !== groupName) return undefined;
  return { path: region.path, nonce: region.nonce, bytes: region.bytes, offset: arr.byteOffset };
}

/** The nonces of `groupName`'s shared arrays collected since the last call (peers unmap them). */
export function takeFreed(groupName: string): string[] {
  const freed = freedByGroup.get(groupName) ?? [];
  freedByGroup.delete(groupName);
  return freed;
}

/** Puts back nonces takeFreed gave, when the call that carried them failed. */
export function requeueFreed(groupName: string, nonces: readonly string[]): void {
  if (nonces.length === 0) return;
  const freed = freedByGroup.get(groupName);
  if (freed === undefined) freedByGroup.set(groupName, [...nonces]);
  else freed.push(...nonces);
}

/** A peer's region mapped here. */
interface Mapped {
  readonly mapping: object;
  readonly buffer: ArrayBuffer;
  /** Operations using it now: it is unmapped only when none is. */
  users: number;
  dropped: boolean;
}

/**
 * One group's mappings of its peers' shared arrays, each mapped once and kept until its owner
 * says it was collected, the owner is lost, or the group is destroyed. A mapping in use by a
 * running operation is unmapped only once that operation lets go of it.
 */
export class PeerRegions {
  private readonly byRank = new Map<number, Map<string, Mapped>>();
  private closed = false;

  /**
   * Rank `rank`'s array `ref` as an array like `like` (same type and length), mapped here;
   * `release` it when the operation ends. Throws (RangeError) when it cannot be mapped.
   */
  acquire<A extends CollectiveArray>(rank: number, ref: SharedRef, like: A): { array: A; release: () => void } {
    if (this.closed) throw new RangeError("the group's shared-memory mappings are closed");
    let mine = this.byRank.get(rank);
    if (mine === undefined) this.byRank.set(rank, (mine = new Map()));
    let mapped = mine.get(ref.nonce);
    if (mapped === undefined) mine.set(ref.nonce, (mapped = mapRegion(ref)));
    if (ref.offset < 0 || ref.offset + like.byteLength > mapped.buffer.byteLength || ref.offset % like.BYTES_PER_ELEMENT !== 0) {
      throw new RangeError(`rank ${rank}'s array lies outside its shared memory (offset ${ref.offset}, ${like.byteLength} bytes of ${mapped.buffer.byteLength})`);
    }
    const ctor = like.constructor as Ctor<A>;
    const array = new ctor(mapped.buffer, ref.offset, like.length);
    const entry = mapped;
    entry.users++;
    let released = false;
    return {
      array,
      release: () => {
        if (released) return;
        released = true;
        entry.users--;
        if (entry.dropped && entry.users === 0) unmap(entry);
      },
    };
  }

  /** Rank `rank` collected these arrays (or is gone: all of them). */
  forget(rank: number, nonces?: readonly string[]): void {
    const mine = this.byRank.get(rank);
    if (mine === undefined) return;
    for (const nonce of nonces ?? [...mine.keys()]) {
      const mapped = mine.get(nonce);
      if (mapped === undefined) continue;
      mine.delete(nonce);
      drop(mapped);
    }
  }

  /** The arrays of these nonces were collected, whoever's they were. */
  forgetEverywhere(nonces: readonly string[]): void {
    for (const rank of this.byRank.keys()) this.forget(rank, nonces);
  }

  /** How many peers' regions are mapped (tests check mappings are reused and let go). */
  get size(): number {
    let n = 0;
    for (const mine of this.byRank.values()) n += mine.size;
    return n;
  }

  close(): void {
    this.closed = true;
    for (const rank of [...this.byRank.keys()]) this.forget(rank);
  }
}

function drop(mapped: Mapped): void {
  mapped.dropped = true;
  if (mapped.users === 0) unmap(mapped);
}

function unmap(mapped: Mapped): void {
  addon()?.unmap(mapped.mapping);
}

/** Maps the region `ref` names, after checking its header; RangeError when it cannot. */
function mapRegion(ref: SharedRef): Mapped {
  const maps = addon();
  if (maps === undefined) throw new RangeError("the shared-memory addon is not loaded in this process");
  if (!/^\/proc\/\d+\/fd\/\d+$/.test(ref.path) || !Number.isSafeInteger(ref.bytes) || ref.bytes <= 0 || ref.bytes > MAX_SHARED_BYTES) {
    throw new RangeError(`not a shared array's region: ${ref.path} of ${ref.bytes} bytes`);
  }
  // Checked through a read before mapping: a mapping longer than the file would crash the
  // process (SIGBUS) at its first touch past the end.
  const header = Buffer.alloc(SIZE_AT + SIZE_DIGITS);
  let fd: number;
  try {
    fd = fs.openSync(ref.path, "r");
  } catch (e) {
    throw new RangeError(`cannot open the peer's shared array at ${ref.path}: ${(e as Error).message}`);
  }
  try {
    fs.readSync(fd, header, 0, header.byteLength, 0);
    const size = fs.fstatSync(fd).size;
    const nonce = header.toString("utf8", 0, ref.nonce.length);
    const bytes = Number(header.toString("utf8", SIZE_AT, SIZE_AT + SIZE_DIGITS));
    if (nonce !== ref.nonce || bytes !== ref.bytes || size < HEADER_BYTES + bytes) {
      throw new RangeError(`${ref.path} is not the peer's shared array any more (its nonce or size differ)`);
    }
  } finally {
    fs.closeSync(fd);
  }
  const mapping = maps.map(ref.path, HEADER_BYTES + ref.bytes, true);
  // Again in the mapping: the owner may have closed that descriptor and opened another file
  // under its number in between.
  if (Buffer.from(maps.sharedView(mapping, 0, ref.nonce.length)).toString("utf8") !== ref.nonce) {
    maps.unmap(mapping);
    throw new RangeError(`${ref.path} is not the peer's shared array any more (its nonce differs)`);
  }
  return { mapping, buffer: maps.sharedView(mapping, HEADER_BYTES, ref.bytes), users: 0, dropped: false };
}

/**
 * Ranks of one node reading each other's arrays where they lie (Linux `process_vm_readv`,
 * through the object store's addon), instead of copying them through shared-memory slots: an
 * owner reduces straight from the other ranks' arrays, and they copy its result straight from
 * its array. For a large allreduce that moves about half the bytes the slots do (each slot
 * costs a copy in and a copy out), and memory traffic is what bounds it.
 *
 * The kernel allows such a read only where it would allow ptrace: same user, and Yama's
 * `ptrace_scope` (0 lets any process of the user; 1, Ubuntu's default, only an ancestor),
 * and the container's seccomp filter. Lux changes none of these (it never calls
 * PR_SET_PTRACER): a rank that dials a rank of its node tries one read of a probe the other
 * published, and only where that read works do the two use direct reads (see docs/security.md).
 */
import { randomBytes } from "node:crypto";
import { loadShmAddon, type ShmAddon } from "@lux/core/internal";

/**
 * Arrays of fewer bytes move in messages even between ranks that may read each other's: a
 * direct read costs a round trip more (where the array lies, then that the reads are done),
 * which small arrays do not win back.
 */
export const DIRECT_MIN_BYTES = 1024 * 1024;

/** What a rank publishes for ranks of its node to try reading it: where a probe lies, and what it holds. */
export interface DirectProbe {
  address: number;
  bytes: string;
}

/** What a rank and one peer of its node may read of each other's memory. */
export interface DirectAccess {
  /** The peer's process, when this rank reads the peer's memory in place. */
  readsPid: number | undefined;
  /** Whether the peer reads this rank's memory in place. */
  readByPeer: boolean;
}

export const NO_DIRECT_ACCESS: DirectAccess = { readsPid: undefined, readByPeer: false };

function addon(): ShmAddon | undefined {
  const loaded = loadShmAddon();
  return "addon" in loaded && typeof loaded.addon.readProcess === "function" ? loaded.addon : undefined;
}

/** Random bytes this process keeps at a fixed place for its lifetime (an ArrayBuffer's store never moves). */
let probe: { buffer: Buffer; published: DirectProbe } | undefined;

/** This process's probe, unless the addon is missing. */
export function directProbe(): DirectProbe | undefined {
  const native = addon();
  if (native === undefined) return undefined;
  if (probe === undefined) {
    const buffer = Buffer.allocUnsafeSlow(16);
    randomBytes(16).copy(buffer);
    probe = { buffer, published: { address: native.addressOf(buffer), bytes: buffer.toString("hex") } };
  }
  return probe.published;
}

/** Whether this process may read process `pid`'s memory: its probe reads back as published. */
export function canReadProcess(pid: number, published: DirectProbe): boolean {
  const native = addon();
  if (native === undefined || !Number.isSafeInteger(pid) || pid <= 0 || !Number.isSafeInteger(published.address)) return false;
  const into = Buffer.alloc(published.bytes.length / 2);
  return native.readProcess(pid, published.address, into) === 0 && into.toString("hex") === published.bytes;
}

/** Where `view`'s bytes lie in this process. */
export function addressOf(view: ArrayBufferView): number {
  return (addon() as ShmAddon).addressOf(view);
}

/** A failed read of a peer's memory (the peer's process ended, or its array is gone). */
export class DirectReadError extends Error {
  override readonly name = "DirectReadError";
}

function check(errno: number, pid: number): void {
  if (errno !== 0) throw new DirectReadError(`reading process ${pid}'s array failed (errno ${errno})`);
}

/** Copies into `into` the bytes at `address` of process `pid`. */
export function readFrom(pid: number, address: number, into: ArrayBufferView): void {
  check((addon() as ShmAddon).readProcess(pid, address, into), pid);
}

/**
 * Reduces into `dst` (op code as reduceInto's) its byteLength bytes at `address` of process
 * `pid`: in the addon's kernel, or, for what that leaves to JavaScript, read into `scratch`
 * first and reduced with `reduce`.
 */
export function reduceFrom(dst: ArrayBufferView, pid: number, address: number, opCode: number, reduce: (src: Uint8Array) => void): void {
  const native = addon() as ShmAddon;
  const done = native.reduceProcess(dst, pid, address, opCode);
  if (done !== -1) return check(done, pid);
  const bytes = new Uint8Array(dst.byteLength);
  check(native.readProcess(pid, address, bytes), pid);
  reduce(bytes);
}

/**
 * Before a collective operation moves data, its ranks agree on what they are doing: each
 * sends every other rank what it called (the operation, its array's type and length, its op
 * and root), and each compares them all. Every rank sees the same calls, so when they
 * disagree every rank rejects, with the same message, and no data has moved.
 */
import { CollectiveError } from "@lux/core";
import type { Comm } from "./comm.js";
import type { SharedRef } from "./shared-arrays.js";

/** What one rank called. */
export interface Call {
  operation: string;
  dtype?: string;
  length?: number;
  op?: string;
  root?: number;
  /**
   * Allreduce: where the others find this rank's array, when it is a shared array of the
   * group's (all ranks on one node passing one: they reduce in place, see shared-allreduce.ts).
   * Not compared: ranks may differ in it (then every rank takes the message path).
   */
  shm?: SharedRef;
  /** Allreduce: this rank's shared arrays collected since its last allreduce (the others unmap them). */
  freed?: string[];
}

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

export function encodeCall(call: Call): Uint8Array {
  return utf8.encode(JSON.stringify(call));
}

export function decodeCall(bytes: Uint8Array): Call {
  return JSON.parse(fromUtf8.decode(bytes)) as Call;
}

/** How a call reads in a message: `allreduce(Float32Array[1000], op SUM)`. */
export function describeCall(call: Call): string {
  const parts: string[] = [];
  if (call.dtype !== undefined) parts.push(`${call.dtype}[${call.length ?? "?"}]`);
  if (call.op !== undefined) parts.push(`op ${call.op}`);
  if (call.root !== undefined) parts.push(`root ${call.root}`);
  return `${call.operation}(${parts.join(", ")})`;
}

/** The reason to fail when the ranks' calls differ (`calls[r]`: rank r's), or undefined when they agree. */
export function disagreement(calls: readonly Call[]): string | undefined {
  const byCall = new Map<string, number[]>();
  calls.forEach((call, rank) => {
    const text = describeCall(call);
    const ranks = byCall.get(text);
    if (ranks === undefined) byCall.set(text, [rank]);
    else ranks.push(rank);
  });
  if (byCall.size <= 1) return undefined;
  const each = [...byCall].map(([text, ranks]) => `${ranks.length > 1 ? "ranks" : "rank"} ${ranks.join(", ")} called ${text}`);
  return `the ranks disagree: ${each.join("; ")}. Call the same operations in the same order on every rank, with arrays of one type and length`;
}

/**
 * Exchanges `call` with every other rank; resolves to every rank's (`[r]`: rank r's), or
 * rejects (CollectiveError naming each rank's call) when they differ.
 */
export async function agree(comm: Comm, worldSize: number, call: Call, error: (reason: string) => InstanceType<typeof CollectiveError>): Promise<readonly Call[]> {
  const mine = encodeCall(call);
  const calls: Call[] = new Array<Call>(worldSize);
  calls[comm.rank] = call;
  const moves: Promise<void>[] = [];
  for (let r = 0; r < worldSize; r++) {
    if (r === comm.rank) continue;
    moves.push(comm.send(r, "h", mine));
    moves.push(comm.recv(r, "h").then((bytes) => void (calls[r] = decodeCall(bytes))));
  }
  await Promise.all(moves);
  const reason = disagreement(calls);
  if (reason !== undefined) throw error(reason);
  return calls;
}

/** How a group reaches its peers: sockets and shared memory between processes (peer-network.ts), memory in unit tests. */
import type { OpName, Payload } from "./mailbox.js";

export interface Network {
  /** The node each rank runs on (`[r]`: rank r's node id), once every rank has joined (rejects once `cancelled()`). */
  nodeIds(cancelled: () => boolean): Promise<readonly string[]>;
  /** What keeps this rank from reaching its peers, for a timeout's message: "rank 3 has not joined", … */
  describeWaits(): string[];
  /**
   * Sends step `step` of `op` to rank `to`, connecting first if needed (until `deadline`);
   * resolves once `bytes` may change again. `cancelled()` turns true when the operation has
   * failed meanwhile: what was not sent yet need not be.
   */
  send(to: number, op: OpName, step: string, bytes: Uint8Array, deadline: number, cancelled: () => boolean): Promise<void>;
  /** Tells rank `to`, if it is connected, that `op` failed here (best effort). */
  abort(to: number, op: OpName, reason: string): void;
  /** Closes every link (the group is destroyed here). */
  close(): Promise<void>;
}

/** What a Network hands the group it serves: messages, aborts and lost peers. */
export interface Inbox {
  deliver(from: number, op: OpName, step: string, payload: Payload): void;
  abort(from: number, op: OpName, reason: string): void;
  /** Rank `rank` is gone (its connection closed): operations with it fail. */
  peerLost(rank: number, reason: string): void;
}

/**
 * Collective groups of one process's "ranks" joined in memory, for unit tests: each message is
 * copied and delivered on a later microtask (or held back, to script slow or dead peers), and
 * ranks can be declared lost as a closed connection would.
 */
import { FakeClock, type Clock } from "@lux/protocol";
import { CollectiveGroup } from "../src/collective/group.js";
import type { OpName, Payload } from "../src/collective/mailbox.js";
import type { Network } from "../src/collective/network.js";

export interface MemoryGroups {
  groups: CollectiveGroup[];
  clock: FakeClock;
  /** Messages delivered so far, by step name's first letter (what the algorithms sent). */
  sentBytes: number;
  /** Rank `rank` dies: nothing reaches it or comes from it, and the others hear it is gone. */
  kill(rank: number): void;
}

function payloadOf(bytes: Uint8Array, released: () => void): Payload {
  const copy = bytes.slice();
  let done = false;
  return {
    byteLength: copy.byteLength,
    read: async (into) => {
      if (into === undefined) return copy;
      into.set(copy);
      return into;
    },
    pieces: async () => [copy],
    release: () => {
      if (done) throw new RangeError("payload released twice");
      done = true;
      released();
    },
  };
}

/** `nodeIds[r]`: the node rank r runs on. `chunkBytes`: small, so arrays move in many chunks. */
export function memoryGroups(nodeIds: readonly string[], options: { chunkBytes?: number; clock?: FakeClock } = {}): MemoryGroups {
  const clock = options.clock ?? new FakeClock();
  const dead = new Set<number>();
  const groups = nodeIds.map(
    (_, rank) => new CollectiveGroup({ name: "test", rank, worldSize: nodeIds.length, clock: clock as Clock, chunkBytes: options.chunkBytes ?? 64 }),
  );
  const state: MemoryGroups = {
    groups,
    clock,
    sentBytes: 0,
    kill(rank) {
      dead.add(rank);
      void groups[rank]?.destroy();
      groups.forEach((g, r) => {
        if (r !== rank && !dead.has(r)) g.peerLost(rank, "its connection closed");
      });
    },
  };
  let unreleased = 0;
  groups.forEach((group, rank) => {
    const network: Network = {
      nodeIds: async () => nodeIds,
      describeWaits: () => [],
      send: async (to: number, op: OpName, step: string, bytes: Uint8Array) => {
        if (dead.has(to) || dead.has(rank)) return;
        state.sentBytes += bytes.byteLength;
        unreleased++;
        const payload = payloadOf(bytes, () => unreleased--);
        queueMicrotask(() => groups[to]?.deliver(rank, op, step, payload));
      },
      abort: (to: number, op: OpName, reason: string) => {
        if (!dead.has(to)) queueMicrotask(() => groups[to]?.abort(rank, op, reason));
      },
      close: async () => undefined,
    };
    group.connect(network);
  });
  Object.defineProperty(state, "unreleased", { get: () => unreleased });
  return state;
}

/** Payloads delivered and not released yet (a leak if any is left once operations end). */
export function unreleasedOf(groups: MemoryGroups): number {
  return (groups as unknown as { unreleased: number }).unreleased;
}

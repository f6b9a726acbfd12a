import type { ActorCreationSpec, ActorInfo, CoreWorkerService, LeaseGrant, RpcConnection } from "@lux/protocol";

/** What the control service knows of one actor. */
export interface ActorEntry {
  spec: ActorCreationSpec;
  info: ActorInfo;
  lease: LeaseGrant | undefined;
  restartsLeft: number;
  /** Lookups waiting for it to be ALIVE or DEAD (each also answers on its own after its long-poll wait). */
  waiters: Set<(info: ActorInfo) => void>;
  /** The connection to the worker running the constructor, while it runs. */
  constructing: RpcConnection<CoreWorkerService> | undefined;
  /** Its lease request queued at a raylet, while it waits there: withdrawn if the actor dies meanwhile. */
  leaseRequest: { nodeId: string; requestId: string } | undefined;
}

/** What the storage keeps of an actor (names are rebuilt from it). */
export type StoredActor = Pick<ActorEntry, "spec" | "info" | "lease" | "restartsLeft">;

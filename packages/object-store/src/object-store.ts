/**
 * A node's store of immutable objects. The raylet owns it; processes of the node put and
 * get through the raylet. The shared-memory arena will implement this same interface.
 */
export interface ObjectStore {
  readonly kind: string;
  put(objectId: string, data: Uint8Array, ownerAddress: string): void;
  get(objectId: string): Uint8Array | undefined;
  has(objectId: string): boolean;
  free(objectId: string): void;
  /** Frees every object owned by a process that is gone. */
  freeOwnedBy(ownerAddress: string): number;
  stats(): ObjectStoreStats;
}

export interface ObjectStoreStats {
  objects: number;
  bytes: number;
  capacity: number;
}

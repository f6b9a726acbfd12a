import { ObjectStoreFullError } from "@lux/common";
import type { ObjectStore, ObjectStoreStats } from "./object-store.js";

interface Entry {
  data: Uint8Array;
  owner: string;
}

/** Objects held in the raylet's heap: the store used until the shared-memory arena lands. */
export class MemoryObjectStore implements ObjectStore {
  readonly kind = "memory";
  private readonly objects = new Map<string, Entry>();
  private bytes = 0;

  constructor(private readonly capacity: number) {}

  put(objectId: string, data: Uint8Array, ownerAddress: string): void {
    if (this.objects.has(objectId)) return; // immutable: a second put of the same id is a no-op
    if (this.bytes + data.length > this.capacity) {
      throw new ObjectStoreFullError({ objectId, size: data.length, capacity: this.capacity });
    }
    this.objects.set(objectId, { data, owner: ownerAddress });
    this.bytes += data.length;
  }

  get(objectId: string): Uint8Array | undefined {
    return this.objects.get(objectId)?.data;
  }

  has(objectId: string): boolean {
    return this.objects.has(objectId);
  }

  free(objectId: string): void {
    const e = this.objects.get(objectId);
    if (e === undefined) return;
    this.objects.delete(objectId);
    this.bytes -= e.data.length;
  }

  freeOwnedBy(ownerAddress: string): number {
    let n = 0;
    for (const [id, e] of this.objects) {
      if (e.owner === ownerAddress) {
        this.free(id);
        n++;
      }
    }
    return n;
  }

  stats(): ObjectStoreStats {
    return { objects: this.objects.size, bytes: this.bytes, capacity: this.capacity };
  }
}

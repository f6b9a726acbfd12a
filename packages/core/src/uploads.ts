import { toWireError } from "@lux/common";
import type { MemoryStore } from "./memory-store.js";

/**
 * Objects put by this process whose bytes are still on their way into the node's store
 * (staged writes). Readers, status replies and frees of such an object wait for its upload;
 * a failed upload becomes the object's error.
 */
export class Uploads {
  private readonly pending = new Map<string, Promise<unknown>>();

  constructor(private readonly store: MemoryStore) {}

  track(objectId: string, done: Promise<void>): void {
    this.pending.set(objectId, done);
    done.then(
      () => this.pending.delete(objectId),
      (e: unknown) => {
        this.pending.delete(objectId);
        this.store.set(objectId, { kind: "error", error: toWireError(e) });
      },
    );
  }

  /** Settles when the object's upload ends (rejects if it failed); `undefined` when none is under way. */
  of(objectId: string): Promise<unknown> | undefined {
    return this.pending.get(objectId);
  }
}

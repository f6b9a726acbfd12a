import type { RayletService, RpcConnection } from "@lux/protocol";
import type { Uploads } from "./uploads.js";

export interface FreeBatcherDeps {
  nodeId: string;
  /** The local raylet: frees its own objects and forwards the rest to their nodes. */
  raylet: Pick<RpcConnection<RayletService>, "notify">;
  uploads: Uploads;
}

/**
 * Frees the node-store copies of freed objects: collected over one event-loop turn, then
 * one `freeObjects` message per node (after any upload of those objects has ended).
 */
export class FreeBatcher {
  private batch: { objectId: string; nodeId: string }[] = [];

  constructor(private readonly deps: FreeBatcherDeps) {}

  /** Frees every copy of the object: on its primary's node and on the nodes that pulled one. */
  add(objectId: string, primary: string, copies: ReadonlySet<string> | undefined): void {
    if (this.batch.length === 0) setImmediate(() => this.flush());
    for (const nodeId of new Set([primary, ...(copies ?? [])])) this.batch.push({ objectId, nodeId });
  }

  private flush(): void {
    const batch = this.batch;
    this.batch = [];
    const byNode = new Map<string, string[]>();
    for (const { objectId, nodeId } of batch) {
      const ids = byNode.get(nodeId);
      if (ids === undefined) byNode.set(nodeId, [objectId]);
      else ids.push(objectId);
    }
    const upload = Promise.allSettled(batch.map((f) => this.deps.uploads.of(f.objectId)));
    void upload.then(() => {
      for (const [nodeId, objectIds] of byNode) {
        const local = nodeId === this.deps.nodeId || nodeId === "";
        this.deps.raylet.notify("freeObjects", local ? { objectIds } : { objectIds, nodeId });
      }
    });
  }
}

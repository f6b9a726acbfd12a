import type { BytesReply } from "@lux/protocol";
import type { ArenaClient, ArenaStore } from "@lux/object-store";
import type { PullManager } from "./pull-manager.js";

export interface TransferServerParts {
  store: ArenaStore;
  /** This node's arena, mapped shared: chunks are sent from where they lie. */
  arena: ArenaClient;
  pulls(): PullManager;
}

/** A node pulling an object from here, over `connection`. */
interface Puller {
  nodeId: string;
  connection: unknown;
}

/**
 * The sending side of object transfers: other raylets open an object here (a sealed copy,
 * pinned for them; or a copy this node is pulling itself, read as its chunks arrive), read
 * its chunks (sent from the arena as they lie, raw), and release it. Each object's current
 * pullers are remembered so that a new one is offered the latest as a relay: concurrent
 * pulls of one object then read along a chain, each node from the one that started before
 * it, instead of all from here.
 */
export class TransferServer {
  /** Per object: the nodes pulling it from here now (until they release it or go), oldest first. */
  private readonly pullers = new Map<string, Puller[]>();
  private bytesSent = 0;

  constructor(private readonly parts: TransferServerParts) {}

  /** Pins the object for `connection`; its size (-1: not here) and a relay, if another node is pulling it from here. */
  async open(objectId: string, puller: string, connection: unknown): Promise<{ size: number; relay?: string }> {
    const size = await this.pin(objectId, connection);
    if (size < 0) return { size };
    const list = this.pullers.get(objectId) ?? [];
    const relay = list.findLast((p) => p.nodeId !== puller)?.nodeId;
    list.push({ nodeId: puller, connection });
    this.pullers.set(objectId, list);
    return relay === undefined ? { size } : { size, relay };
  }

  /** Bytes of objects sent to other nodes so far. */
  get sent(): number {
    return this.bytesSent;
  }

  /** Bytes of an object `connection` opened (or pinned with getObject), sent from where they lie. */
  async read(objectId: string, offset: number, length: number, connection: unknown): Promise<BytesReply> {
    const pull = this.parts.pulls().running(objectId);
    let reply = pull?.hasReader(connection) === true ? await pull.serve(offset, length) : undefined;
    if (reply === undefined) {
      const at = this.parts.store.pinnedRange(objectId, offset, length, connection);
      reply = { data: this.parts.arena.sharedBytes(at, length) };
    }
    this.bytesSent += length;
    return reply;
  }

  /** `connection` is done with these objects (releaseObjects). */
  release(objectIds: readonly string[], connection: unknown): void {
    for (const id of objectIds) {
      this.parts.store.release(id, connection);
      this.parts.pulls().running(id)?.dropReader(connection);
      const list = this.pullers.get(id);
      const i = list?.findIndex((p) => p.connection === connection) ?? -1;
      if (list === undefined || i < 0) continue;
      list.splice(i, 1);
      if (list.length === 0) this.pullers.delete(id);
    }
  }

  /** A connection closed: it pulls nothing from here any more (its store pins end with it: ArenaStore.clientGone). */
  connectionGone(connection: unknown): void {
    this.parts.pulls().readerGone(connection);
    for (const [id, list] of this.pullers) {
      const left = list.filter((p) => p.connection !== connection);
      if (left.length === 0) this.pullers.delete(id);
      else if (left.length !== list.length) this.pullers.set(id, left);
    }
  }

  /**
   * A copy being pulled here, else the sealed one; its size, or -1. A pull that has no copy
   * yet (its store makes room, say) is no source: the caller reads from another node rather
   * than wait on it.
   */
  private async pin(objectId: string, connection: unknown): Promise<number> {
    const pull = this.parts.pulls().running(objectId);
    if (pull !== undefined && !pull.sealed) return pull.addReader(connection) ? pull.byteSize : -1;
    const loc = await this.parts.store.get(objectId, connection);
    return loc?.size ?? -1;
  }
}

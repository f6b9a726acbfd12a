/**
 * How the ranks of a group find each other: through the control service's KV store (the
 * job's namespace), by group name. Each rank publishes where it listens and on which node it
 * runs; the others read it when they first need it, polling until it is there. A group made
 * by `createCollectiveGroup` is declared there too: its members' actor ids, in rank order.
 * Only these few bytes go through the control service, never an array.
 */
import type { Clock } from "@lux/protocol";
import type { SlotFileInfo } from "./slot-file.js";

/** The store (lux.util.kv in production, a map in tests). */
export interface KvStore {
  put(key: string, value: string): Promise<boolean>;
  get(key: string): Promise<Uint8Array | undefined>;
  del(key: string): Promise<boolean>;
  keys(prefix: string): Promise<string[]>;
}

/** What a rank publishes. */
export interface RankEntry {
  /** Where its peer server listens (host:port). */
  address: string;
  nodeId: string;
  worldSize: number;
  pid: number;
  /** For a declared group: the declaration it joined (a stale entry of an earlier group of that name has another). */
  declaration?: string;
  /** Its shared-memory slots, which ranks of its node map to receive from it (slot-file.ts). */
  shm?: SlotFileInfo;
}

/** A group made from the driver: its members, rank by rank, and an id of this declaration. */
export interface Declaration {
  id: string;
  actorIds: string[];
}

const PREFIX = "lux.collective/";
const utf8 = new TextDecoder();

export const groupPrefix = (group: string): string => `${PREFIX}${group}/`;
const rankKey = (group: string, rank: number): string => `${groupPrefix(group)}rank/${rank}`;
const declarationKey = (group: string): string => `${groupPrefix(group)}declaration`;

function parse<T>(bytes: Uint8Array | undefined): T | undefined {
  if (bytes === undefined) return undefined;
  try {
    return JSON.parse(utf8.decode(bytes)) as T;
  } catch {
    return undefined;
  }
}

/** Declares `declaration` under `group`; false if a group of that name is declared already. */
export function declare(kv: KvStore, group: string, declaration: Declaration): Promise<boolean> {
  return kv.put(declarationKey(group), JSON.stringify(declaration));
}

export async function readDeclaration(kv: KvStore, group: string): Promise<Declaration | undefined> {
  return parse<Declaration>(await kv.get(declarationKey(group)));
}

/** Removes everything published under `group` (the driver destroys a group it declared). */
export async function removeGroup(kv: KvStore, group: string): Promise<void> {
  for (const key of await kv.keys(groupPrefix(group))) await kv.del(key);
}

const FIRST_POLL_MS = 10;
const MAX_POLL_MS = 250;

/** The ranks of one group as this rank sees them. */
export class Rendezvous {
  private readonly known = new Map<number, RankEntry>();

  constructor(
    private readonly kv: KvStore,
    private readonly group: string,
    private readonly worldSize: number,
    private readonly clock: Clock,
    private readonly declaration: string | undefined,
  ) {}

  publish(rank: number, entry: RankEntry): Promise<boolean> {
    return this.kv.put(rankKey(this.group, rank), JSON.stringify(entry));
  }

  /** Removes this rank's entry, if it is still the one it published (`address`). */
  async unpublish(rank: number, address: string): Promise<void> {
    const entry = parse<RankEntry>(await this.kv.get(rankKey(this.group, rank)));
    if (entry?.address === address) await this.kv.del(rankKey(this.group, rank));
  }

  /** The entry of `rank` once it has joined; polls until then, or until `cancelled()` (then rejects). */
  async entry(rank: number, cancelled: () => boolean): Promise<RankEntry> {
    let wait = FIRST_POLL_MS;
    for (;;) {
      const known = this.known.get(rank) ?? (await this.read(rank));
      if (known !== undefined) return known;
      if (cancelled()) throw new RangeError(`rank ${rank} of group "${this.group}" has not joined`);
      await new Promise<void>((resolve) => this.clock.setTimeout(resolve, wait));
      wait = Math.min(MAX_POLL_MS, wait * 2);
    }
  }

  /** Every rank's entry, once all have joined. */
  all(cancelled: () => boolean): Promise<RankEntry[]> {
    return Promise.all(Array.from({ length: this.worldSize }, (_, r) => this.entry(r, cancelled)));
  }

  /** Drops what is known of `rank` (its address did not answer: it may publish a new one). */
  forget(rank: number): void {
    this.known.delete(rank);
  }

  /** Whether `rank` has been found. */
  has(rank: number): boolean {
    return this.known.has(rank);
  }

  private async read(rank: number): Promise<RankEntry | undefined> {
    const entry = parse<RankEntry>(await this.kv.get(rankKey(this.group, rank)));
    // An entry of another group of this name (an earlier one, not cleaned up) is not this rank yet.
    if (entry === undefined || entry.worldSize !== this.worldSize || entry.declaration !== this.declaration) return undefined;
    this.known.set(rank, entry);
    return entry;
  }
}

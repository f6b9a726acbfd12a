import { createHash } from "node:crypto";
import { ConnectFailedError, LuxError, createLogger } from "@lux/common";
import { systemClock, type Clock, type TimerHandle } from "@lux/protocol";
import type { Redis } from "ioredis";
import type { GcsStorage } from "./storage.js";

const log = createLogger("gcs");

export interface RedisStorageOptions {
  /** The cluster whose tables these are (`clusterIdOf(token)`): every key carries it. */
  clusterId: string;
  /** A record expires this long after it was last written or renewed (config redisRecordTtlMs). */
  ttlMs: number;
  /** Deadline of connecting (config redisConnectTimeoutMs). */
  connectTimeoutMs: number;
  /** Times the renewals (default: the system clock). */
  clock?: Clock;
}

/**
 * The id of the cluster whose control service holds `token`: a control service restarted
 * with the same token finds its records, one of another cluster (another token) on the same
 * Redis does not see them. A hash, so the token itself is never stored.
 */
export function clusterIdOf(token: string): string {
  return createHash("sha256").update(token).digest("hex").slice(0, 16);
}

/**
 * Tables in Redis: one hash per table (`lux:<clusterId>:<table>`), one field per key. Written
 * through on every change, so a control service started again on the same Redis with the
 * same cluster finds them all. Every key expires `ttlMs` after its last renewal, and a live
 * control service renews its cluster's keys every third of that: a cluster gone for good
 * leaves nothing behind for long.
 */
export class RedisStorage implements GcsStorage {
  readonly kind: string;
  private readonly prefix: string;
  private readonly clock: Clock;
  private renewTimer: TimerHandle | undefined;
  private closed = false;

  private constructor(
    private readonly redis: Redis,
    readonly url: string,
    private readonly options: RedisStorageOptions,
  ) {
    this.kind = `redis (${url})`;
    this.prefix = `lux:${options.clusterId}:`;
    this.clock = options.clock ?? systemClock;
  }

  /** Connects to `redis://HOST:PORT[/DB]`; rejects when Redis does not answer within `connectTimeoutMs`. */
  static async connect(url: string, options: RedisStorageOptions): Promise<RedisStorage> {
    // Loaded here, not at the top: the client takes ~150 ms to import, and most control
    // services (every private cluster of lux.init()) keep their tables in memory.
    const { Redis: RedisClient } = await import("ioredis");
    const redis = new RedisClient(url, { lazyConnect: true, connectTimeout: options.connectTimeoutMs, maxRetriesPerRequest: 20 });
    // Connection trouble after the start is retried by the client and surfaces as failed
    // commands (logged by the tables); the client's own error event must not end the process.
    redis.on("error", (e: Error) => log.warn(`redis ${url}: ${e.message}`));
    try {
      await redis.connect();
      await redis.ping();
    } catch (e) {
      redis.disconnect();
      throw new ConnectFailedError({ address: url, reason: `${(e as Error).message}; is redis-server running there?`, cause: e });
    }
    const storage = new RedisStorage(redis, url, options);
    storage.renewSoon(0);
    return storage;
  }

  private key(table: string): string {
    return `${this.prefix}${table}`;
  }

  async get(table: string, key: string): Promise<Uint8Array | undefined> {
    return (await this.redis.hgetBuffer(this.key(table), key)) ?? undefined;
  }

  async put(table: string, key: string, value: Uint8Array): Promise<void> {
    const k = this.key(table);
    await written(this.redis.multi().hset(k, key, toBuffer(value)).pexpire(k, this.options.ttlMs).exec());
  }

  async putIfAbsent(table: string, key: string, value: Uint8Array): Promise<boolean> {
    const k = this.key(table);
    const [added] = await written(this.redis.multi().hsetnx(k, key, toBuffer(value)).pexpire(k, this.options.ttlMs).exec());
    return added === 1;
  }

  async delete(table: string, key: string): Promise<void> {
    await this.redis.hdel(this.key(table), key);
  }

  async getAll(table: string): Promise<Map<string, Uint8Array>> {
    return new Map(Object.entries(await this.redis.hgetallBuffer(this.key(table))));
  }

  async upsert(table: string, key: string, value: Uint8Array): Promise<boolean> {
    const k = this.key(table);
    const [added] = await written(this.redis.multi().hset(k, key, toBuffer(value)).pexpire(k, this.options.ttlMs).exec());
    return added === 1;
  }

  async remove(table: string, key: string): Promise<boolean> {
    return (await this.redis.hdel(this.key(table), key)) === 1;
  }

  async has(table: string, key: string): Promise<boolean> {
    return (await this.redis.hexists(this.key(table), key)) === 1;
  }

  keys(table: string): Promise<string[]> {
    return this.redis.hkeys(this.key(table));
  }

  async close(): Promise<void> {
    this.closed = true;
    this.renewTimer?.cancel();
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  private renewSoon(ms: number): void {
    if (this.closed) return;
    this.renewTimer = this.clock
      .setTimeout(() => {
        this.renew()
          .catch((e: unknown) => log.warn(`renewing the cluster's records in ${this.url} failed: ${(e as Error).message}`))
          .finally(() => this.renewSoon(Math.floor(this.options.ttlMs / 3)));
      }, ms)
      .unref();
  }

  /** Pushes back the expiry of every key of this cluster (some may have been restored, not written). */
  private async renew(): Promise<void> {
    let cursor = "0";
    do {
      const [next, keys] = await this.redis.scan(cursor, "MATCH", `${this.prefix}*`, "COUNT", 100);
      cursor = next;
      if (keys.length > 0) {
        const batch = this.redis.pipeline();
        for (const k of keys) batch.pexpire(k, this.options.ttlMs);
        await batch.exec();
      }
    } while (cursor !== "0" && !this.closed);
  }
}

/** The replies of a transaction; throws the first command's error (a transaction does not reject for them). */
async function written(replies: Promise<[error: Error | null, result: unknown][] | null>): Promise<unknown[]> {
  const done = await replies;
  if (done === null) throw new LuxError("the Redis transaction was discarded");
  for (const [error] of done) if (error !== null) throw error;
  return done.map(([, result]) => result);
}

function toBuffer(value: Uint8Array): Buffer {
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

/** Whether tables kept by `storage` survive a restart of the control service. */
export function isPersistent(storage: GcsStorage): boolean {
  return storage.kind !== "memory";
}

import { ConnectFailedError } from "@lux/common";
import type { Redis } from "ioredis";
import type { GcsStorage } from "./storage.js";

/**
 * Tables in Redis: one hash per table (`lux:<table>`), one field per key. Written through
 * on every change, so a control service started again on the same Redis finds them all.
 */
export class RedisStorage implements GcsStorage {
  readonly kind: string;

  private constructor(
    private readonly redis: Redis,
    readonly url: string,
  ) {
    this.kind = `redis (${url})`;
  }

  /** Connects to `redis://HOST:PORT[/DB]`; rejects when Redis does not answer within `timeoutMs`. */
  /** `timeoutMs`: config redisConnectTimeoutMs. */
  static async connect(url: string, timeoutMs: number): Promise<RedisStorage> {
    // Loaded here, not at the top: the client takes ~150 ms to import, and most control
    // services (every private cluster of lux.init()) keep their tables in memory.
    const { Redis: RedisClient } = await import("ioredis");
    const redis = new RedisClient(url, { lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 20 });
    try {
      await redis.connect();
      await redis.ping();
    } catch (e) {
      redis.disconnect();
      throw new ConnectFailedError({ address: url, reason: `${(e as Error).message}; is redis-server running there?`, cause: e });
    }
    return new RedisStorage(redis, url);
  }

  private key(table: string): string {
    return `lux:${table}`;
  }

  async get(table: string, key: string): Promise<Uint8Array | undefined> {
    return (await this.redis.hgetBuffer(this.key(table), key)) ?? undefined;
  }

  async put(table: string, key: string, value: Uint8Array): Promise<void> {
    await this.redis.hset(this.key(table), key, Buffer.from(value.buffer, value.byteOffset, value.byteLength));
  }

  async putIfAbsent(table: string, key: string, value: Uint8Array): Promise<boolean> {
    return (await this.redis.hsetnx(this.key(table), key, Buffer.from(value.buffer, value.byteOffset, value.byteLength))) === 1;
  }

  async delete(table: string, key: string): Promise<void> {
    await this.redis.hdel(this.key(table), key);
  }

  async getAll(table: string): Promise<Map<string, Uint8Array>> {
    return new Map(Object.entries(await this.redis.hgetallBuffer(this.key(table))));
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

/** Whether tables kept by `storage` survive a restart of the control service. */
export function isPersistent(storage: GcsStorage): boolean {
  return storage.kind !== "memory";
}

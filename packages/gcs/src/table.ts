import { decodeMessage, encodeMessage } from "@lux/protocol";
import { createLogger } from "@lux/common";
import type { GcsStorage } from "./storage.js";

const log = createLogger("gcs");

/**
 * One table of the control service in its storage, as typed records (msgpack). Writes go
 * through at once and in order; a failed write is logged, never thrown into the manager.
 */
export class StoredTable<T> {
  constructor(
    private readonly storage: GcsStorage,
    readonly name: string,
  ) {}

  /** Writes without waiting for storage (a failure is logged, as with put). */
  write(key: string, value: T): void {
    this.storage.put(this.name, key, encodeMessage(value)).catch((e: unknown) => this.failed("write", key, e));
  }

  put(key: string, value: T): Promise<void> {
    return this.storage.put(this.name, key, encodeMessage(value)).catch((e: unknown) => this.failed("write", key, e));
  }

  delete(key: string): Promise<void> {
    return this.storage.delete(this.name, key).catch((e: unknown) => this.failed("delete", key, e));
  }

  async loadAll(): Promise<Map<string, T>> {
    const out = new Map<string, T>();
    for (const [key, bytes] of await this.storage.getAll(this.name)) {
      try {
        out.set(key, decodeMessage(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)) as T);
      } catch (e) {
        log.error(`storage: cannot decode ${this.name}/${key}, skipped: ${(e as Error).message}`);
      }
    }
    return out;
  }

  private failed(what: string, key: string, e: unknown): void {
    log.error(`storage: ${what} of ${this.name}/${key} failed: ${(e as Error).message}; a restart of the control service may lose it`);
  }
}

/** An in-memory JobsKv (the control service's KV as the jobs code sees it), with a switch to make writes fail. */
import type { JobsKv } from "../src/jobs/job-keys.js";

export class FakeKv implements JobsKv {
  readonly entries = new Map<string, Uint8Array>();
  failWrites = false;
  writes = 0;

  async get(key: string): Promise<Uint8Array | undefined> {
    return this.entries.get(key);
  }

  async put(key: string, value: Uint8Array | string, options: { overwrite?: boolean } = {}): Promise<boolean> {
    if (this.failWrites) throw new Error("the control service is away");
    this.writes++;
    const isNew = !this.entries.has(key);
    if (!isNew && options.overwrite === false) return false;
    this.entries.set(key, typeof value === "string" ? Buffer.from(value) : new Uint8Array(value));
    return isNew;
  }

  async del(key: string): Promise<boolean> {
    return this.entries.delete(key);
  }

  async keys(prefix: string): Promise<string[]> {
    return [...this.entries.keys()].filter((k) => k.startsWith(prefix)).sort();
  }

  text(key: string): string | undefined {
    const v = this.entries.get(key);
    return v === undefined ? undefined : Buffer.from(v).toString("utf8");
  }
}

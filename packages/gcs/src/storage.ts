/** Where the control service keeps its tables. In memory by default; Redis survives restarts. */
export interface GcsStorage {
  readonly kind: string;
  get(table: string, key: string): Promise<Uint8Array | undefined>;
  put(table: string, key: string, value: Uint8Array): Promise<void>;
  /** Stores only when absent; returns whether it stored. */
  putIfAbsent(table: string, key: string, value: Uint8Array): Promise<boolean>;
  delete(table: string, key: string): Promise<void>;
  getAll(table: string): Promise<Map<string, Uint8Array>>;
  /** Stores, replacing any value; returns whether the key was new. */
  upsert(table: string, key: string, value: Uint8Array): Promise<boolean>;
  /** Deletes; returns whether the key was set. */
  remove(table: string, key: string): Promise<boolean>;
  /** Whether the key is set, without reading its value. */
  has(table: string, key: string): Promise<boolean>;
  /** The table's keys, without their values. */
  keys(table: string): Promise<string[]>;
  close(): Promise<void>;
}

export class MemoryStorage implements GcsStorage {
  readonly kind = "memory";
  private readonly tables = new Map<string, Map<string, Uint8Array>>();

  private table(name: string): Map<string, Uint8Array> {
    let t = this.tables.get(name);
    if (t === undefined) {
      t = new Map();
      this.tables.set(name, t);
    }
    return t;
  }

  get(table: string, key: string): Promise<Uint8Array | undefined> {
    return Promise.resolve(this.table(table).get(key));
  }

  put(table: string, key: string, value: Uint8Array): Promise<void> {
    this.table(table).set(key, value);
    return Promise.resolve();
  }

  putIfAbsent(table: string, key: string, value: Uint8Array): Promise<boolean> {
    const t = this.table(table);
    if (t.has(key)) return Promise.resolve(false);
    t.set(key, value);
    return Promise.resolve(true);
  }

  delete(table: string, key: string): Promise<void> {
    this.table(table).delete(key);
    return Promise.resolve();
  }

  getAll(table: string): Promise<Map<string, Uint8Array>> {
    return Promise.resolve(new Map(this.table(table)));
  }

  upsert(table: string, key: string, value: Uint8Array): Promise<boolean> {
    const t = this.table(table);
    const added = !t.has(key);
    t.set(key, value);
    return Promise.resolve(added);
  }

  remove(table: string, key: string): Promise<boolean> {
    return Promise.resolve(this.tables.get(table)?.delete(key) ?? false);
  }

  has(table: string, key: string): Promise<boolean> {
    return Promise.resolve(this.tables.get(table)?.has(key) ?? false);
  }

  keys(table: string): Promise<string[]> {
    return Promise.resolve([...(this.tables.get(table)?.keys() ?? [])]);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

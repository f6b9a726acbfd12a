import type { GcsService } from "@lux/protocol";
import type { GcsStorage } from "./storage.js";

/** Internal key-value store: function table, runtime-env packages, user KV. */
export class KvManager {
  constructor(private readonly storage: GcsStorage) {}

  async put(req: Parameters<GcsService["kvPut"]>[0]): Promise<{ added: boolean }> {
    if (req.overwrite) {
      const existed = (await this.storage.get("kv", req.key)) !== undefined;
      await this.storage.put("kv", req.key, req.value);
      return { added: !existed };
    }
    return { added: await this.storage.putIfAbsent("kv", req.key, req.value) };
  }

  async get(key: string): Promise<{ value: Uint8Array | undefined }> {
    return { value: await this.storage.get("kv", key) };
  }
}

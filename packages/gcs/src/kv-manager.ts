import { InvalidRequestError } from "@lux/common";
import { KV_MAX_KEY_BYTES, KV_MAX_VALUE_BYTES, type GcsService } from "@lux/protocol";
import type { GcsStorage } from "./storage.js";

type Request<M extends keyof GcsService> = Parameters<GcsService[M]>[0];

/**
 * The key-value store: Lux's own entries (function table, runtime-env packages) in the table
 * "kv", and `lux.util.kv`'s, one table per namespace ("kv:<namespace>"), so listing a
 * namespace's keys reads that namespace only. Through the storage, so on Redis it survives a
 * restart of the control service.
 */
export class KvManager {
  constructor(private readonly storage: GcsStorage) {}

  async put(req: Request<"kvPut">): Promise<{ added: boolean }> {
    const table = tableOf(req, "kvPut");
    if (req.namespace !== undefined && req.value.byteLength > KV_MAX_VALUE_BYTES) {
      throw new InvalidRequestError({ method: "kvPut", problem: `value: ${req.value.byteLength} bytes, over the limit of ${KV_MAX_VALUE_BYTES}` });
    }
    const added = req.overwrite ? this.storage.upsert(table, req.key, req.value) : this.storage.putIfAbsent(table, req.key, req.value);
    return { added: await added };
  }

  async get(req: Request<"kvGet">): Promise<{ value: Uint8Array | undefined }> {
    return { value: await this.storage.get(tableOf(req, "kvGet"), req.key) };
  }

  async exists(req: Request<"kvExists">): Promise<{ exists: boolean }> {
    return { exists: await this.storage.has(tableOf(req, "kvExists"), req.key) };
  }

  async del(req: Request<"kvDel">): Promise<{ deleted: boolean }> {
    return { deleted: await this.storage.remove(tableOf(req, "kvDel"), req.key) };
  }

  async keys(req: Request<"kvKeys">): Promise<{ keys: string[] }> {
    const all = await this.storage.keys(req.namespace === undefined ? INTERNAL : `${INTERNAL}:${req.namespace}`);
    return { keys: req.prefix === "" ? all : all.filter((k) => k.startsWith(req.prefix)) };
  }
}

const INTERNAL = "kv";

/** The table of a request's namespace; a namespaced key over the limit is refused. */
function tableOf(req: { key: string; namespace?: string | undefined }, method: string): string {
  if (req.namespace === undefined) return INTERNAL;
  const keyBytes = Buffer.byteLength(req.key, "utf8");
  if (keyBytes > KV_MAX_KEY_BYTES) {
    throw new InvalidRequestError({ method, problem: `key: ${keyBytes} bytes, over the limit of ${KV_MAX_KEY_BYTES}` });
  }
  return `${INTERNAL}:${req.namespace}`;
}

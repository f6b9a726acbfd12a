/**
 * `lux.util.kv`: the control service's key-value store, for libraries and users. Entries
 * live in namespaces (default: this job's), so jobs keep apart unless they share one; on a
 * control service with Redis storage they survive its restart.
 */
import { InvalidOptionError } from "@lux/common";
import { KV_MAX_KEY_BYTES, KV_MAX_VALUE_BYTES } from "@lux/protocol";
import { clusterLost, currentNamespace, describe, requireConnected } from "./api.js";
import type { CoreWorker } from "./core-worker.js";

/** Options of every `lux.util.kv` call. */
export interface KvOptions {
  /** The namespace of the key. Default: this job's namespace (`lux.init({ namespace })`). */
  namespace?: string;
}

/** Options of `lux.util.kv.put`. */
export interface KvPutOptions extends KvOptions {
  /** Replace the value of a key that is set. Default true; false leaves it as it is. */
  overwrite?: boolean;
}

const utf8 = new TextEncoder();

/**
 * Sets `key` to `value` (a string is stored as its UTF-8 bytes); returns whether the key was
 * new. Keys may be up to 1 KiB (UTF-8), values up to 16 MiB: longer ones throw RangeError
 * before anything is sent.
 */
export async function put(key: string, value: Uint8Array | string, options: KvPutOptions = {}): Promise<boolean> {
  const op = "lux.util.kv.put";
  checkKey(op, key);
  const bytes = typeof value === "string" ? utf8.encode(value) : value;
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`${op}() takes a Uint8Array or a string value, got ${describe(value)}`);
  if (bytes.byteLength > KV_MAX_VALUE_BYTES) {
    throw new RangeError(`${op}(): the value is ${bytes.byteLength} bytes, over the limit of 16 MiB (${KV_MAX_VALUE_BYTES} bytes) per value; store large data with lux.put() and keep its key here`);
  }
  const overwrite = options.overwrite ?? true;
  if (typeof overwrite !== "boolean") throw new InvalidOptionError({ option: "overwrite", expected: "a boolean", received: overwrite });
  const namespace = namespaceOf(options);
  const c = requireConnected(op);
  return (await gcsCall(c, c.gcs.call("kvPut", { key, value: bytes, overwrite, namespace }))).added;
}

/** The value of `key` (the bytes stored), or undefined when it is not set. */
export async function get(key: string, options: KvOptions = {}): Promise<Uint8Array | undefined> {
  const op = "lux.util.kv.get";
  checkKey(op, key);
  const namespace = namespaceOf(options);
  const c = requireConnected(op);
  const { value } = await gcsCall(c, c.gcs.call("kvGet", { key, namespace }));
  // A copy with a buffer of its own: the decoded bytes are a view of the reply's frame.
  return value === undefined ? undefined : new Uint8Array(value);
}

/** Removes `key`; returns whether it was set. */
export async function del(key: string, options: KvOptions = {}): Promise<boolean> {
  const op = "lux.util.kv.del";
  checkKey(op, key);
  const namespace = namespaceOf(options);
  const c = requireConnected(op);
  return (await gcsCall(c, c.gcs.call("kvDel", { key, namespace }))).deleted;
}

/** Whether `key` is set. */
export async function exists(key: string, options: KvOptions = {}): Promise<boolean> {
  const op = "lux.util.kv.exists";
  checkKey(op, key);
  const namespace = namespaceOf(options);
  const c = requireConnected(op);
  return (await gcsCall(c, c.gcs.call("kvExists", { key, namespace }))).exists;
}

/** The keys of the namespace that start with `prefix` (every key for ""), whole, sorted. */
export async function keys(prefix = "", options: KvOptions = {}): Promise<string[]> {
  const op = "lux.util.kv.keys";
  if (typeof prefix !== "string") throw new TypeError(`${op}() takes a string prefix, got ${describe(prefix)}`);
  const namespace = namespaceOf(options);
  const c = requireConnected(op);
  return (await gcsCall(c, c.gcs.call("kvKeys", { prefix, namespace }))).keys.sort();
}

function checkKey(op: string, key: unknown): asserts key is string {
  if (typeof key !== "string") throw new TypeError(`${op}() takes a string key, got ${describe(key)}`);
  const bytes = Buffer.byteLength(key, "utf8");
  if (bytes > KV_MAX_KEY_BYTES) {
    throw new RangeError(`${op}(): the key is ${bytes} bytes (UTF-8), over the limit of 1 KiB (${KV_MAX_KEY_BYTES} bytes) per key`);
  }
}

function namespaceOf(options: KvOptions): string {
  if (typeof options !== "object" || options === null) throw new TypeError(`lux.util.kv options must be an object, got ${describe(options)}`);
  const { namespace } = options;
  if (namespace === undefined) return currentNamespace();
  if (typeof namespace !== "string" || namespace === "") {
    throw new InvalidOptionError({ option: "namespace", expected: "a non-empty string", received: namespace });
  }
  return namespace;
}

/** A call to the control service fails as the rest of the API does when it is gone (ClusterLostError). */
function gcsCall<T>(c: CoreWorker, call: Promise<T>): Promise<T> {
  return call.catch(clusterLost(c));
}

/**
 * `lux.util.kv`: the control service's key-value store, for libraries and users (Ray's
 * internal KV). Keys are strings (up to 1 KiB), values bytes or strings (up to 16 MiB,
 * read back as bytes); each call takes `{ namespace }`, by default the job's namespace.
 * On a control service with Redis storage, entries survive its restart.
 */
export {
  kvPut as put,
  kvGet as get,
  kvDel as del,
  kvExists as exists,
  kvKeys as keys,
  type KvOptions,
  type KvPutOptions,
} from "@lux/core/internal";

export { GcsServer, type GcsServerOptions } from "./gcs-server.js";
export { MemoryStorage, type GcsStorage } from "./storage.js";
export { RedisStorage, clusterIdOf, type RedisStorageOptions } from "./redis-storage.js";

export { GcsServer, type GcsServerOptions } from "./gcs-server.js";
export { MemoryStorage, type GcsStorage } from "./storage.js";
export { RedisStorage } from "./redis-storage.js";

export type { ObjectStore, ObjectStoreStats } from "./object-store.js";
export { MemoryObjectStore } from "./memory-store.js";

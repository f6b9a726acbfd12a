export { ArenaStore, type ArenaStoreOptions, type StoreLocation } from "./arena-store.js";
export { openArena, type ArenaClient } from "./arena-client.js";
export { loadShmAddon, storeKind, type ShmAddon } from "./native.js";
export { Allocator, ALIGNMENT, alignUp } from "./allocator.js";
export { arenaPath, removeArenasOf, removeOrphanArenas } from "./arena-files.js";

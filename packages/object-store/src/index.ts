export { ArenaStore, type ArenaStoreOptions, type StoreLocation } from "./arena-store.js";
export { openArena, type ArenaClient } from "./arena-client.js";
export { loadShmAddon, storeKind, type ShmAddon } from "./native.js";
export { Allocator, ALIGNMENT, alignUp } from "./allocator.js";
export { arenaPath, removeArenasOf, removeOrphanArenas } from "./arena-files.js";
export { aesGcm, GCM_KEY_BYTES, GCM_NONCE_BYTES, GCM_TAG_BYTES, type AesGcm } from "./gcm.js";

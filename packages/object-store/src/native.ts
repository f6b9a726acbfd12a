import { createRequire } from "node:module";
import { LuxError } from "@lux/common";

/** The shared-memory addon's functions (native/lux_shm.cc). */
export interface ShmAddon {
  create(path: string, size: number): void;
  map(path: string, size: number, shared: boolean): object;
  openReadOnly(path: string): number;
  /**
   * A private mapping of `length` bytes, of which V8 is told `accounted` as external memory
   * (default all); when it is collected, onViewReleased's function is called with `token`.
   */
  mapRange(fd: number, offset: number, length: number, accounted?: number, token?: number): ArrayBuffer;
  /** The function mapRange's collected buffers report their tokens to (one per process). */
  onViewReleased(callback: (token: number) => void): void;
  write(mapping: object, offset: number, source: ArrayBufferView): void;
  /** `write` past the CPU cache, for bytes this process will not read again. */
  writeStreaming(mapping: object, offset: number, source: ArrayBufferView): void;
  /** Bytes of a shared mapping in place, as an ArrayBuffer (no copy; never unmapped before the process ends). */
  sharedView(mapping: object, offset: number, length: number): ArrayBuffer;
  unmap(mapping: object): void;
  /**
   * lux.util.collective's element-wise reduction: `dst[i] = dst[i] op src[i]` (op 0 SUM,
   * 1 PRODUCT, 2 MIN, 3 MAX; src: dst's bytes at any alignment). False where it leaves the
   * work to JavaScript (Uint8ClampedArray, 32-bit integer products).
   */
  reduce(dst: ArrayBufferView, src: ArrayBufferView, op: number): boolean;
  /** AES-128-GCM (see gcm.ts): a cipher under a 16-byte key, sealing (`encrypt`) or opening frames. */
  gcmCreate(key: Uint8Array, encrypt: boolean): object;
  gcmStart(cipher: object, nonce: Uint8Array, aad: Uint8Array): void;
  gcmUpdate(cipher: object, src: Uint8Array, dst: Uint8Array): void;
  /** gcmUpdate into the shared mapping at `offset`. */
  gcmUpdateMapped(cipher: object, src: Uint8Array, mapping: object, offset: number): void;
  gcmFinish(cipher: object, tag: Uint8Array): boolean;
}

let loaded: { addon: ShmAddon } | { error: Error } | undefined;

/** The addon if it was built (by `npm install`), else why not. */
export function loadShmAddon(): { addon: ShmAddon } | { error: Error } {
  if (loaded === undefined) {
    if (process.env["LUX_DISABLE_SHM_ADDON"] === "1") {
      loaded = { error: new LuxError("disabled by LUX_DISABLE_SHM_ADDON=1") };
    } else {
      try {
        const require = createRequire(import.meta.url);
        loaded = { addon: require("../build/Release/lux_shm.node") as ShmAddon };
      } catch (e) {
        loaded = { error: e as Error };
      }
    }
  }
  return loaded;
}

/** "shared-memory" when the addon maps the arena (zero-copy reads), else "file" (copies). */
export function storeKind(): "shared-memory" | "file" {
  return "addon" in loadShmAddon() ? "shared-memory" : "file";
}

/**
 * AES-128-GCM over a stream of frames, for object transfers between nodes under TLS
 * (packages/raylet/src/bulk-channel.ts): each frame is started under its nonce with its
 * header authenticated, its bytes en- or decrypted in pieces as they come, and its tag made
 * or checked at the end. With the addon (native/lux_shm.cc, OpenSSL's EVP as the node
 * binary carries it), pieces go from and into any bytes in place, the arena included (see
 * ArenaClient.writeDecrypted); without it, through node:crypto (slower: it makes a buffer
 * for every piece).
 */
import * as crypto from "node:crypto";
import { LuxError } from "@lux/common";
import { loadShmAddon, type ShmAddon } from "./native.js";

export const GCM_KEY_BYTES = 16;
export const GCM_NONCE_BYTES = 12;
export const GCM_TAG_BYTES = 16;

/** One direction of a stream under one key: frames one at a time (start, update…, finish). */
export interface AesGcm {
  /** The addon's cipher (its handle for ArenaClient.writeDecrypted), if the addon is built. */
  readonly native: object | undefined;
  start(nonce: Uint8Array, aad: Uint8Array): void;
  /** En- or decrypts `src` into `dst` (same length; they may be the same bytes). */
  update(src: Uint8Array, dst: Uint8Array): void;
  /**
   * Ends the frame. Encrypting: writes its tag into `tag`, true. Decrypting: whether `tag`
   * is the frame's (false: its bytes were forged or altered and must not be used).
   */
  finish(tag: Uint8Array): boolean;
}

/** A cipher under `key` (16 bytes): sealing frames (`encrypt`) or opening them. */
export function aesGcm(key: Uint8Array, encrypt: boolean): AesGcm {
  if (key.byteLength !== GCM_KEY_BYTES) throw new RangeError("an AES-128 key has 16 bytes");
  const loaded = loadShmAddon();
  return "addon" in loaded ? new NativeGcm(loaded.addon, key, encrypt) : new NodeGcm(key, encrypt);
}

class NativeGcm implements AesGcm {
  readonly native: object;

  constructor(
    private readonly addon: ShmAddon,
    key: Uint8Array,
    encrypt: boolean,
  ) {
    this.native = addon.gcmCreate(key, encrypt);
  }

  start(nonce: Uint8Array, aad: Uint8Array): void {
    this.addon.gcmStart(this.native, nonce, aad);
  }

  update(src: Uint8Array, dst: Uint8Array): void {
    this.addon.gcmUpdate(this.native, src, dst);
  }

  finish(tag: Uint8Array): boolean {
    return this.addon.gcmFinish(this.native, tag);
  }
}

class NodeGcm implements AesGcm {
  readonly native = undefined;
  private cipher: crypto.CipherGCM | crypto.DecipherGCM | undefined;

  constructor(
    private readonly key: Uint8Array,
    private readonly encrypt: boolean,
  ) {}

  start(nonce: Uint8Array, aad: Uint8Array): void {
    this.cipher = this.encrypt ? crypto.createCipheriv("aes-128-gcm", this.key, nonce) : crypto.createDecipheriv("aes-128-gcm", this.key, nonce);
    this.cipher.setAAD(aad);
  }

  update(src: Uint8Array, dst: Uint8Array): void {
    dst.set(this.started().update(src));
  }

  finish(tag: Uint8Array): boolean {
    const cipher = this.started();
    this.cipher = undefined;
    if (this.encrypt) {
      cipher.final();
      tag.set((cipher as crypto.CipherGCM).getAuthTag());
      return true;
    }
    (cipher as crypto.DecipherGCM).setAuthTag(tag);
    try {
      cipher.final();
      return true;
    } catch {
      return false;
    }
  }

  private started(): crypto.CipherGCM | crypto.DecipherGCM {
    if (this.cipher === undefined) throw new LuxError("AES-GCM: no frame was started");
    return this.cipher;
  }
}

/**
 * Raw sockets for the fuzzer: frames as Lux writes them (a 4-byte big-endian length, then
 * msgpack), a socket that collects what the server sends back, and addresses.
 */
import * as net from "node:net";
import { Packr } from "msgpackr";

/** Lux's own codec settings (protocol/src/codec.ts), so what we send decodes as a peer's would. */
export const packr = new Packr({ useRecords: false, moreTypes: true, int64AsType: "bigint", structuredClone: false });

export function frame(body: Buffer): Buffer {
  const header = Buffer.allocUnsafe(4);
  header.writeUInt32BE(body.length >>> 0);
  return Buffer.concat([header, body]);
}

/** A frame header announcing `length` bytes, and none of them. */
export function header(length: number): Buffer {
  const h = Buffer.allocUnsafe(4);
  h.writeUInt32BE(length >>> 0);
  return h;
}

export function hostPort(address: string): { host: string; port: number } {
  const colon = address.lastIndexOf(":");
  return { host: address.slice(0, colon).replace(/^\[|\]$/g, ""), port: Number(address.slice(colon + 1)) };
}

/** A connected socket and what it has received; `closed` resolves when the server (or we) closed it. */
export class RawPeer {
  received = Buffer.alloc(0);
  readonly closed: Promise<void>;
  private isClosed = false;
  private waiters: (() => void)[] = [];

  private constructor(readonly socket: net.Socket) {
    socket.on("error", () => undefined);
    socket.on("data", (chunk: Buffer) => {
      // Only the start matters (replies are parsed from it); a server that streams does not fill our memory.
      if (this.received.length < 1 << 20) this.received = Buffer.concat([this.received, chunk]);
      this.wake();
    });
    this.closed = new Promise((resolve) =>
      socket.once("close", () => {
        this.isClosed = true;
        this.wake();
        resolve();
      }),
    );
  }

  /** Connects to `address`, from `localAddress` if given (another loopback address of this machine). */
  static connect(address: string, timeoutMs: number, localAddress?: string): Promise<RawPeer> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ ...hostPort(address), ...(localAddress !== undefined ? { localAddress } : {}) });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`no connection to ${address} within ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once("connect", () => {
        clearTimeout(timer);
        resolve(new RawPeer(socket));
      });
      socket.once("error", (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
  }

  get isOpen(): boolean {
    return !this.isClosed;
  }

  /** Writes `bytes`; resolves once the socket took them (or closed). */
  write(bytes: Buffer): Promise<void> {
    if (this.isClosed || bytes.length === 0) return Promise.resolve();
    return new Promise((resolve) => {
      if (this.socket.write(bytes)) resolve();
      else {
        const done = (): void => {
          this.socket.off("drain", done);
          this.socket.off("close", done);
          resolve();
        };
        this.socket.on("drain", done);
        this.socket.on("close", done);
      }
    });
  }

  /** Waits until `done()` holds (checked on each arrival), the socket closes, or `timeoutMs` passes. */
  async until(done: () => boolean, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      const left = deadline - Date.now();
      if (this.isClosed || left <= 0) return done();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return true;
  }

  destroy(): void {
    this.socket.destroy();
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }
}

/** The frames complete in `buffer` (a server's replies), decoded; undecodable ones as undefined. */
export function framesIn(buffer: Buffer): unknown[] {
  return framesFrom(buffer, 0).frames;
}

/** The frames complete in `buffer` from byte `at` on, and where the first incomplete one starts. */
export function framesFrom(buffer: Buffer, from: number): { frames: unknown[]; next: number } {
  const out: unknown[] = [];
  let at = from;
  while (buffer.length - at >= 4) {
    const length = buffer.readUInt32BE(at);
    if (buffer.length - at - 4 < length) break;
    try {
      out.push(packr.unpack(buffer.subarray(at + 4, at + 4 + length)));
    } catch {
      out.push(undefined);
    }
    at += 4 + length;
  }
  return { frames: out, next: at };
}

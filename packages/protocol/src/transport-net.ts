/**
 * Sockets as transports: with transport-tls.ts (the same sockets under node:tls), the only
 * modules of the RPC layer that touch node:net. Addresses are "host:port" or a Unix socket path.
 */
import * as net from "node:net";
import { ConnectFailedError, ConnectionClosedError } from "./errors.js";
import type { Transport, TransportListener } from "./transport.js";

/** How a connection is dialled: `bulkReads` for one that receives large raw payloads (see BulkReads). */
export interface DialOptions {
  bulkReads?: boolean;
}

export function parseAddress(address: string): { host: string; port: number } | { path: string } {
  if (address.startsWith("/")) return { path: address };
  const colon = address.lastIndexOf(":");
  const port = Number(address.slice(colon + 1));
  if (colon <= 0 || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new TypeError(`invalid address "${address}": expected HOST:PORT or an absolute Unix socket path`);
  }
  return { host: address.slice(0, colon).replace(/^\[|\]$/g, ""), port };
}

/** Bytes queued within one tick after which they are written at once. */
const EARLY_FLUSH_BYTES = 32 * 1024;
/**
 * Small frames are copied back to back into a staging buffer of this size, and each flush
 * hands the socket one view of what was staged since the last. Once the socket has written
 * everything it was given (usually at once), the buffer is filled again from the start;
 * while it still holds some, the next frames go after that, and when the buffer is full, a
 * new one takes its place. One warm buffer instead of fresh memory: writing into fresh
 * pages cost more than the copying itself.
 */
const STAGING_BYTES = 64 * 1024;
/**
 * A frame this long is copied into a buffer of its own rather than staged. Copied all the
 * same, not handed to the socket where it lies: the sender writes its next frame over it
 * at once (codec.ts). Handing the socket msgpackr's output buffer instead, and letting
 * msgpackr go on behind the frame, measured slower (8 MiB frames between two processes:
 * ~0.31 against ~0.38 GB/s, and ~35 against ~25 s of the sender's CPU for 1,600 frames):
 * msgpackr then makes a new buffer of twice a frame's size for every frame.
 */
const OWN_BUFFER_FRAME_BYTES = 64 * 1024;

/**
 * Frames up to this long are staged byte by byte: Buffer#copy of part of a buffer makes a
 * Uint8Array view of that part first (node:buffer's _copyActual), ~90 bytes of garbage per
 * frame, and most frames (a task pushed, a task's reply) are 10 to 100 bytes long.
 */
const COPY_LOOP_BYTES = 256;

/** Copies bytes [start, end) of `from` to `to` at `at`. */
function copyInto(to: Buffer, at: number, from: Buffer, start: number, end: number): void {
  if (end - start > COPY_LOOP_BYTES) {
    from.copy(to, at, start, end);
    return;
  }
  for (let i = start; i < end; i++) to[at++] = from[i] as number;
}

/** A payload queued by writeRaw: written as it is, its `written` called once the socket took it. */
interface RawWrite {
  readonly data: Uint8Array;
  readonly written: ((error?: Error) => void) | undefined;
}

/**
 * Size of the one buffer every socket dialled with `bulkReads` reads into. A read of a
 * plain socket fills up to this much (fewer reads than Node's 64 KiB); the bytes are copied
 * out at once (frames, and raw payloads straight to where they go), so the buffer stays in
 * the CPU's cache. Measured on 2 cores, 1 GiB over loopback into a shared-memory arena: read
 * into a reused buffer then copied, ~2.2 GB/s; read straight into the arena, ~1.4 GB/s.
 */
const BULK_READ_BYTES = 4 * 1024 * 1024;
let bulkReadBuffer: Buffer | undefined;

/**
 * The reads of a socket dialled with `bulkReads` (node:net's `onread`): into one buffer of
 * the process, shared by every such socket (each read's chunk is handled before the next
 * read starts), instead of a new buffer per read.
 */
export class BulkReads {
  private listeners: ((chunk: Buffer) => void)[] = [];
  /** Chunks read before a listener was there (copied). */
  private early: Buffer[] = [];

  /** What node:net's connect takes as `onread`. */
  get onread(): { buffer: Buffer; callback: (bytes: number, buffer: Buffer) => boolean } {
    bulkReadBuffer ??= Buffer.allocUnsafeSlow(BULK_READ_BYTES);
    return { buffer: bulkReadBuffer, callback: (bytes, buffer) => this.deliver(buffer.subarray(0, bytes)) };
  }

  listen(listener: (chunk: Buffer) => void): void {
    this.listeners.push(listener);
    for (const chunk of this.early.splice(0)) listener(chunk);
  }

  private deliver(chunk: Buffer): boolean {
    if (this.listeners.length === 0) this.early.push(Buffer.from(chunk));
    for (const l of this.listeners) l(chunk);
    return true;
  }
}

/** A connected socket (TCP, Unix, or TLS over TCP) as a Transport. */
export class SocketTransport implements Transport {
  readonly remoteLabel: string;
  readonly localHost: string | undefined;
  readonly transientChunks: boolean;
  private staging: Buffer | undefined;
  /** Staged bytes not yet handed to the socket are staging[stagedFrom, stagedTo). */
  private stagedFrom = 0;
  private stagedTo = 0;
  /** What to write before the staged bytes: large frames, full staging buffers and raw payloads, in order. */
  private queued: (Buffer | RawWrite)[] = [];
  private queuedBytes = 0;
  private flushScheduled = false;

  constructor(
    private readonly socket: net.Socket,
    /** Names the peer in logs when the socket has no remote address (Unix sockets). */
    peerName?: string,
    /** The socket was dialled with `bulkReads.onread`: its chunks come from there. */
    private readonly bulkReads?: BulkReads,
  ) {
    socket.setNoDelay(true);
    this.transientChunks = bulkReads !== undefined;
    this.localHost = socket.localAddress;
    this.remoteLabel =
      socket.remoteAddress !== undefined ? `${socket.remoteAddress}:${socket.remotePort}` : (peerName ?? "unix-peer");
  }

  writeFrame(buffer: Buffer, start: number, end: number): void {
    const length = end - start;
    if (length >= OWN_BUFFER_FRAME_BYTES) {
      this.queueStaged();
      const own = Buffer.allocUnsafe(length);
      buffer.copy(own, 0, start, end);
      this.queued.push(own);
    } else {
      let staging = this.staging;
      if (staging === undefined || staging.length - this.stagedTo < length) {
        this.queueStaged();
        staging = this.staging = Buffer.allocUnsafeSlow(STAGING_BYTES);
        this.stagedFrom = this.stagedTo = 0;
      }
      copyInto(staging, this.stagedTo, buffer, start, end);
      this.stagedTo += length;
    }
    this.queuedBytes += length;
    // A long synchronous burst (a loop submitting tasks) goes out in slices, so the peer
    // starts on the first messages while this process is still producing the rest.
    if (this.queuedBytes >= EARLY_FLUSH_BYTES) {
      this.flush();
      return;
    }
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      process.nextTick(this.flush);
    }
  }

  writeRaw(data: Uint8Array, written?: (error?: Error) => void): void {
    this.queueStaged();
    this.queued.push({ data, written });
    this.queuedBytes += data.byteLength;
    if (this.queuedBytes >= EARLY_FLUSH_BYTES) {
      this.flush();
      return;
    }
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      process.nextTick(this.flush);
    }
  }

  /** Moves the staged bytes to the end of `queued`, so what is queued next goes after them. */
  private queueStaged(): void {
    if (this.stagedTo === this.stagedFrom || this.staging === undefined) return;
    this.queued.push(this.staging.subarray(this.stagedFrom, this.stagedTo));
    this.stagedFrom = this.stagedTo;
  }

  private readonly flush = (): void => {
    this.flushScheduled = false;
    if (this.queuedBytes === 0) return;
    this.queuedBytes = 0;
    if (this.socket.destroyed) {
      this.dropQueued();
      this.stagedFrom = this.stagedTo;
      return;
    }
    const staging = this.staging;
    if (this.queued.length === 0 && staging !== undefined) {
      // Usually only small frames were queued: one write of the staged bytes.
      this.socket.write(staging.subarray(this.stagedFrom, this.stagedTo));
    } else {
      this.queueStaged();
      const queued = this.queued;
      this.queued = [];
      if (queued.length === 1) {
        this.writeOne(queued[0] as Buffer | RawWrite);
      } else {
        this.socket.cork();
        for (const c of queued) this.writeOne(c);
        this.socket.uncork();
      }
    }
    // The socket's queue counts a write until it completes, so an empty one means the
    // socket holds none of the staged bytes any more (a write to the kernel that succeeds
    // at once, the common case, completes here): the staging buffer is free again.
    if (this.socket.writableLength === 0) this.stagedTo = 0;
    this.stagedFrom = this.stagedTo;
  };

  private writeOne(c: Buffer | RawWrite): void {
    if (c instanceof Uint8Array) this.socket.write(c);
    else {
      const written = c.written;
      this.socket.write(c.data, written === undefined ? undefined : (e) => written(e ?? undefined));
    }
  }

  /** The socket is gone: what was queued is not written (raw payloads' writers are told). */
  private dropQueued(): void {
    const queued = this.queued;
    this.queued = [];
    for (const c of queued) {
      if (!(c instanceof Uint8Array)) c.written?.(new ConnectionClosedError({ peer: this.remoteLabel, reason: "before the bytes were written" }));
    }
  }

  close(destroy = false): void {
    if (destroy) {
      this.socket.destroy();
      return;
    }
    this.flush();
    this.socket.end();
    // A peer that never reads must not keep us around.
    setTimeout(() => this.socket.destroy(), 2000).unref();
  }

  exportKeyingMaterial(length: number, label: string, context: Buffer): Buffer | undefined {
    const socket = this.socket as net.Socket & { encrypted?: boolean; exportKeyingMaterial?(length: number, label: string, context: Buffer): Buffer };
    return socket.encrypted === true && socket.exportKeyingMaterial !== undefined ? socket.exportKeyingMaterial(length, label, context) : undefined;
  }

  onData(listener: (chunk: Buffer) => void): void {
    if (this.bulkReads !== undefined) this.bulkReads.listen(listener);
    else this.socket.on("data", listener);
  }

  setRef(ref: boolean): void {
    if (ref) this.socket.ref();
    else this.socket.unref();
  }

  onClose(listener: (error?: Error) => void): void {
    let error: Error | undefined;
    this.socket.on("error", (e) => {
      error = e;
    });
    this.socket.on("close", () => listener(error));
  }
}

export function connectTransport(address: string, timeoutMs: number, options: DialOptions = {}): Promise<Transport> {
  return new Promise((resolve, reject) => {
    const bulkReads = options.bulkReads === true ? new BulkReads() : undefined;
    const socket = net.connect({ ...(parseAddress(address) as net.NetConnectOpts), ...(bulkReads !== undefined ? { onread: bulkReads.onread } : {}) });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new ConnectFailedError({ address, reason: `no answer within ${timeoutMs} ms` }));
    }, timeoutMs);
    socket.once("connect", () => {
      clearTimeout(timer);
      socket.removeAllListeners("error");
      resolve(new SocketTransport(socket, address, bulkReads));
    });
    socket.once("error", (e) => {
      clearTimeout(timer);
      reject(new ConnectFailedError({ address, reason: e.message, cause: e }));
    });
  });
}

export function listenTransport(
  address: string,
  onTransport: (t: Transport) => void,
): Promise<TransportListener> {
  return serveOn(
    net.createServer((socket) => onTransport(new SocketTransport(socket))),
    address,
  );
}

/** Starts `server` listening at `address`; resolves once it listens, with the address it bound. */
export function serveOn(server: net.Server, address: string): Promise<TransportListener> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(parseAddress(address) as net.ListenOptions, () => {
      server.removeListener("error", reject);
      const a = server.address();
      const bound = typeof a === "string" ? a : a === null ? address : `${a.address}:${a.port}`;
      resolve({
        address: bound,
        unref: () => server.unref(),
        close: () =>
          new Promise<void>((res) => {
            server.close(() => res());
          }),
      });
    });
  });
}

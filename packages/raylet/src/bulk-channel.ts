/**
 * Object chunks between raylets of a TLS cluster, outside Node's TLS socket: that socket
 * carries about a quarter of what one core encrypts with AES-GCM here (it copies and
 * encrypts in small records), which made it the ceiling of every transfer. The chunks go
 * instead over a plain TCP connection, sealed with AES-128-GCM by the object store's addon
 * straight from the sender's arena and opened straight into the receiver's.
 *
 * What keeps this as safe as the TLS connection it hangs off (docs/security.md):
 * - The channel belongs to one authenticated TLS connection between two raylets (mutual
 *   certificate check, then the cluster token). The puller asks for it on that connection
 *   (openBulkChannel) and gets a port and a random one-time channel id.
 * - Both ends derive the channel's two keys from that TLS session (exportKeyingMaterial,
 *   one label per direction, the channel id as context): no one else can compute them.
 * - The puller's first frame (after the id) is sealed under its key: the source binds the
 *   socket to the TLS connection only once that frame's tag verifies; anything else, or
 *   nothing within the handshake deadline, closes the socket (the id is used up either way).
 * - Every frame is [header: body length, request id, kind][body][16-byte tag]; the header is
 *   authenticated (AAD) and the nonce is the frame's sequence number in its direction,
 *   which both ends count: a frame altered, forged, replayed, reordered or dropped fails its
 *   tag (or the next frame's), and the channel closes.
 * - The receiver decrypts a chunk into the region of the object it claimed for it, which no
 *   one reads before the chunk is marked written, and it is marked written only once the
 *   tag verified; a failed tag fails the read (the pull reads the chunk again, from here or
 *   another source).
 * Reads on the channel act for the TLS connection: the objects it opened, its pins.
 */
import { randomBytes } from "node:crypto";
import * as net from "node:net";
import { createLogger, LuxError } from "@lux/common";
import type { BytesReply, RayletService, RpcConnection } from "@lux/protocol";
import { aesGcm } from "@lux/object-store";
import { FrameOpener, FrameSealer, Kind, PULLER_LABEL, channelKeys, frameBuffer, gather, giveBack, type FrameTarget, type TlsLink } from "./bulk-frames.js";

const log = createLogger("raylet");

const ID_BYTES = 16;
/** What a channel's socket starts with, before its id: other bytes (plaintext of another protocol) are refused at once. */
const MAGIC = Buffer.from("LUXCHAN1");
/** Largest request body (a read: offset, length, object id) and error message a peer may send. */
const MAX_REQUEST_BYTES = 1024;
const MAX_ERROR_BYTES = 16 * 1024;

/** What the source side serves: TransferServer.read, for the TLS connection the channel belongs to. */
export type ReadChunk = (objectId: string, offset: number, length: number, connection: unknown) => Promise<BytesReply>;

export interface BulkListenerOptions {
  /** The host the raylet's TLS listener serves (the channel's port is on it too). */
  host: string;
  read: ReadChunk;
  /** A bulk socket must prove its channel within this (config rpcHandshakeTimeoutMs). */
  handshakeTimeoutMs: number;
  /** Most bulk sockets not yet bound to a channel (config rpcMaxHandshakingConnections). */
  maxHandshaking: number;
  /** Largest chunk a read may ask for (config objectTransferChunkBytes). */
  maxChunkBytes: number;
}

/** A channel offered on a TLS connection and not yet dialled. */
interface Offer {
  connection: TlsLink;
  keys: { puller: Buffer; source: Buffer };
  timer: NodeJS.Timeout;
}

/**
 * The source side: a TCP listener (made on the first offer) whose sockets become channels
 * of TLS connections once they prove it.
 */
export class BulkListener {
  private server: net.Server | undefined;
  private port: Promise<number> | undefined;
  private readonly offers = new Map<string, Offer>();
  private readonly handshaking = new Set<net.Socket>();
  private readonly bound = new Set<net.Socket>();

  constructor(private readonly options: BulkListenerOptions) {}

  /** Listens (once); the listener's HOST:PORT. */
  async start(): Promise<string> {
    const port = await this.listen();
    return `${this.options.host.includes(":") ? `[${this.options.host}]` : this.options.host}:${port}`;
  }

  /** openBulkChannel: a channel for TLS connection `connection`. */
  async offer(connection: TlsLink): Promise<{ port: number; channel: string }> {
    const id = randomBytes(ID_BYTES);
    const keys = channelKeys(connection, id);
    if (keys === undefined) throw new LuxError("object transfer channels are offered on TLS connections only");
    const port = await this.listen();
    const key = id.toString("hex");
    const timer = setTimeout(() => this.offers.delete(key), this.options.handshakeTimeoutMs);
    timer.unref();
    this.offers.set(key, { connection, keys, timer });
    return { port, channel: key };
  }

  /** The listener's address, once it listens. */
  get address(): string | undefined {
    const a = this.server?.address();
    return a === null || a === undefined || typeof a === "string" ? undefined : `${a.address}:${a.port}`;
  }

  close(): void {
    this.server?.close();
    for (const s of [...this.handshaking, ...this.bound]) s.destroy();
    for (const o of this.offers.values()) clearTimeout(o.timer);
    this.offers.clear();
  }

  private listen(): Promise<number> {
    this.port ??= new Promise((resolve, reject) => {
      const server = net.createServer((socket) => this.accepted(socket));
      this.server = server;
      server.once("error", reject);
      server.listen({ host: this.options.host, port: 0 }, () => {
        server.removeListener("error", reject);
        resolve((server.address() as net.AddressInfo).port);
      });
    });
    return this.port;
  }

  private accepted(socket: net.Socket): void {
    const peer = `${socket.remoteAddress}:${socket.remotePort}`;
    const refuse = (why: string): void => {
      log.warn(`object transfer channels: refused a connection with ${peer}: ${why}`);
      socket.destroy();
    };
    if (this.handshaking.size >= this.options.maxHandshaking) {
      const oldest = this.handshaking.values().next().value as net.Socket;
      this.handshaking.delete(oldest);
      oldest.destroy();
    }
    this.handshaking.add(socket);
    socket.on("error", () => undefined);
    socket.setNoDelay(true);
    const timer = setTimeout(() => refuse(`no channel proven within ${this.options.handshakeTimeoutMs} ms`), this.options.handshakeTimeoutMs);
    socket.once("close", () => {
      clearTimeout(timer);
      this.handshaking.delete(socket);
      this.bound.delete(socket);
    });
    let head = Buffer.alloc(0);
    let opener: FrameOpener | undefined;
    socket.on("data", (chunk: Buffer) => {
      try {
        if (opener === undefined) {
          head = Buffer.concat([head, chunk]);
          const magic = head.subarray(0, MAGIC.length);
          if (!magic.equals(MAGIC.subarray(0, magic.length))) return refuse("plaintext or another protocol: not an object transfer channel");
          if (head.length < MAGIC.length + ID_BYTES) return;
          const key = head.subarray(MAGIC.length, MAGIC.length + ID_BYTES).toString("hex");
          const offer = this.offers.get(key);
          this.offers.delete(key); // one use, whatever follows
          if (offer === undefined || offer.connection.state === "closed") return refuse("no such channel offered");
          clearTimeout(offer.timer);
          opener = this.serve(socket, offer, () => {
            clearTimeout(timer);
            this.handshaking.delete(socket);
            this.bound.add(socket);
          });
          chunk = head.subarray(MAGIC.length + ID_BYTES);
        }
        if (chunk.length > 0) opener.push(chunk);
      } catch (e) {
        refuse((e as Error).message);
      }
    });
  }

  /** The frames of a socket that named `offer`: first the hello sealed under the puller's key, then reads. */
  private serve(socket: net.Socket, offer: Offer, proven: () => void): FrameOpener {
    const { connection } = offer;
    const sealer = new FrameSealer(aesGcm(offer.keys.source, true));
    let hello = false;
    const gone = (): void => {
      socket.destroy();
    };
    connection.onClose(gone);
    const send = (id: number, kind: number, body: Uint8Array): void => {
      if (socket.destroyed) return;
      const out = frameBuffer(FrameSealer.size(body.byteLength));
      const n = sealer.seal(id, kind, body, out);
      socket.write(out.subarray(0, n), () => giveBack(out));
    };
    const read = (id: number, body: Buffer): void => {
      const offset = body.readDoubleBE(0);
      const length = body.readUInt32BE(8);
      const objectId = body.toString("utf8", 12);
      this.options.read(objectId, offset, length, connection).then(
        (reply) => {
          try {
            send(id, Kind.data, reply.data);
          } finally {
            reply.sent?.();
          }
        },
        (e: Error) => send(id, Kind.error, Buffer.from(e.message.slice(0, MAX_ERROR_BYTES / 4))),
      );
    };
    return new FrameOpener(aesGcm(offer.keys.puller, false), (id, kind, length) => {
      if (!hello) {
        if (kind !== Kind.hello || length !== 0) throw new LuxError("its first frame is not a hello");
        return {
          write: () => undefined,
          end: (authentic) => {
            if (!authentic) return;
            hello = true;
            proven();
          },
        };
      }
      if (kind !== Kind.read || length < 12 || length > MAX_REQUEST_BYTES) throw new LuxError(`a frame of kind ${kind} and ${length} bytes is no read`);
      return gather(length, (body) => {
        if (body === undefined) return;
        const chunkLength = body.readUInt32BE(8);
        if (chunkLength > this.options.maxChunkBytes) {
          send(id, Kind.error, Buffer.from(`a read of ${chunkLength} bytes is over the chunk size ${this.options.maxChunkBytes}`));
          return;
        }
        read(id, body);
      });
    });
  }
}

/** A read waiting for its chunk. */
interface PendingRead {
  length: number;
  into: FrameTarget["write"];
  resolve(): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
  /** Writing into the destination failed (the object was freed): the rest of the frame is skipped. */
  failed?: Error;
}

/** The puller's sockets read into one buffer of the process (each read handled before the next). */
let readBuffer: Buffer | undefined;
const READ_BUFFER_BYTES = 4 * 1024 * 1024;

/** The puller side: one channel to the source of a TLS connection, shared by every pull from that node. */
export class BulkClient {
  private nextId = 1;
  private readonly pending = new Map<number, PendingRead>();
  private closedWith: Error | undefined;
  private readonly sealer: FrameSealer;
  private readonly opener: FrameOpener;

  private constructor(
    private readonly socket: net.Socket,
    keys: { puller: Buffer; source: Buffer },
    private readonly peer: string,
  ) {
    this.sealer = new FrameSealer(aesGcm(keys.puller, true));
    this.opener = new FrameOpener(aesGcm(keys.source, false), (id, kind, length) => this.target(id, kind, length));
  }

  /**
   * Asks `connection` (TLS, to another raylet) for a channel and dials it; undefined when the
   * connection has no TLS. Rejects when the source offers none or cannot be reached.
   */
  static async open(connection: RpcConnection<RayletService>, timeoutMs: number): Promise<BulkClient | undefined> {
    if (connection.transport.exportKeyingMaterial?.(1, PULLER_LABEL, Buffer.alloc(0)) === undefined) return undefined;
    const { port, channel } = await connection.call("openBulkChannel", {}, timeoutMs);
    const id = Buffer.from(channel, "hex");
    const keys = channelKeys(connection, id);
    if (keys === undefined || id.length !== ID_BYTES) throw new LuxError("the object transfer channel could not be keyed");
    const label = connection.peer;
    const host = label.slice(0, label.lastIndexOf(":")).replace(/^\[|\]$/g, "");
    let client: BulkClient | undefined;
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      readBuffer ??= Buffer.allocUnsafeSlow(READ_BUFFER_BYTES);
      const s = net.connect({ host, port, onread: { buffer: readBuffer, callback: (n: number, b: Buffer) => (client?.received(b.subarray(0, n)), true) } });
      const timer = setTimeout(() => {
        s.destroy();
        reject(new LuxError(`the object transfer channel to ${host}:${port} did not connect within ${timeoutMs} ms`));
      }, timeoutMs);
      s.once("connect", () => {
        clearTimeout(timer);
        resolve(s);
      });
      s.once("error", (e) => {
        clearTimeout(timer);
        reject(new LuxError(`the object transfer channel to ${host}:${port}: ${e.message}`, { cause: e }));
      });
    });
    client = new BulkClient(socket, keys, `${host}:${port}`);
    socket.setNoDelay(true);
    socket.on("error", (e) => client.close(e));
    socket.on("close", () => client.close(new LuxError(`the object transfer channel to ${host}:${port} closed`)));
    connection.onClose(() => socket.destroy());
    const hello = Buffer.alloc(MAGIC.length + ID_BYTES + FrameSealer.size(0));
    MAGIC.copy(hello);
    id.copy(hello, MAGIC.length);
    client.sealer.seal(0, Kind.hello, new Uint8Array(0), hello.subarray(MAGIC.length + ID_BYTES));
    socket.write(hello);
    log.info(`object transfer channel to ${host}:${port} open (chunks of ${label} sealed with AES-128-GCM outside its TLS socket)`);
    return client;
  }

  get closed(): boolean {
    return this.closedWith !== undefined;
  }

  /**
   * Reads `length` bytes of `objectId` at `offset` (opened on the TLS connection): each
   * piece goes to `into` still encrypted, to be decrypted where it belongs; resolves once
   * the chunk's tag verified, rejects otherwise (its bytes are then not to be used).
   */
  read(objectId: string, offset: number, length: number, into: FrameTarget["write"], timeoutMs: number): Promise<void> {
    if (this.closedWith !== undefined) return Promise.reject(this.closedWith);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.close(new LuxError(`a chunk read on the object transfer channel to ${this.peer} took over ${timeoutMs} ms`)), timeoutMs);
      this.pending.set(id, { length, into, resolve, reject, timer });
      const name = Buffer.from(objectId);
      const body = Buffer.allocUnsafe(12 + name.length);
      body.writeDoubleBE(offset, 0);
      body.writeUInt32BE(length, 8);
      name.copy(body, 12);
      const out = Buffer.allocUnsafe(FrameSealer.size(body.length));
      this.sealer.seal(id, Kind.read, body, out);
      this.socket.write(out);
    });
  }

  /** Ends the channel: every read waiting fails with `error`. */
  close(error: Error): void {
    if (this.closedWith !== undefined) return;
    this.closedWith = error;
    this.socket.destroy();
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(error);
    }
    this.pending.clear();
  }

  private received(chunk: Buffer): void {
    if (this.closedWith !== undefined) return;
    try {
      this.opener.push(chunk);
    } catch (e) {
      log.warn(`object transfer channel to ${this.peer}: ${(e as Error).message}; closing it`);
      this.close(e as Error);
    }
  }

  /** Where a frame from the source goes: the chunk's destination, or a small error body. */
  private target(id: number, kind: number, length: number): FrameTarget {
    const p = this.pending.get(id);
    if (p === undefined) throw new LuxError(`a frame answers read ${id}, which is not waiting`);
    if (kind === Kind.error) {
      if (length > MAX_ERROR_BYTES) throw new LuxError(`an error of ${length} bytes`);
      return gather(length, (body) => {
        if (body === undefined) return;
        this.settle(id, p, new LuxError(body.toString("utf8")));
      });
    }
    if (kind !== Kind.data || length !== p.length) throw new LuxError(`a frame of kind ${kind} and ${length} bytes answers a read of ${p.length}`);
    return {
      write: (piece, at, gcm) => {
        // Past a failed write the rest is still decrypted (in place, then dropped), so the tag is checked.
        if (p.failed !== undefined) {
          gcm.update(piece, piece);
          return;
        }
        try {
          p.into(piece, at, gcm);
        } catch (e) {
          p.failed = e as Error;
          gcm.update(piece, piece);
        }
      },
      end: (authentic) => {
        if (authentic) this.settle(id, p, p.failed);
      },
    };
  }

  private settle(id: number, p: PendingRead, error: Error | undefined): void {
    this.pending.delete(id);
    clearTimeout(p.timer);
    if (error === undefined) p.resolve();
    else p.reject(error);
  }
}

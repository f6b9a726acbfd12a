/** The only module that touches node:net. Addresses are "host:port" or a Unix socket path. */
import * as net from "node:net";
import type { Transport, TransportListener } from "./transport.js";

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

class SocketTransport implements Transport {
  readonly remoteLabel: string;
  readonly localHost: string | undefined;
  private queued: Buffer[] = [];
  private queuedBytes = 0;
  private flushScheduled = false;

  constructor(
    private readonly socket: net.Socket,
    /** Names the peer in logs when the socket has no remote address (Unix sockets). */
    peerName?: string,
  ) {
    socket.setNoDelay(true);
    this.localHost = socket.localAddress;
    this.remoteLabel =
      socket.remoteAddress !== undefined ? `${socket.remoteAddress}:${socket.remotePort}` : (peerName ?? "unix-peer");
  }

  write(chunks: readonly Buffer[]): void {
    for (const c of chunks) {
      this.queued.push(c);
      this.queuedBytes += c.length;
    }
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

  private readonly flush = (): void => {
    this.flushScheduled = false;
    const queued = this.queued;
    if (queued.length === 0 || this.socket.destroyed) return;
    this.queued = [];
    this.queuedBytes = 0;
    if (queued.length === 1) {
      this.socket.write(queued[0] as Buffer);
      return;
    }
    // Small frames are merged into one write; large payloads go as they are.
    let small = 0;
    for (const c of queued) if (c.length < 65536) small += c.length;
    if (small === 0 || small > 1 << 20) {
      this.socket.cork();
      for (const c of queued) this.socket.write(c);
      this.socket.uncork();
    } else {
      this.socket.write(Buffer.concat(queued));
    }
  };

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

  onData(listener: (chunk: Buffer) => void): void {
    this.socket.on("data", listener);
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

export function connectTransport(address: string, timeoutMs: number): Promise<Transport> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(parseAddress(address) as net.NetConnectOpts);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`connecting to ${address} timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once("connect", () => {
      clearTimeout(timer);
      socket.removeAllListeners("error");
      resolve(new SocketTransport(socket, address));
    });
    socket.once("error", (e) => {
      clearTimeout(timer);
      reject(new Error(`cannot connect to ${address}: ${e.message}`, { cause: e }));
    });
  });
}

export function listenTransport(
  address: string,
  onTransport: (t: Transport) => void,
): Promise<TransportListener> {
  return new Promise((resolve, reject) => {
    const server = net.createServer((socket) => onTransport(new SocketTransport(socket)));
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

import { ConnectionClosedError } from "./errors.js";

/** A byte stream between two peers. The RPC layer sees only this interface. */
export interface Transport {
  /**
   * Queues one frame, bytes [start, end) of `buffer` (length prefix included); the
   * transport decides when to flush. The frame is copied before this returns: the caller
   * writes its next frame over those bytes.
   */
  writeFrame(buffer: Buffer, start: number, end: number): void;
  /**
   * Queues `data` to go right after what was queued before it, as it is (no frame, no copy):
   * the caller leaves those bytes unchanged until `written` runs (with an error if they
   * could not be written: the transport closed first).
   */
  writeRaw(data: Uint8Array, written?: (error?: Error) => void): void;
  /** Closes the stream; pending writes are flushed first unless `destroy` is set. */
  close(destroy?: boolean): void;
  /**
   * Gets each chunk read. With `transientChunks`, a chunk is a view of a buffer the transport
   * reads into again once the listener returns: what must outlive the call is copied.
   */
  onData(listener: (chunk: Buffer) => void): void;
  readonly transientChunks?: boolean;
  onClose(listener: (error?: Error) => void): void;
  /** Whether this transport keeps the Node process alive. */
  setRef(ref: boolean): void;
  /**
   * Keying material exported from the connection's TLS session (RFC 8446 section 7.5):
   * `length` bytes both ends derive alike from `label` and `context`, known to no one else.
   * Undefined on a connection without TLS.
   */
  exportKeyingMaterial?(length: number, label: string, context: Buffer): Buffer | undefined;
  readonly remoteLabel: string;
  /** This side's address of the connection (the interface that reaches the peer), if any. */
  readonly localHost: string | undefined;
}

/** Accepts inbound transports. */
export interface TransportListener {
  readonly address: string;
  /** Lets the Node process exit while the listener is open. */
  unref(): void;
  close(): Promise<void>;
}

/** An in-memory pair of connected transports, for protocol tests without sockets. */
export function memoryTransportPair(): [Transport, Transport] {
  const make = (label: string) => {
    const data: ((c: Buffer) => void)[] = [];
    const closed: ((e?: Error) => void)[] = [];
    let isClosed = false;
    let peer: { deliver(c: Buffer): void; end(): void } | undefined;
    const side = {
      deliver(c: Buffer) {
        if (!isClosed) for (const l of data) l(c);
      },
      end() {
        if (isClosed) return;
        isClosed = true;
        for (const l of closed) l();
      },
    };
    const transport: Transport = {
      remoteLabel: label,
      localHost: undefined,
      writeFrame(buffer, start, end) {
        const copy = Buffer.allocUnsafe(end - start);
        buffer.copy(copy, 0, start, end);
        queueMicrotask(() => peer?.deliver(copy));
      },
      writeRaw(data, written) {
        const copy = Buffer.from(data);
        queueMicrotask(() => {
          if (isClosed) {
            written?.(new ConnectionClosedError({ peer: label, reason: "before the bytes were written" }));
            return;
          }
          peer?.deliver(copy);
          written?.();
        });
      },
      close() {
        queueMicrotask(() => {
          side.end();
          peer?.end();
        });
      },
      onData(l) {
        data.push(l);
      },
      onClose(l) {
        closed.push(l);
      },
      setRef() {},
    };
    return { side, transport, link(p: typeof side) { peer = p; } };
  };
  const a = make("memory:b");
  const b = make("memory:a");
  a.link(b.side);
  b.link(a.side);
  return [a.transport, b.transport];
}

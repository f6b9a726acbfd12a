import { systemClock, type Clock, type TimerHandle } from "./clock.js";
import { decodeFrame, writeMessage } from "./codec.js";
import { ConnectionClosedError, InvalidRequestError, ProtocolError, RpcTimeoutError } from "./errors.js";
import { defaultErrorCodec, type ErrorCodec } from "./error-codec.js";
import { FrameDecoder, type RawSink } from "./frame.js";
import { DEFAULT_MESSAGE_DEPTH } from "./schema.js";
import type { LatencyHistogram } from "./latency-histogram.js";
import { collectGarbageSoon } from "./gc.js";
import { settle, type Done, type Pending } from "./pending-call.js";
import type { DispatchEntry, MethodName, ReplyOf, RequestOf, ServedHandlers, ServiceDef } from "./service.js";
import { bytesReceiver, isBytesReply, pendingInto, type BytesMethod } from "./bytes-reply.js";
import type { Transport } from "./transport.js";
import { tokenDigest, tokenMatches } from "./token-compare.js";

/** Bumped when a message changes shape: 2 has the bytes-alone pushTask reply and receiver-dialled collective links. */
export const PROTOCOL_VERSION = 2;
const MAGIC = "lux";
/**
 * Largest frame accepted before the peer has authenticated. A hello is tiny (about 100
 * bytes); without this cap, four bytes of garbage (say "GET ") would make us allocate a
 * buffer of up to maxFrameBytes for a peer that never proved it belongs to the cluster, and
 * with it each unauthenticated peer costs a listener at most this much.
 */
export const HANDSHAKE_MAX_FRAME_BYTES = 4 * 1024;
/** A partial frame at least this large is given back to the system as soon as its peer goes. */
const RELEASE_NOW_BYTES = 16 * 1024 * 1024;

/** Message kinds. `bytes`: [4, id, length, 0], a reply whose `length` bytes follow the frame raw (see BytesReply). */
const Kind = { request: 0, ok: 1, error: 2, notify: 3, bytes: 4 } as const;

const NO_METHODS: Readonly<Record<string, DispatchEntry | undefined>> = Object.freeze(Object.create(null) as Record<string, DispatchEntry | undefined>);

/**
 * The deadline of a call that waits on work of the peer's user code or on its resources (a
 * task or actor call running, an actor being constructed, a lease queued until resources
 * free up): no timer; the call ends when the connection closes. Whoever makes such a call
 * must close the connection once the peer is declared dead (its node's health checks
 * failed), so the bound is the peer's liveness, not forever. See docs/config.md.
 */
export const UNTIL_PEER_LOST = Infinity;

export interface ConnectionOptions<Local extends ServiceDef> {
  maxFrameBytes: number;
  /**
   * Deadline of a `call` that names none (config `rpcTimeoutMs`): every call has one. A call
   * that waits on user work passes UNTIL_PEER_LOST; `callback` always does.
   */
  callTimeoutMs: number;
  /** The calls this side answers (`serve(Service, handlers)`): each request is checked against its schema first. */
  handlers?: ServedHandlers<Local>;
  /**
   * Most levels of objects and arrays a request may nest (config `rpcMaxMessageDepth`;
   * default DEFAULT_MESSAGE_DEPTH): deeper ones are refused like any other bad body.
   */
  maxMessageDepth?: number;
  errorCodec?: ErrorCodec;
  /**
   * Keep the process alive only while calls are pending (a driver must be able to exit
   * when its script is done, without lux.shutdown()).
   */
  weak?: boolean;
  /** Called once for malformed input; the connection is closed after. */
  onProtocolError?: (error: Error, peer: string) => void;
  /** Called for each request or notification refused for its body (InvalidRequestError); the connection stays. */
  onInvalidRequest?: (error: Error, peer: string) => void;
  /**
   * Frames up to this size get their whole buffer as soon as their length is known; a longer
   * one grows its buffer as its bytes arrive, so a peer that announces a large frame and
   * sends little of it costs little (default FRAME_UP_FRONT_BYTES).
   */
  upFrontFrameBytes?: number;
  /** Times call and handshake deadlines (default: the system clock). */
  clock?: Clock;
}

export type ConnectionState = "handshaking" | "open" | "closed";

/**
 * Why msgpack could not decode a frame, without the part of the frame msgpackr quotes (a
 * hello followed by stray bytes would put the cluster token in the log).
 */
function decodeProblem(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const quoted = message.indexOf("end of buffer not reached");
  return quoted < 0 ? message.slice(0, 200) : message.slice(0, quoted + "end of buffer not reached".length);
}

/**
 * A bidirectional RPC connection over one transport. Either side may call methods the
 * other side handles. Requests carry ids; replies may arrive in any order.
 */
export class RpcConnection<Remote extends ServiceDef, Local extends ServiceDef = ServiceDef> {
  state: ConnectionState = "handshaking";
  /** Free-form slot for the owner of the connection (e.g. which worker it belongs to). */
  peerInfo: unknown;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly closeListeners: ((error?: Error) => void)[] = [];
  private readonly decoder: FrameDecoder;
  private readonly methods: Readonly<Record<string, DispatchEntry | undefined>>;
  private readonly errorCodec: ErrorCodec;
  private readonly clock: Clock;
  private readonly maxMessageDepth: number;
  private onHandshake: ((hello: unknown) => void) | undefined;

  constructor(
    readonly transport: Transport,
    private readonly options: ConnectionOptions<Local>,
  ) {
    this.methods = options.handlers?.methods ?? NO_METHODS;
    this.errorCodec = options.errorCodec ?? defaultErrorCodec;
    this.clock = options.clock ?? systemClock;
    this.maxMessageDepth = options.maxMessageDepth ?? DEFAULT_MESSAGE_DEPTH;
    this.decoder = new FrameDecoder(
      Math.min(options.maxFrameBytes, HANDSHAKE_MAX_FRAME_BYTES),
      (buffer, start, end) => this.onFrame(buffer, start, end),
      options.upFrontFrameBytes,
      transport.transientChunks === true,
    );
    transport.onData((chunk) => {
      if (this.state === "closed") return;
      try {
        this.decoder.push(chunk);
      } catch (e) {
        this.fail(e as Error);
      }
    });
    transport.onClose((error) => this.closed(error));
    if (options.weak === true) this.setWeak(true);
  }

  /** Makes the connection keep the process alive only while calls are pending. */
  setWeak(weak: boolean): void {
    this.weak = weak;
    this.transport.setRef(!weak || this.pending.size > 0);
  }

  private weak = false;

  get peer(): string {
    return this.transport.remoteLabel;
  }

  /** Bytes held for a frame the peer has not finished sending. */
  get partialFrameBytes(): number {
    return this.decoder.bufferedBytes;
  }

  /**
   * Client side: sends the hello frame and waits for the server's acceptance, for up to
   * `timeoutMs` (what is left of the connect deadline `budgetMs`, which the error names).
   */
  async clientHandshake(token: string, timeoutMs: number, budgetMs = timeoutMs): Promise<void> {
    const accepted = new Promise<unknown>((resolve, reject) => {
      this.onHandshake = (reply) => {
        // Open at once: the server may send calls right behind its acceptance, in the same chunk.
        if ((reply as { ok?: unknown } | null)?.ok === true) this.open();
        resolve(reply);
      };
      this.closeListeners.push(() => reject(new ConnectionClosedError({ peer: this.peer, reason: "before the handshake completed" })));
    });
    this.sendRaw({ magic: MAGIC, version: PROTOCOL_VERSION, token });
    let timer: TimerHandle | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = this.clock.setTimeout(() => reject(new RpcTimeoutError({ method: "handshake", peer: this.peer, timeoutMs: budgetMs })), timeoutMs);
    });
    try {
      const reply = (await Promise.race([accepted, timeout])) as { ok?: boolean; error?: string };
      if (reply?.ok !== true) throw new ProtocolError({ peer: this.peer, reason: `it refused the handshake: ${reply?.error}` });
    } catch (e) {
      this.close(true);
      throw e;
    } finally {
      timer?.cancel();
    }
  }

  /** Server side: validates the client's hello. Resolves when accepted; rejects and closes otherwise. */
  serverHandshake(token: string, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = this.clock.setTimeout(() => {
        const error = new ProtocolError({ peer: this.peer, reason: `no handshake within ${timeoutMs} ms` });
        reject(error);
        this.fail(error);
      }, timeoutMs);
      this.closeListeners.push(() => {
        timer.cancel();
        reject(new ConnectionClosedError({ peer: this.peer, reason: "before the handshake" }));
      });
      this.onHandshake = (hello) => {
        timer.cancel();
        const h = hello as { magic?: unknown; version?: unknown; token?: unknown } | null;
        let problem: string | undefined;
        if (h === null || typeof h !== "object" || h.magic !== MAGIC) problem = "not a Lux peer";
        else if (h.version !== PROTOCOL_VERSION)
          problem = `protocol version ${String(h.version)} is not ${PROTOCOL_VERSION}`;
        else if (!tokenMatches(tokenDigest(token), h.token)) problem = "wrong or missing cluster token";
        if (problem !== undefined) {
          this.sendRaw({ ok: false, error: problem });
          const error = new ProtocolError({ peer: this.peer, reason: `handshake refused: ${problem}` });
          reject(error);
          // Flush the refusal so the peer learns why, then close.
          this.fail(error, true);
          return;
        }
        this.open();
        this.sendRaw({ ok: true });
        resolve();
      };
    });
  }

  /**
   * Calls `method` on the peer. The reply must come within `timeoutMs` (default: the
   * connection's `callTimeoutMs`) or the call fails with RpcTimeoutError; with
   * UNTIL_PEER_LOST it waits until the connection closes.
   */
  call<M extends MethodName<Remote>>(
    method: M,
    request: RequestOf<Remote, M>,
    timeoutMs: number = this.options.callTimeoutMs,
  ): Promise<ReplyOf<Remote, M>> {
    if (this.state === "closed") {
      return Promise.reject(new ConnectionClosedError({ peer: this.peer, method }));
    }
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer =
        timeoutMs === UNTIL_PEER_LOST
          ? undefined
          : this.clock.setTimeout(() => {
              this.pending.delete(id);
              if (this.weak && this.pending.size === 0) this.transport.setRef(false);
              reject(new RpcTimeoutError({ method, peer: this.peer, timeoutMs }));
            }, timeoutMs);
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      if (this.weak && this.pending.size === 1) this.transport.setRef(true);
      this.sendRaw([Kind.request, id, method, request]);
    });
  }

  /**
   * `call` for hot paths: the reply (or error) goes to `done` instead of a promise, which
   * saves a promise, its resolvers and a microtask per call. `done` is called exactly once.
   * Its deadline is UNTIL_PEER_LOST (no timer per call): it is for calls that run user work
   * (pushTask), whose caller closes the connection when the peer is declared dead.
   */
  callback<M extends MethodName<Remote>>(
    method: M,
    request: RequestOf<Remote, M>,
    done: (error: Error | undefined, reply: ReplyOf<Remote, M> | undefined) => void,
  ): void {
    if (this.state === "closed") {
      done(new ConnectionClosedError({ peer: this.peer, method }), undefined);
      return;
    }
    const id = this.nextId++;
    this.pending.set(id, done as Done);
    if (this.weak && this.pending.size === 1) this.transport.setRef(true);
    this.sendRaw([Kind.request, id, method, request]);
  }

  /**
   * `call` for a method that replies raw bytes (declared with `rpcBytes`): the bytes go to
   * `sink`, a slice at a time, as they arrive (each slice valid only during the call), instead
   * of being gathered. Resolves once the last one was handed on; a sink that throws fails the
   * call (the rest of the bytes are skipped), not the connection.
   */
  callInto<M extends BytesMethod<Remote>>(method: M, request: RequestOf<Remote, M>, sink: RawSink, timeoutMs: number = this.options.callTimeoutMs): Promise<void> {
    if (this.state === "closed") return Promise.reject(new ConnectionClosedError({ peer: this.peer, method }));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer =
        timeoutMs === UNTIL_PEER_LOST
          ? undefined
          : this.clock.setTimeout(() => {
              this.pending.delete(id);
              if (this.weak && this.pending.size === 0) this.transport.setRef(false);
              reject(new RpcTimeoutError({ method, peer: this.peer, timeoutMs }));
            }, timeoutMs);
      this.pending.set(id, pendingInto(sink, resolve, reject, timer));
      if (this.weak && this.pending.size === 1) this.transport.setRef(true);
      this.sendRaw([Kind.request, id, method, request]);
    });
  }

  /** Fire-and-forget message; delivered in order with calls on this connection. */
  notify<M extends MethodName<Remote>>(method: M, request: RequestOf<Remote, M>): void {
    if (this.state !== "closed") this.sendRaw([Kind.notify, 0, method, request]);
  }

  /**
   * Stops speaking RPC on this connection: from the end of the frame being handled (or now),
   * the bytes the peer sends go to `onData` as they come, and the caller writes on the
   * returned transport (writeFrame, writeRaw). Both sides must detach at an agreed point
   * of the conversation, e.g. the server in a handler and the client once it has that reply,
   * with the server sending nothing else behind it. Closing still goes through close() and
   * onClose(); replies to calls made before keep being written.
   */
  detach(onData: (chunk: Buffer) => void): Transport {
    this.decoder.divert(onData);
    return this.transport;
  }

  onClose(listener: (error?: Error) => void): void {
    if (this.state === "closed") listener();
    else this.closeListeners.push(listener);
  }

  close(destroy = false): void {
    if (this.state === "closed") return;
    this.transport.close(destroy);
  }

  private sendRaw(message: unknown): void {
    writeMessage(this.transport, message);
  }

  private open(): void {
    this.state = "open";
    this.decoder.setLimit(this.options.maxFrameBytes);
  }

  /** Reports malformed input and drops the connection (after flushing what we queued, with `flush`). */
  private fail(error: Error, flush = false): void {
    if (this.state === "closed") return;
    this.options.onProtocolError?.(error, this.peer);
    this.transport.close(!flush);
    this.closed(error);
  }

  private onFrame(buffer: Buffer, start: number, end: number): void {
    // Frames behind the one that closed the connection, in the same chunk: a refused hello
    // must not let the requests written right behind it through.
    if (this.state === "closed") return;
    let message: unknown;
    try {
      message = decodeFrame(buffer, start, end);
    } catch (e) {
      this.fail(new ProtocolError({ peer: this.peer, reason: `undecodable frame: ${decodeProblem(e)}` }));
      return;
    }
    if (this.state === "handshaking") {
      const h = this.onHandshake;
      this.onHandshake = undefined;
      if (h === undefined) this.fail(new ProtocolError({ peer: this.peer, reason: "unexpected frame before the handshake" }));
      else h(message);
      return;
    }
    if (!Array.isArray(message) || message.length !== 4 || typeof message[0] !== "number") {
      this.fail(new ProtocolError({ peer: this.peer, reason: "malformed message" }));
      return;
    }
    const [kind, id, method, body] = message as [number, number, unknown, unknown];
    switch (kind) {
      case Kind.request:
      case Kind.notify:
        this.dispatch(kind === Kind.request ? id : undefined, method, body);
        return;
      case Kind.bytes:
        this.receiveBytes(id, method);
        return;
      case Kind.ok:
      case Kind.error: {
        const p = this.pending.get(id);
        if (p === undefined) return; // timed out earlier
        this.pending.delete(id);
        if (this.weak && this.pending.size === 0) this.transport.setRef(false);
        if (typeof p !== "function") p.timer?.cancel();
        if (kind === Kind.ok) settle(p, undefined, body);
        else settle(p, this.errorCodec.decode(body), undefined);
        return;
      }
      default:
        this.fail(new ProtocolError({ peer: this.peer, reason: `unknown message kind ${kind}` }));
    }
  }

  private dispatch(id: number | undefined, method: unknown, body: unknown): void {
    const entry = typeof method === "string" ? this.methods[method] : undefined;
    if (entry === undefined) {
      if (id !== undefined) {
        this.sendRaw([Kind.error, id, 0, this.errorCodec.encode(new ProtocolError({ reason: `unknown method ${String(method)}` }))]);
      }
      return;
    }
    if (!entry.request.test(body, this.maxMessageDepth)) {
      this.refuse(id, method as string, entry, body);
      return;
    }
    if (entry.bytes === true) {
      this.dispatchBytes(id, entry, body);
      return;
    }
    if (entry.latency !== undefined) {
      this.dispatchTimed(id, entry, entry.latency, body);
      return;
    }
    let result: unknown;
    try {
      result = (entry.handler as (b: unknown, c: unknown) => unknown)(body, this);
    } catch (e) {
      this.reply(id, e, true);
      return;
    }
    if (result instanceof Promise) {
      result.then(
        (v) => this.reply(id, v, false),
        (e) => this.reply(id, e, true),
      );
    } else {
      this.reply(id, result, false);
    }
  }

  /** `dispatch` for a server that measures its handling times: each request's, arrival to reply. */
  private dispatchTimed(id: number | undefined, entry: DispatchEntry, latency: LatencyHistogram, body: unknown): void {
    const start = this.clock.now();
    let result: unknown;
    try {
      result = (entry.handler as (b: unknown, c: unknown) => unknown)(body, this);
    } catch (e) {
      this.reply(id, e, true);
      latency.observe(this.clock.now() - start);
      return;
    }
    if (result instanceof Promise) {
      result.then(
        (v) => {
          this.reply(id, v, false);
          latency.observe(this.clock.now() - start);
        },
        (e) => {
          this.reply(id, e, true);
          latency.observe(this.clock.now() - start);
        },
      );
    } else {
      this.reply(id, result, false);
      latency.observe(this.clock.now() - start);
    }
  }

  /** `dispatch` for a method that replies raw bytes: the reply's frame, then its bytes as they lie (see BytesReply). */
  private dispatchBytes(id: number | undefined, entry: DispatchEntry, body: unknown): void {
    const start = entry.latency === undefined ? 0 : this.clock.now();
    void new Promise((resolve) => resolve((entry.handler as (b: unknown, c: unknown) => unknown)(body, this)))
      .then(
        (v) => this.replyBytes(id, v),
        (e) => this.reply(id, e, true),
      )
      .finally(() => entry.latency?.observe(this.clock.now() - start));
  }

  private replyBytes(id: number | undefined, value: unknown): void {
    if (!isBytesReply(value)) {
      this.reply(id, new ProtocolError({ peer: this.peer, reason: "a bytes method replied without data" }), true);
      return;
    }
    if (id === undefined || this.state === "closed") {
      value.sent?.(new ConnectionClosedError({ peer: this.peer, reason: "before the reply was sent" }));
      return;
    }
    this.sendRaw([Kind.bytes, id, value.data.byteLength, 0]);
    this.transport.writeRaw(value.data, value.sent);
  }

  /** A bytes reply's frame: its bytes follow, for the call waiting on it (or skipped, if it is no longer waiting). */
  private receiveBytes(id: number, length: unknown): void {
    if (typeof length !== "number" || !Number.isInteger(length) || length < 0 || length > this.options.maxFrameBytes) {
      this.fail(new ProtocolError({ peer: this.peer, reason: `a reply announced ${String(length)} raw bytes (at most ${this.options.maxFrameBytes})` }));
      return;
    }
    const p = this.pending.get(id);
    const receiver = bytesReceiver(p, length, () => this.pending.get(id) === p);
    this.decoder.expectRaw(length, receiver.sink, () => {
      if (p === undefined || this.pending.get(id) !== p) return; // timed out meanwhile
      this.pending.delete(id);
      if (this.weak && this.pending.size === 0) this.transport.setRef(false);
      if (typeof p !== "function") p.timer?.cancel();
      receiver.settle(p);
    });
  }

  /** A request whose body does not fit its schema: refused with InvalidRequestError (a sender's bug, not an attack: the connection stays). */
  private refuse(id: number | undefined, method: string, entry: DispatchEntry, body: unknown): void {
    const error = new InvalidRequestError({ method, problem: entry.request.explain(body, "", this.maxMessageDepth) ?? "it does not have the declared shape" });
    this.options.onInvalidRequest?.(error, this.peer);
    this.reply(id, error, true);
  }

  private reply(id: number | undefined, value: unknown, isError: boolean): void {
    if (id === undefined || this.state === "closed") return;
    if (isError) {
      this.sendRaw([Kind.error, id, 0, this.errorCodec.encode(value)]);
      return;
    }
    try {
      this.sendRaw([Kind.ok, id, 0, value]);
    } catch (e) {
      this.sendRaw([Kind.error, id, 0, this.errorCodec.encode(e)]);
    }
  }

  private closed(error?: Error): void {
    if (this.state === "closed") return;
    this.state = "closed";
    // A frame the peer had half sent is never completed: its buffer goes now, not with the
    // connection, and a large one goes back to the system now, not at V8's next collection.
    if (this.decoder.release() >= RELEASE_NOW_BYTES) collectGarbageSoon();
    const reason = new ConnectionClosedError(
      error !== undefined ? { peer: this.peer, reason: error.message, cause: error } : { peer: this.peer },
    );
    for (const p of this.pending.values()) {
      if (typeof p !== "function") p.timer?.cancel();
      settle(p, reason, undefined);
    }
    this.pending.clear();
    for (const l of this.closeListeners.splice(0)) l(error);
  }
}

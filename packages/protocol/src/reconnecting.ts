import { systemClock, type Clock, type TimerHandle } from "./clock.js";
import type { RpcConnection } from "./connection.js";
import { ConnectionClosedError, RpcTimeoutError } from "./errors.js";
import type { MethodName, ReplyOf, RequestOf, ServiceDef } from "./service.js";

/** What callers of a service need from a connection; both RpcConnection and ReconnectingConnection provide it. */
export interface RpcCaller<Remote extends ServiceDef> {
  readonly peer: string;
  readonly state: string;
  call<M extends MethodName<Remote>>(method: M, request: RequestOf<Remote, M>, timeoutMs?: number): Promise<ReplyOf<Remote, M>>;
  notify<M extends MethodName<Remote>>(method: M, request: RequestOf<Remote, M>): void;
  onClose(listener: (error?: Error) => void): void;
  close(destroy?: boolean): void;
}

export interface ReconnectOptions<Remote extends ServiceDef, Local extends ServiceDef> {
  /** Opens a new authenticated connection to the same address. */
  connect: () => Promise<RpcConnection<Remote, Local>>;
  /** How long after a loss reconnection is attempted before giving up. */
  windowMs: number;
  /** First delay between attempts (doubled each time up to maxDelayMs). Default 100 ms. */
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** Times the backoff and the window (default: the system clock). */
  clock?: Clock;
  /** Backoff timers keep the process alive only while calls wait for the connection. */
  weak?: boolean;
  /** The connection dropped; reconnection starts. */
  onDisconnect?: (error: Error | undefined) => void;
}

/** The state of a ReconnectingConnection. */
export type ReconnectingState = "open" | "reconnecting" | "closed";

/** A hook run on each new connection before waiting calls go through it (re-registration). */
export type ReconnectHook<Remote extends ServiceDef, Local extends ServiceDef> = (connection: RpcConnection<Remote, Local>) => Promise<void>;

/**
 * An RPC connection that reconnects to the same address, with exponential backoff, when it
 * drops, for up to `windowMs`. Calls made while it reconnects wait; calls in flight when it
 * dropped are sent again on the new connection (so the methods called through it must be
 * idempotent); notifications meanwhile are dropped. Hooks registered with `onReconnect` run
 * on each new connection first, in order; a hook failing with anything but a closed or timed
 * out connection makes it give up. Once given up (or closed), `onClose` listeners run and
 * every call rejects with ConnectionClosedError, as with a plain RpcConnection.
 */
export class ReconnectingConnection<Remote extends ServiceDef, Local extends ServiceDef = ServiceDef> implements RpcCaller<Remote> {
  state: ReconnectingState = "open";
  private readonly clock: Clock;
  private readonly hooks: ReconnectHook<Remote, Local>[] = [];
  private readonly reconnectListeners: (() => void)[] = [];
  private readonly closeListeners: ((error?: Error) => void)[] = [];
  private waiters: { resolve(c: RpcConnection<Remote, Local>): void; reject(e: Error): void }[] = [];
  private timer: TimerHandle | undefined;
  private timerDue = 0;
  private timerRefd = false;
  private deadline = 0;
  private delay = 0;

  private constructor(
    private current: RpcConnection<Remote, Local> | undefined,
    private readonly options: ReconnectOptions<Remote, Local>,
  ) {
    this.clock = options.clock ?? systemClock;
    this.peer = current?.peer ?? "";
  }

  /** Connects once (failing as a plain connect does) and reconnects on later losses. */
  static async open<R extends ServiceDef, L extends ServiceDef>(options: ReconnectOptions<R, L>): Promise<ReconnectingConnection<R, L>> {
    const connection = await options.connect();
    const self = new ReconnectingConnection<R, L>(connection, options);
    self.watch(connection);
    return self;
  }

  readonly peer: string;

  /** The current underlying connection, if connected. */
  get connection(): RpcConnection<Remote, Local> | undefined {
    return this.current;
  }

  onReconnect(hook: ReconnectHook<Remote, Local>): void {
    this.hooks.push(hook);
  }

  /** Runs after each successful reconnection (hooks done). */
  onReconnected(listener: () => void): void {
    this.reconnectListeners.push(listener);
  }

  /** Runs once, when it gives up or is closed. */
  onClose(listener: (error?: Error) => void): void {
    if (this.state === "closed") listener();
    else this.closeListeners.push(listener);
  }

  async call<M extends MethodName<Remote>>(method: M, request: RequestOf<Remote, M>, timeoutMs?: number): Promise<ReplyOf<Remote, M>> {
    for (;;) {
      const connection = await this.ready(method);
      try {
        return await connection.call(method, request, timeoutMs);
      } catch (e) {
        // Lost with the connection: send it again once reconnected.
        if (!(e instanceof ConnectionClosedError) || connection.state !== "closed" || this.state === "closed") throw e;
      }
    }
  }

  notify<M extends MethodName<Remote>>(method: M, request: RequestOf<Remote, M>): void {
    this.current?.notify(method, request);
  }

  close(destroy = false): void {
    if (this.state === "closed") return;
    const c = this.current;
    this.current = undefined;
    c?.close(destroy);
    this.giveUp(undefined);
  }

  private ready(method: string): Promise<RpcConnection<Remote, Local>> {
    if (this.state === "closed") return Promise.reject(new ConnectionClosedError({ peer: this.peer, method }));
    if (this.state === "open" && this.current !== undefined && this.current.state !== "closed") return Promise.resolve(this.current);
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      // A waiting call keeps the process alive, as a pending call on a connection does.
      if (this.timer !== undefined && !this.timerRefd) this.schedule(Math.max(0, this.timerDue - this.clock.now()));
    });
  }

  private watch(connection: RpcConnection<Remote, Local>): void {
    connection.onClose((error) => {
      if (this.current !== connection || this.state !== "open") return;
      this.current = undefined;
      this.state = "reconnecting";
      this.options.onDisconnect?.(error);
      this.deadline = this.clock.now() + this.options.windowMs;
      this.delay = this.options.initialDelayMs ?? 100;
      this.schedule(0);
    });
  }

  private schedule(ms: number): void {
    this.timer?.cancel();
    this.timerDue = this.clock.now() + ms;
    this.timerRefd = this.options.weak !== true || this.waiters.length > 0;
    const timer = this.clock.setTimeout(() => {
      if (this.timer === timer) this.timer = undefined;
      void this.attempt();
    }, ms);
    if (!this.timerRefd) timer.unref();
    this.timer = timer;
  }

  private async attempt(): Promise<void> {
    if (this.state !== "reconnecting") return;
    let connection: RpcConnection<Remote, Local> | undefined;
    try {
      connection = await this.options.connect();
      for (const hook of this.hooks) {
        if (this.state !== "reconnecting") break;
        await hook(connection);
      }
    } catch (e) {
      connection?.close(true);
      const transient = connection === undefined || e instanceof ConnectionClosedError || e instanceof RpcTimeoutError;
      if (this.state !== "reconnecting") return;
      if (!transient) {
        this.giveUp(new ConnectionClosedError({ peer: this.peer, reason: `reconnecting failed: ${(e as Error).message}`, cause: e }));
        return;
      }
      const left = this.deadline - this.clock.now();
      if (left <= 0) {
        this.giveUp(new ConnectionClosedError({ peer: this.peer, reason: `it did not come back within ${this.options.windowMs} ms`, cause: e }));
        return;
      }
      const wait = Math.min(this.delay, left);
      this.delay = Math.min(this.delay * 2, this.options.maxDelayMs ?? 2000);
      this.schedule(wait);
      return;
    }
    if (this.state !== "reconnecting" || connection.state === "closed") {
      if (this.state === "reconnecting") this.schedule(0);
      else connection.close(true);
      return;
    }
    this.current = connection;
    this.state = "open";
    this.watch(connection);
    for (const w of this.waiters.splice(0)) w.resolve(connection);
    for (const l of this.reconnectListeners) l();
  }

  private giveUp(error: Error | undefined): void {
    if (this.state === "closed") return;
    this.state = "closed";
    this.timer?.cancel();
    this.timer = undefined;
    const reason = error ?? new ConnectionClosedError({ peer: this.peer });
    for (const w of this.waiters.splice(0)) w.reject(reason);
    for (const l of this.closeListeners.splice(0)) l(error);
  }
}

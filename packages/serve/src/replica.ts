/**
 * A replica: the actor that runs one copy of a deployment's code. Requests from every
 * handle and proxy pass its gate (at most maxOngoingRequests run at once); the controller's
 * calls (health, reconfigure, metrics, drain) run in a concurrency group of their own, so a
 * busy replica still answers them. Made remote while this module is evaluated, so workers
 * find the class by importing it.
 */
import { randomUUID } from "node:crypto";
import * as lux from "lux";
import { delay, systemClock } from "./clock.js";
import { Gate } from "./gate.js";
import { recordReplicaRequest } from "./metrics.js";
import { chunkBytes, isAsyncIterable, toRequest, toResponseData } from "./http-codec.js";
import type { HttpRequestData, HttpResponseData, RequestMeta, TargetSpec } from "./specs.js";
import { UserCode, reviveHandles } from "./user-code.js";
import { isHandleMarker } from "./specs.js";

export interface ReplicaInit {
  app: string;
  deployment: string;
  replicaId: string;
  target: TargetSpec;
  initArgs: unknown[];
  userConfig: unknown;
  maxOngoingRequests: number;
}

/** A streamed HTTP body not claimed by its proxy within this long is closed. */
const UNCLAIMED_STREAM_MS = 30_000;
/** While draining: the requests must have stopped arriving for this long (one sent just before the routers heard may still come). */
const DRAIN_QUIET_MS = 100;

export class ServeReplica {
  private code: UserCode | undefined;
  private readonly gate: Gate;
  private readonly streams = new Map<string, { it: AsyncIterator<unknown>; release: () => void }>();
  private lastRequestAt = 0;

  constructor(private readonly init: ReplicaInit) {
    this.gate = new Gate(init.maxOngoingRequests);
  }

  /** Loads and constructs the deployment's code, applies its userConfig, checks its health once. */
  async initialize(): Promise<{ pid: number; nodeId: string }> {
    this.code = await UserCode.load(this.init.target, this.init.initArgs);
    if (this.init.userConfig !== undefined) await this.code.reconfigure(this.init.userConfig);
    await this.code.checkHealth();
    return { pid: process.pid, nodeId: lux.getRuntimeContext().nodeId };
  }

  async handleRequest(meta: RequestMeta, method: string, ...args: unknown[]): Promise<unknown> {
    void meta;
    const code = this.ready();
    const fn = code.method(method);
    revive(args);
    await this.enter();
    const started = performance.now();
    let failed = true;
    try {
      const out = await fn(...args);
      failed = false;
      return out;
    } finally {
      this.gate.leave();
      recordReplicaRequest(this.init.app, this.init.deployment, performance.now() - started, failed);
    }
  }

  async *handleStream(meta: RequestMeta, method: string, ...args: unknown[]): AsyncGenerator<unknown> {
    void meta;
    const fn = this.ready().method(method);
    revive(args);
    await this.enter();
    try {
      const out = await fn(...args);
      if (!isAsyncIterable(out) && !isSyncIterable(out)) throw new TypeError(`${this.init.deployment}.${method}() was called with stream: true but returned no (async) iterable`);
      yield* out as AsyncIterable<unknown>;
    } finally {
      this.gate.leave();
    }
  }

  /** An HTTP request to the ingress; a thrown error is answered 500 here (its stack only in this replica's log). */
  async handleHttp(meta: RequestMeta, data: HttpRequestData): Promise<HttpResponseData> {
    const code = this.ready();
    await this.enter();
    const started = performance.now();
    let streaming = false;
    let failed = false;
    try {
      const out = await code.http(() => toRequest(data), data);
      if (code.ingress !== undefined) return out as HttpResponseData;
      const response = await toResponseData(out);
      if (response !== undefined) return response;
      streaming = true;
      return this.openStream(out as AsyncIterable<unknown>, data);
    } catch (e) {
      failed = true;
      const [name, message] = e instanceof Error ? [e.name, e.message] : ["Error", String(e)];
      console.error(`[serve] ${this.init.app}/${this.init.deployment} request ${meta.requestId} failed: ${e instanceof Error ? (e.stack ?? message) : message}`);
      return {
        kind: "full",
        status: 500,
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ error: name, message, requestId: meta.requestId }),
      };
    } finally {
      if (!streaming) this.gate.leave();
      recordReplicaRequest(this.init.app, this.init.deployment, performance.now() - started, failed);
    }
  }

  /** The body of a streamed HTTP response, item by item as bytes. Its proxy's `return()` ends the deployment's iterator. */
  async *streamHttp(streamId: string, sse: boolean): AsyncGenerator<Uint8Array> {
    const stream = this.streams.get(streamId);
    if (stream === undefined) return;
    this.streams.delete(streamId);
    try {
      for (;;) {
        const item = await stream.it.next();
        if (item.done === true) return;
        yield chunkBytes(item.value, sse);
      }
    } finally {
      await stream.it.return?.();
      stream.release();
    }
  }

  async checkHealth(): Promise<void> {
    await this.ready().checkHealth();
  }

  /** A redeploy that changed only userConfig: the same process, a new config. */
  async reconfigure(userConfig: unknown): Promise<void> {
    await this.ready().reconfigure(userConfig);
  }

  getMetrics(): { ongoing: number; running: number; pid: number } {
    return { ongoing: this.gate.ongoing, running: this.gate.running, pid: process.pid };
  }

  /** Waits until no request runs or arrives (at most `timeoutMs`), then closes the code's resources. */
  async prepareForShutdown(timeoutMs: number): Promise<void> {
    const deadline = systemClock.now() + timeoutMs;
    while (systemClock.now() < deadline) {
      if (this.gate.ongoing === 0 && this.streams.size === 0 && systemClock.now() - this.lastRequestAt >= DRAIN_QUIET_MS) break;
      await delay(systemClock, 20);
    }
    await this.code?.close().catch(() => undefined);
  }

  private ready(): UserCode {
    if (this.code === undefined) throw new TypeError(`replica ${this.init.replicaId} is not initialized`);
    return this.code;
  }

  private enter(): Promise<void> | undefined {
    this.lastRequestAt = systemClock.now();
    return this.gate.enter();
  }

  private openStream(out: AsyncIterable<unknown>, data: HttpRequestData): HttpResponseData {
    const streamId = randomUUID();
    const it = out[Symbol.asyncIterator]();
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      this.gate.leave();
    };
    this.streams.set(streamId, { it, release });
    // A proxy that never reads the stream (it died) must not hold the slot forever.
    systemClock
      .setTimeout(() => {
        if (!this.streams.delete(streamId)) return;
        void Promise.resolve(it.return?.()).catch(() => undefined);
        release();
      }, UNCLAIMED_STREAM_MS)
      .unref();
    const sse = (data.headers["accept"] ?? "").includes("text/event-stream");
    const contentType = sse ? "text/event-stream" : "text/plain; charset=utf-8";
    return { kind: "stream", status: 200, headers: { "content-type": contentType, "cache-control": "no-cache" }, streamId };
  }
}

/** Handles given as arguments travel as markers: handles again here. */
function revive(args: unknown[]): void {
  for (let i = 0; i < args.length; i++) if (isHandleMarker(args[i])) args[i] = reviveHandles(args[i]);
}

function isSyncIterable(value: unknown): value is Iterable<unknown> {
  return typeof value === "object" && value !== null && typeof (value as Iterable<unknown>)[Symbol.iterator] === "function";
}

/** The replica's actor class. Control calls get their own group so requests never hold them back. */
export const ReplicaActor = lux.remote(ServeReplica);

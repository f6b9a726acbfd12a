/**
 * Service definitions. A service is declared once as a value (`defineService`): each method
 * names the schema of its request and the type of its reply. `ServiceOf` turns it into the
 * interface both sides of a connection are type-checked against (a method name mapped to a
 * function type `(request) => reply`), and the request schemas check every request at
 * dispatch, before its handler runs.
 */
import type { LatencyHistogram } from "./latency-histogram.js";
import type { Schema } from "./schema.js";

export type ServiceDef = object;

export type MethodName<S extends ServiceDef> = {
  [K in keyof S]: S[K] extends (request: never) => unknown ? K : never;
}[keyof S] &
  string;
export type RequestOf<S extends ServiceDef, M extends MethodName<S>> = S[M] extends (request: infer Q) => unknown ? Q : never;
export type ReplyOf<S extends ServiceDef, M extends MethodName<S>> = S[M] extends (request: never) => infer R ? Awaited<R> : never;

/** Server-side implementation of a service: each handler gets the request and the connection. */
export type Handlers<S extends ServiceDef, C> = {
  [M in MethodName<S>]?: (request: RequestOf<S, M>, connection: C) => ReplyOf<S, M> | Promise<ReplyOf<S, M>>;
};

/** The reply type of a method, named with `returns<R>()` (replies are not checked at run time). */
export interface Returns<R> {
  readonly __reply?: R;
}

/** One method of a service: the schema of its request and the type of its reply. */
export interface MethodSpec<Q, R> extends Returns<R> {
  readonly request: Schema<Q>;
  /** Declared with `rpcBytes`: its reply's bytes travel raw. */
  readonly bytesReply?: true;
}

/**
 * The reply of a method declared with `rpcBytes`. Its bytes travel as they are, behind a
 * small frame, never encoded or copied on the way out: the server's transport writes `data`
 * where it lies, so the handler leaves those bytes unchanged until `sent` runs (called once
 * they were written, or could not be; never sent to the peer). A caller gets them gathered
 * into `data`, or hands them to a sink as they arrive (`RpcConnection.callInto`).
 */
export interface BytesReply {
  data: Uint8Array;
  sent?: (error?: Error) => void;
}

/** The methods of a service, by name. */
export type ServiceSpec = Readonly<Record<string, MethodSpec<unknown, unknown>>>;

const RETURNS: Returns<never> = Object.freeze({});

/** Names the reply type of a method: `rpc(obj({ … }), returns<{ ok: true }>())`. */
export function returns<R>(): Returns<R> {
  return RETURNS as Returns<R>;
}

/** A method taking requests of `request`'s shape and replying `R`. */
export function rpc<Q, R>(request: Schema<Q>, reply: Returns<R>): MethodSpec<Q, R> {
  void reply;
  return Object.freeze({ request });
}

/** A method taking requests of `request`'s shape and replying bytes that travel raw (see BytesReply). */
export function rpcBytes<Q>(request: Schema<Q>): MethodSpec<Q, BytesReply> {
  return Object.freeze({ request, bytesReply: true });
}

/** Declares a service: its methods, each with its request schema and reply type. */
export function defineService<const D extends ServiceSpec>(methods: D): D {
  return Object.freeze(methods);
}

/** The interface of a declared service: each method as `(request) => reply`. */
export type ServiceOf<D extends ServiceSpec> = {
  [M in keyof D]: D[M] extends MethodSpec<infer Q, infer R> ? (request: Q) => R : never;
};

/** How a connection dispatches one method: the request's schema, then the handler. */
export interface DispatchEntry {
  readonly request: Schema<unknown>;
  readonly handler: (request: unknown, connection: never) => unknown;
  /** Where the handling time of each request is observed, when the server measures it (ServiceHandlers.measure). */
  readonly latency?: LatencyHistogram | undefined;
  /** The method replies raw bytes (declared with `rpcBytes`). */
  readonly bytes?: boolean;
}

/**
 * The handlers a process serves for service `S`, each behind its method's request schema
 * (made by `serve`). A connection dispatches only through one of these, so no handler can
 * see a request that was not checked.
 */
export interface ServedHandlers<S extends ServiceDef> {
  readonly __service?: S;
  /** Method name → entry, without a prototype (a method named "constructor" finds nothing). */
  readonly methods: Readonly<Record<string, DispatchEntry | undefined>>;
}

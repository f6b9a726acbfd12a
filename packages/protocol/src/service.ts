/**
 * Typed service definitions. A service is an interface mapping each method name to a
 * function type `(request) => reply`; both sides of a connection are checked against it.
 */
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

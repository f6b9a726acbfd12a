/**
 * `DeploymentHandle<T>`: calls a deployment's methods from any process (a driver, another
 * deployment's replica), typed from T. `h.predict.remote(x)` returns a DeploymentResponse;
 * for a function deployment (and a class's `call`), `h.remote(x)`. Each call goes through
 * this process's router for the deployment (router.ts).
 */
import * as lux from "lux";
import { ActorDiedError } from "lux";
import { DeploymentResponse, DeploymentResponseGenerator } from "./response.js";
import { routers } from "./routers.js";
import type { ReplicaSlot, Router } from "./router.js";
import type { HandleMarker, RequestMeta } from "./specs.js";
import type { ServeReplica } from "./replica.js";

type AnyFunction = (...args: any[]) => unknown;

/** Each parameter may also be given as a DeploymentResponse of that type, un-awaited. */
export type HandleArgs<A extends readonly unknown[]> = { [K in keyof A]: A[K] | DeploymentResponse<A[K]> };

/** What a streaming method yields. */
export type Yielded<R> = Awaited<R> extends AsyncIterable<infer Y> ? Y : Awaited<R> extends Iterable<infer Y> ? Y : never;

/** `handle.options(...)`. */
export interface HandleOptions {
  /** Calls return a DeploymentResponseGenerator of what the method yields. Default false. */
  stream?: boolean;
}

/** A method of a deployment, called with `.remote(...)`. */
export interface HandleMethod<A extends readonly unknown[], R> {
  remote(...args: HandleArgs<A>): DeploymentResponse<Awaited<R>>;
}

/** A method of a deployment called on a streaming handle. */
export interface StreamingHandleMethod<A extends readonly unknown[], R> {
  remote(...args: HandleArgs<A>): DeploymentResponseGenerator<Yielded<R>>;
}

type MethodNames<T> = { [K in keyof T]: T[K] extends AnyFunction ? K : never }[keyof T] & string;

/** A handle whose deployment's type is not known (`any`): any method, untyped. */
type UntypedHandle = HandleBase<any> & { readonly [method: string]: any };

/** A typed handle to a deployment of T (a class's instances, or a function). */
export type DeploymentHandle<T = any> = 0 extends 1 & T
  ? UntypedHandle
  : HandleBase<T> &
  (T extends AnyFunction
    ? { remote(...args: HandleArgs<Parameters<T>>): DeploymentResponse<Awaited<ReturnType<T>>> }
    : { readonly [K in MethodNames<T>]: T[K] extends (...args: infer A) => infer R ? HandleMethod<A, R> : never } & CallRemote<T>);

/** The handle of `options({ stream: true })`. */
export type StreamingDeploymentHandle<T = any> = HandleBase<T> &
  (T extends AnyFunction
    ? { remote(...args: HandleArgs<Parameters<T>>): DeploymentResponseGenerator<Yielded<ReturnType<T>>> }
    : { readonly [K in MethodNames<T>]: T[K] extends (...args: infer A) => infer R ? StreamingHandleMethod<A, R> : never });

/** A class with `call(...)`: `h.remote(...)` calls it, as HTTP does. */
type CallRemote<T> = T extends { call(...args: infer A): infer R } ? { remote(...args: HandleArgs<A>): DeploymentResponse<Awaited<R>> } : unknown;

interface HandleBase<T> {
  readonly appName: string;
  readonly deploymentName: string;
  /** The same handle with other call options. */
  options(options: HandleOptions & { stream: true }): StreamingDeploymentHandle<T>;
  options(options: HandleOptions): DeploymentHandle<T>;
  /** Never set: carries T for the type checker. */
  readonly __serveType?: T;
}

/** The class behind every handle (a Proxy gives it the deployment's methods). */
class HandleImpl {
  // Not a #private field: methods run with the Proxy as `this`.
  private readonly stubs = new Map<string, { remote(...args: unknown[]): unknown }>();

  constructor(
    readonly appName: string,
    readonly deploymentName: string,
    readonly handleOptions: HandleOptions,
  ) {
    return new Proxy(this, {
      get: (target, prop, receiver) => {
        if (typeof prop === "symbol" || prop in target) return Reflect.get(target, prop, receiver) as unknown;
        // Never thenable: `await serve.run(app)` must give the handle, not call it.
        if (prop === "then") return undefined;
        return target.method(prop);
      },
    });
  }

  options(options: HandleOptions): HandleImpl {
    if (typeof options !== "object" || options === null) throw new TypeError("handle.options() takes an object such as { stream: true }");
    return new HandleImpl(this.appName, this.deploymentName, { ...this.handleOptions, ...options });
  }

  /** `h.remote(...)`: a function deployment, or a class's `call`. */
  remote(...args: unknown[]): unknown {
    return this.method("__call__").remote(...args);
  }

  toJSON(): HandleMarker {
    return { __luxServeHandle: { app: this.appName, deployment: this.deploymentName } };
  }

  toString(): string {
    return `DeploymentHandle(${this.appName}#${this.deploymentName})`;
  }

  private method(name: string): { remote(...args: unknown[]): unknown } {
    let m = this.stubs.get(name);
    if (m === undefined) {
      const stream = this.handleOptions.stream === true;
      m = { remote: (...args: unknown[]) => callDeployment(this.appName, this.deploymentName, name, args, stream) };
      this.stubs.set(name, m);
    }
    return m;
  }
}

/** A handle to deployment `deployment` of application `app`. */
export function makeHandle<T>(app: string, deployment: string, options: HandleOptions = {}): DeploymentHandle<T> {
  return new HandleImpl(app, deployment, options) as unknown as DeploymentHandle<T>;
}

/** Whether `value` is a DeploymentHandle. */
export function isDeploymentHandle(value: unknown): value is DeploymentHandle {
  return value instanceof HandleImpl;
}

type Replica = lux.ActorHandle<ServeReplica>;

let requestCounter = 0;
const requestPrefix = Math.random().toString(36).slice(2, 10);

/** Top-level arguments as they travel: responses as their refs (resolved by the callee), handles as markers. */
async function wireArgs(args: readonly unknown[]): Promise<unknown[]> {
  let pending = false;
  for (const a of args) if (a instanceof DeploymentResponse || a instanceof HandleImpl) pending = true;
  if (!pending) return args as unknown[];
  return Promise.all(args.map((a) => (a instanceof DeploymentResponse ? a.assigned() : a instanceof HandleImpl ? a.toJSON() : a)));
}

async function slotFor(router: Router): Promise<ReplicaSlot> {
  const fresh = routers().poll.touch();
  if (fresh !== undefined) await fresh;
  return router.acquire(Date.now());
}

function callDeployment(app: string, deployment: string, method: string, args: unknown[], stream: boolean): unknown {
  const router = routers().get(app, deployment);
  const meta: RequestMeta = { requestId: `${requestPrefix}-${++requestCounter}` };
  if (stream) return callStreaming(router, meta, method, args);
  let slot: ReplicaSlot | undefined;
  const assigned = Promise.all([slotFor(router), wireArgs(args)]).then(([s, wire]) => {
    slot = s;
    return (s.ref.actor as Replica).handleRequest.remote(meta, method, ...wire) as unknown as lux.ObjectRef<unknown>;
  });
  const value = assigned.then((ref) =>
    lux.get(ref).then(
      (v) => {
        router.release(slot as ReplicaSlot);
        return v;
      },
      (e: unknown) => {
        if (e instanceof ActorDiedError) router.replicaDied(slot as ReplicaSlot);
        router.release(slot as ReplicaSlot);
        throw e;
      },
    ),
  );
  return new DeploymentResponse(assigned, value);
}

function callStreaming(router: Router, meta: RequestMeta, method: string, args: unknown[]): DeploymentResponseGenerator<unknown> {
  let slot: ReplicaSlot | undefined;
  const refs = Promise.all([slotFor(router), wireArgs(args)]).then(([s, wire]) => {
    slot = s;
    return (s.ref.actor as Replica).handleStream.remote(meta, method, ...wire) as unknown as AsyncIterator<lux.ObjectRef<unknown>>;
  });
  return new DeploymentResponseGenerator(refs, (error) => {
    if (slot === undefined) return;
    if (error instanceof ActorDiedError) router.replicaDied(slot);
    router.release(slot);
  });
}

import type { ObjectRef } from "./object-ref.js";
import type { ObjectRefGenerator } from "./object-ref-generator.js";
import type { ActorOptions, MethodOptions, TaskOptions } from "./options.js";

/** Each parameter may also be given as an ObjectRef to a value of its type. */
export type RemoteArgs<A extends readonly unknown[]> = { [K in keyof A]: A[K] | ObjectRef<A[K]> };

/**
 * The refs `.remote()` returns for a result of type R with `numReturns: N` (undefined: the
 * option was never given, so one ref). With `numReturns`, an array: `1` keeps the whole
 * result in one ref; `0` (actor methods) gives none; a count equal to the length of the
 * returned tuple gives one ref per element, each typed as that element; any other count
 * makes the task fail, so its refs hold nothing (`never`). A count known only at run time
 * gives refs of unknown values.
 */
export type ReturnRefs<R, N extends number | undefined = R extends readonly unknown[] ? R["length"] : number> = N extends undefined
  ? ObjectRef<R>
  : N extends 1
    ? [ObjectRef<R>]
    : N extends 0
      ? []
      : number extends N
        ? ObjectRef<unknown>[]
        : SplitRefs<R, N>;

/**
 * What `.remote()` returns for a function or method whose return type is R: for a generator
 * (`function*`, `async function*`, a `*method()`), an ObjectRefGenerator of what it yields;
 * otherwise `ReturnRefs<Awaited<R>, N>`.
 */
export type RemoteResult<R, N extends number | undefined = undefined> = 0 extends 1 & R
  ? ReturnRefs<Awaited<R>, N>
  : [R] extends [never]
    ? ReturnRefs<Awaited<R>, N>
    : [R] extends [Generator<infer Y, unknown, never> | AsyncGenerator<infer Y, unknown, never>]
      ? ObjectRefGenerator<Y>
      : ReturnRefs<Awaited<R>, N>;

/** One ref per element of R, for a literal `numReturns: N` other than 1. */
type SplitRefs<R, N> = unknown extends R
  ? ObjectRef<unknown>[]
  : R extends readonly unknown[]
    ? number extends R["length"]
      ? ObjectRef<R[number]>[]
      : R["length"] extends N
        ? { -readonly [K in keyof R]: ObjectRef<R[K]> }
        : ObjectRef<never>[]
    : ObjectRef<never>[];

/**
 * A function made remote with `lux.remote(fn)`. N is its `numReturns` option (undefined
 * until given): `.remote()` returns `ReturnRefs<R, N>`.
 */
export interface RemoteFunction<A extends readonly unknown[], R, N extends number | undefined = undefined> {
  /**
   * Submits a task and returns a ref to its result at once (with `numReturns`, an array of
   * refs; for a generator function, an ObjectRefGenerator of what it yields).
   */
  remote(...args: RemoteArgs<A>): RemoteResult<R, N>;
  /**
   * The same function with other options, merged over the current ones. With `numReturns`,
   * `.remote()` returns an array of refs (see ReturnRefs). Options whose type does not
   * say `numReturns` (a `TaskOptions` value, say) keep the current return type.
   */
  options<const M extends number>(options: TaskOptions & { numReturns: M }): RemoteFunction<A, R, M>;
  options(options: TaskOptions): RemoteFunction<A, R, N>;
}

/** A remote function declared with `numReturns`. */
export type MultiReturnFunction<A extends readonly unknown[], R, N extends number = number> = RemoteFunction<A, R, N>;

type AnyFunction = (...args: any[]) => unknown;
 
export type AnyClass = abstract new (...args: any[]) => object;

/** Names of the methods of T. */
export type MethodNames<T> = { [K in keyof T]: T[K] extends AnyFunction ? K : never }[keyof T] & string;

/** A method of an actor, called with `.remote(...)`; N is its `numReturns` as for RemoteFunction. */
export interface ActorMethod<A extends readonly unknown[], R, N extends number | undefined = undefined> {
  remote(...args: RemoteArgs<A>): RemoteResult<R, N>;
  options<const M extends number>(options: MethodOptions & { numReturns: M }): ActorMethod<A, R, M>;
  options(options: MethodOptions): ActorMethod<A, R, N>;
}

/** A handle to an actor of class T: each method of T, called with `.remote(...)`. */
export type ActorHandle<T> = {
  readonly [K in MethodNames<T>]: T[K] extends (...args: infer A) => infer R ? ActorMethod<A, R> : never;
};

/** A class made remote with `lux.remote(Class)`. */
export interface ActorClass<C extends AnyClass> {
  /** Creates the actor and returns its handle at once. */
  remote(...args: RemoteArgs<ConstructorParameters<C>>): ActorHandle<InstanceType<C>>;
  /**
   * The same class with other options, merged over the current ones. The keys of `methods`
   * are the class's methods, and a method's `concurrencyGroup` one of `concurrencyGroups`.
   */
  options<const G extends string = string>(options: ActorOptions<InstanceType<C>, G>): ActorClass<C>;
}

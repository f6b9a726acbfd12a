import type { ObjectRef } from "./object-ref.js";
import type { ActorOptions, MethodOptions, TaskOptions } from "./options.js";

/** Each parameter may also be given as an ObjectRef to a value of its type. */
export type RemoteArgs<A extends readonly unknown[]> = { [K in keyof A]: A[K] | ObjectRef<A[K]> };

/** Refs for a function declared with `numReturns`: one per element of the returned tuple. */
export type ReturnRefs<R> = R extends readonly unknown[]
  ? number extends R["length"]
    ? ObjectRef<R[number]>[]
    : { -readonly [K in keyof R]: ObjectRef<R[K]> }
  : ObjectRef<unknown>[];

/** A function made remote with `lux.remote(fn)`. */
export interface RemoteFunction<A extends readonly unknown[], R> {
  /** Submits a task and returns a ref to its result at once. */
  remote(...args: RemoteArgs<A>): ObjectRef<Awaited<R>>;
  /** The same function with other options; with `numReturns`, `.remote()` returns an array of refs. */
  options(options: TaskOptions & { numReturns: number }): MultiReturnFunction<A, R>;
  options(options: TaskOptions): RemoteFunction<A, R>;
}

/** A remote function declared with `numReturns`. */
export interface MultiReturnFunction<A extends readonly unknown[], R> {
  remote(...args: RemoteArgs<A>): ReturnRefs<Awaited<R>>;
  options(options: TaskOptions & { numReturns: number }): MultiReturnFunction<A, R>;
  options(options: TaskOptions): RemoteFunction<A, R>;
}

 
type AnyFunction = (...args: any[]) => unknown;
 
export type AnyClass = abstract new (...args: any[]) => object;

/** Names of the methods of T. */
export type MethodNames<T> = { [K in keyof T]: T[K] extends AnyFunction ? K : never }[keyof T] & string;

/** A method of an actor, called with `.remote(...)`. */
export interface ActorMethod<A extends readonly unknown[], R> {
  remote(...args: RemoteArgs<A>): ObjectRef<Awaited<R>>;
  options(options: MethodOptions & { numReturns: number }): { remote(...args: RemoteArgs<A>): ReturnRefs<Awaited<R>> };
  options(options: MethodOptions): ActorMethod<A, R>;
}

/** A handle to an actor of class T: each method of T, called with `.remote(...)`. */
export type ActorHandle<T> = {
  readonly [K in MethodNames<T>]: T[K] extends (...args: infer A) => infer R ? ActorMethod<A, R> : never;
};

/** A class made remote with `lux.remote(Class)`. */
export interface ActorClass<C extends AnyClass> {
  /** Creates the actor and returns its handle at once. */
  remote(...args: RemoteArgs<ConstructorParameters<C>>): ActorHandle<InstanceType<C>>;
  options(options: ActorOptions): ActorClass<C>;
}

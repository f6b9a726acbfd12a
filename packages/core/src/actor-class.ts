/**
 * How many calls an actor runs at once when created without `maxConcurrency`: as in Ray, an
 * async actor (its class has an async method) runs up to 1,000, interleaved at their awaits,
 * so that one call may wait for another (Ray's SignalActor pattern); any other actor, one.
 */
export const ASYNC_ACTOR_MAX_CONCURRENCY = 1000;

/** `maxConcurrency` for an actor of class `cls` created without the option. */
export function defaultMaxConcurrency(cls: abstract new (...args: never[]) => unknown): number {
  return hasAsyncMethod(cls) ? ASYNC_ACTOR_MAX_CONCURRENCY : 1;
}

/**
 * Whether the class, or a class it extends, defines an async method or async generator
 * method. Reads property descriptors only: getters are not called.
 */
export function hasAsyncMethod(cls: abstract new (...args: never[]) => unknown): boolean {
  for (let proto: unknown = cls.prototype; proto !== null && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    for (const key of Reflect.ownKeys(proto as object)) {
      const descriptor = Object.getOwnPropertyDescriptor(proto, key);
      if (key !== "constructor" && descriptor !== undefined && isAsync(descriptor.value)) return true;
    }
  }
  return false;
}

function isAsync(value: unknown): boolean {
  if (typeof value !== "function") return false;
  const tag = Object.prototype.toString.call(value);
  return tag === "[object AsyncFunction]" || tag === "[object AsyncGeneratorFunction]";
}

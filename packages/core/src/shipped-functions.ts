/**
 * Functions shipped the way `lux.remote` ships them, for code that runs them inside its own
 * actors rather than as tasks of their own (lux.util.Pool runs them in its pool's actors,
 * where an initializer may have set up the module state they use).
 */
import { currentCoreWorker, functions, requireConnected } from "./api.js";
import { explain } from "./by-value-advice.js";
import type { Definition } from "./function-registry.js";
import { NotInitializedError } from "@lux/common";

/** What travels in place of a function: its id in the control service's function table. */
export interface ShippedFunction {
  readonly functionId: string;
  readonly name: string;
}

/**
 * A function (or class) shipped with `lux.ship`: a small plain value that travels in task
 * and actor arguments like any other; `lux.loadShipped` turns it back into the function in
 * the process that runs it. `F` is the function's type.
 */
export interface Shipped<F> extends ShippedFunction {
  /** Never set: carries `F` for the type checker only. */
  readonly __shippedType?: F;
}

const definitions = new WeakMap<Function, Definition>();

/**
 * Ships `fn` by value, in the scope of its module (its imports and top-level declarations
 * travel, local variables around it do not), as `lux.remote` does for a definition made at
 * run time. `exported` resolves once the control service holds it; a worker loading it before
 * that waits for it (as for any task whose definition is on its way).
 */
export function shipFunction(fn: Function, operation: string): { shipped: ShippedFunction; exported: Promise<void> | undefined } {
  const c = requireConnected(operation);
  let def = definitions.get(fn);
  if (def === undefined) {
    def = functions.define(fn, "function", true);
    definitions.set(fn, def);
  }
  const exported = c.definitions.export(def);
  const descriptor = functions.describe(def);
  return { shipped: { functionId: descriptor.functionId, name: def.name }, exported };
}

/**
 * Ships `fn` (a function or a class) as `lux.remote` ships a definition made at run time: by
 * value, in the scope of its module (its imports and top-level declarations work, the local
 * variables around it do not). A library's function or class (in node_modules, or one of
 * Lux's packages) is loaded as its module's own export of that name. The value returned
 * travels in arguments; `lux.loadShipped` in a task or actor gives the function back. For libraries that run users' code inside
 * their own tasks and actors (as `@lux/data` runs a dataset's functions).
 *
 * @example
 * ```ts
 * const double = lux.ship((x: number) => x * 2);
 * const apply = lux.remote(async (f: lux.Shipped<(x: number) => number>, x: number) => (await lux.loadShipped(f))(x));
 * await lux.get(apply.remote(double, 21)); // 42
 * ```
 */
export function ship<F extends Function>(fn: F): Shipped<F> {
  if (typeof fn !== "function") throw new TypeError(`lux.ship() takes a function or a class, got ${typeof fn}`);
  // Defined now: its call site (where its module scope is found) is this call's.
  const def = definitionOf(fn);
  if (currentCoreWorker() !== undefined) return exported<F>(def);
  // Before lux.init() (a library building a lazy plan at import time): exported when the value
  // is first used, in a task's arguments, by then connected (else NotInitializedError then).
  let shipped: Shipped<F> | undefined;
  const later = { name: def.name };
  Object.defineProperty(later, "functionId", { enumerable: true, get: () => (shipped ??= exported<F>(def)).functionId });
  return later as Shipped<F>;
}

function definitionOf(fn: Function): Definition {
  let def = definitions.get(fn);
  if (def === undefined) {
    const isClass = /^class\b/.test(Function.prototype.toString.call(fn));
    def = functions.define(fn, isClass ? "class" : "function", true);
    definitions.set(fn, def);
  }
  return def;
}

function exported<F>(def: Definition): Shipped<F> {
  const c = requireConnected("lux.ship");
  // Not awaited: a worker that loads it first waits for it; a failure shows there.
  c.definitions.export(def)?.catch(() => undefined);
  return { functionId: functions.describe(def).functionId, name: def.name };
}

/**
 * The function (or class) that `lux.ship` shipped, loaded in this process once and cached.
 * A call that fails on a variable its shipping left behind says which one and what to do.
 */
export async function loadShipped<F>(shipped: Shipped<F>): Promise<F> {
  const c = currentCoreWorker();
  if (c === undefined) throw new NotInitializedError({ operation: "lux.loadShipped" });
  const { target } = await c.executor.load(shipped.functionId);
  // A class is given as it is (`new` must reach it); a function gets the advice wrapper.
  if (/^class\b/.test(Function.prototype.toString.call(target))) return target as F;
  return (await loadShippedFunction(shipped)) as F;
}

/**
 * In the process that runs it (a worker): the function shipped, loaded once and cached. A
 * call that fails on a variable its shipping left behind says which one and what to do.
 */
export async function loadShippedFunction(shipped: ShippedFunction): Promise<(...args: unknown[]) => unknown> {
  const c = currentCoreWorker();
  if (c === undefined) throw new NotInitializedError({ operation: "loading a shipped function" });
  const { target, byValue, name } = await c.executor.load(shipped.functionId);
  const fn = target as (...args: unknown[]) => unknown;
  if (byValue === undefined) return fn;
  return (...args) => {
    try {
      const result = fn(...args);
      return result instanceof Promise ? result.catch((e: unknown) => Promise.reject(explain(e, byValue, name))) : result;
    } catch (e) {
      throw explain(e, byValue, name);
    }
  };
}

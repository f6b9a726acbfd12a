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

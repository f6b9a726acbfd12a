import { currentNamespace, functions, requireConnected } from "./api.js";
import { makeActorHandle } from "./actor-handle.js";
import { methodNames } from "./actor-methods.js";
import { isGeneratorFunction } from "./function-kind.js";
import type { Definition } from "./function-registry.js";
import type { ObjectRef } from "./object-ref.js";
import { compileActorOptions, compileTaskOptions, type ActorOptions, type TaskOptions } from "./options.js";
import type { ActorClass, AnyClass, RemoteFunction } from "./types.js";

type AnyFunction = (...args: any[]) => unknown;

/** Makes a class remote: `.remote(...)` creates an actor and returns its handle. */
export function remote<C extends AnyClass>(cls: C): ActorClass<C>;
/** Makes a function remote: `.remote(...)` submits a task and returns a ref to its result. */
export function remote<F extends AnyFunction>(fn: F): RemoteFunction<Parameters<F>, ReturnType<F>>;
export function remote(target: unknown): unknown {
  if (typeof target !== "function") {
    throw new TypeError(`lux.remote() takes a function or a class, got ${target === null ? "null" : typeof target}`);
  }
  const isClass = /^class\b/.test(Function.prototype.toString.call(target));
  const def = functions.define(target, isClass ? "class" : "function");
  return isClass ? actorClass(def, {}) : remoteFunction(def, {});
}

function remoteFunction(def: Definition, opts: TaskOptions): unknown {
  if (isGeneratorFunction(def.target)) return remoteGenerator(def, opts);
  const compiled = compileTaskOptions(opts);
  const multi = opts.numReturns !== undefined;
  return {
    remote: (...args: unknown[]) => {
      const refs = requireConnected(`${def.name}.remote`).submitTask(def, args, compiled);
      return multi ? refs : refs[0];
    },
    options: (more: TaskOptions) => remoteFunction(def, { ...opts, ...more }),
  };
}

/** A generator function made remote: `.remote()` returns an ObjectRefGenerator of its yields. */
function remoteGenerator(def: Definition, opts: TaskOptions): unknown {
  const compiled = compileTaskOptions(opts, true);
  return {
    remote: (...args: unknown[]) => {
      const c = requireConnected(`${def.name}.remote`);
      return c.generators.open(c.submitTask(def, args, compiled)[0] as ObjectRef);
    },
    options: (more: TaskOptions) => remoteGenerator(def, { ...opts, ...more }),
  };
}

function actorClass(def: Definition, opts: ActorOptions): unknown {
  const methods = methodNames(def.target as AnyClass);
  compileActorOptions(opts, "", methods); // fail at the call site on bad options
  return {
    remote: (...args: unknown[]) => {
      const c = requireConnected(`${def.name}.remote`);
      const compiled = compileActorOptions(opts, currentNamespace(), methods);
      const actorId = c.createActor(def, args, compiled);
      const groups = compiled.concurrencyGroups === undefined ? undefined : Object.keys(compiled.concurrencyGroups);
      // This process owns the actor: its handles keep it alive, unless it is detached.
      const owner = compiled.detached ? undefined : c.address;
      return makeActorHandle(actorId, def.name, owner, methods, { concurrencyGroups: groups, maxPendingCalls: compiled.maxPendingCalls });
    },
    options: (more: ActorOptions) => actorClass(def, { ...opts, ...more }),
  };
}

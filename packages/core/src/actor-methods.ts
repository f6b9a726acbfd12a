import { isGeneratorFunction } from "./function-kind.js";

/**
 * The methods an actor class has, so a handle refuses any other at the call (as Ray's handles
 * do) instead of the call failing later in the actor: the functions on its prototype chain,
 * and the fields its source assigns a function to (`onTick = () => ...`, `this.f = function
 * ...`), which are found in the source text and so may name more than there are. A field set
 * to a function some other way (`f = makeHandler()`) is not found: it cannot be called
 * remotely, as in Ray, where only methods of the class are actor methods.
 */
const cache = new WeakMap<object, readonly string[]>();

/**
 * Field or property assignments of a function: `name = (…) =>`, `name = async x =>`,
 * `this.name = function`, also wrapped in the `__name(…)` esbuild (tsx) adds to keep names.
 */
const FUNCTION_FIELD = /(?:^|[\s;{}.])([A-Za-z_$][\w$]*)\s*=\s*(?:__name\(\s*)?(?:async\b\s*)?(?:function\b|\([^)]*\)\s*=>|[A-Za-z_$][\w$]*\s*=>)/g;
/** Fields a compiler lowered to helper calls: `__publicField(this, "name", () => …)`. */
const LOWERED_FIELD = /["']([A-Za-z_$][\w$]*)["']\s*,\s*(?:async\b\s*)?(?:function\b|\([^)]*\)\s*=>|[A-Za-z_$][\w$]*\s*=>)/g;

/** How a generator method is marked in the names: `*name`, as it is declared. */
export const GENERATOR_MARK = "*";

/**
 * The names a handle of actors of class `cls` accepts as methods (computed once per class).
 * A generator method (declared `*name()` or `async *name()`) is listed as `*name`: its calls
 * return an ObjectRefGenerator (the names travel with handles and through getActor, so
 * every handle knows).
 */
export function methodNames(cls: abstract new (...args: never[]) => unknown): readonly string[] {
  let names = cache.get(cls);
  if (names === undefined) {
    names = [...collect(cls)].sort();
    cache.set(cls, names);
  }
  return names;
}

function collect(cls: abstract new (...args: never[]) => unknown): Set<string> {
  // A method of a subclass hides its bases' of the same name; a field holding a function hides both.
  const methods = new Map<string, boolean>();
  const fields = new Set<string>();
  for (let proto = cls.prototype as object | null; proto !== null && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      const d = Object.getOwnPropertyDescriptor(proto, name);
      if (name !== "constructor" && typeof d?.value === "function" && !methods.has(name)) methods.set(name, isGeneratorFunction(d.value));
    }
    const ctor = (proto as { constructor?: unknown }).constructor;
    if (typeof ctor === "function") {
      const source = Function.prototype.toString.call(ctor);
      for (const re of [FUNCTION_FIELD, LOWERED_FIELD]) for (const m of source.matchAll(re)) fields.add(m[1] as string);
    }
  }
  const names = new Set(fields);
  for (const [name, generator] of methods) if (!fields.has(name)) names.add(generator ? GENERATOR_MARK + name : name);
  return names;
}

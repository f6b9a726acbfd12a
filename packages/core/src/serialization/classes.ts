import { createHash } from "node:crypto";
import { inspectFunction, moduleBinding } from "../v8-inspector.js";

/**
 * Classes of the instances that cross the wire, the way pickle sends a class instance:
 * the object's own properties, plus a reference to its class that the receiver resolves
 * to its own copy of that class (see instance-extension.ts).
 *
 * The reference is [module URL, name, hash of the class's source]. A class travels if it
 * is bound under its name at the top level of an ES module (exported or not) and its
 * instances hold their state in their own properties: the receiver finds it among the
 * module's exports, or in the module's scope through a function of that module
 * (`moduleBinding`). Anything else is refused when sent, with the reason.
 */
export type ClassRef = readonly [url: string, name: string, hash: string];

/** Why an object cannot travel: what it is and what to do, worded for SerializationError. */
export interface Refusal {
  readonly is: string;
  readonly advice: string;
  /** Thrown as a TypeError: sending it is a mistake in the program, not a value that fails to encode. */
  readonly typeError?: boolean;
}

/** Classes of Lux whose instances never travel (see refuseClass). */
const refusedClasses: [Function, Refusal][] = [];

/**
 * Instances of `Class` (and its subclasses) are refused wherever they are in a value sent,
 * with a TypeError saying what it `is` and the `advice`.
 */
export function refuseClass(Class: Function, refusal: Omit<Refusal, "typeError">): void {
  refusedClasses.push([Class, { ...refusal, typeError: true }]);
}

export type ClassInfo = { readonly ref: ClassRef; readonly refusal?: undefined } | { readonly ref?: undefined; readonly refusal: Refusal };

/** Where classes are looked for; set by the core worker (runtime envs map module URLs). */
export interface ClassLookup {
  /** A local module URL as written on the wire (the driver's URL of a workingDir module). */
  toWire(url: string): string;
  /** A module URL from the wire as imported here. */
  fromWire(url: string): string;
  /** Functions defined in the module at `url` that this process holds (remote definitions): ways into its scope. */
  functionsOf(url: string): Iterable<object>;
  /** The module at `url` is the driver's entry script and workers cannot import it (it does not call lux.main). */
  isEntryWithoutMain(url: string): boolean;
}

let lookup: ClassLookup = { toWire: (url) => url, fromWire: (url) => url, functionsOf: () => [], isEntryWithoutMain: () => false };

export function setClassLookup(next: ClassLookup): void {
  lookup = next;
}

const infoByPrototype = new WeakMap<object, ClassInfo>();
/** Classes by `url\0name\0hash`: found by a receiver, or sent from here. */
const classesByKey = new Map<string, Function>();
/** References no class was found for, with the reason. */
const failedByKey = new Map<string, string>();

/** Sender side: how an instance's class travels, or why it cannot; decided once per prototype. */
export function classInfoOf(instance: object): ClassInfo {
  const prototype = Object.getPrototypeOf(instance) as object;
  let info = infoByPrototype.get(prototype);
  if (info === undefined) {
    info = describeClass(instance, prototype);
    infoByPrototype.set(prototype, info);
  }
  return info;
}

/** The reference of an instance whose class `classInfoOf` accepted; undefined for anything else. */
export function classRefOf(value: object): ClassRef | undefined {
  return infoByPrototype.get(Object.getPrototypeOf(value) as object)?.ref;
}

export const keyOf = (ref: ClassRef): string => `${ref[0]}\0${ref[1]}\0${ref[2]}`;

/** Receiver side, synchronous: the class for a reference if already found; a failure's reason as a string. */
export function classFor(ref: ClassRef): Function | string | undefined {
  const key = keyOf(ref);
  return classesByKey.get(key) ?? failedByKey.get(key);
}

/** Receiver side: finds the classes of `refs` (importing their modules); failures are remembered with their reason. */
export async function loadClasses(refs: readonly ClassRef[]): Promise<void> {
  for (const ref of refs) {
    const key = keyOf(ref);
    if (classesByKey.has(key) || failedByKey.has(key)) continue;
    const found = await findClass(ref);
    if (typeof found === "function") classesByKey.set(key, found);
    else failedByKey.set(key, found);
  }
}

async function findClass([wireUrl, name, hash]: ClassRef): Promise<Function | string> {
  const url = lookup.fromWire(wireUrl);
  let namespace: Record<string, unknown>;
  try {
    namespace = (await import(url)) as Record<string, unknown>;
  } catch (e) {
    return `its module ${url} cannot be imported here: ${(e as Error).message}`;
  }
  const matches = (value: unknown): value is Function => typeof value === "function" && value.name === name && sourceHash(value) === hash;
  const exported = [namespace[name], ...Object.values(namespace)];
  const found = exported.find(matches);
  if (found !== undefined) return found;
  // Not exported: through the module's scope, from any function of the module.
  const ways = [...exported.filter((v): v is Function => typeof v === "function"), ...lookup.functionsOf(url)];
  for (const way of ways.slice(0, 8)) {
    const bound = moduleBinding(way, name, undefined);
    if (matches(bound)) return bound;
  }
  return `no class ${name} with the sender's source is bound at the top level of ${url} here (the module differs, or it is reachable through none of its exports)`;
}

function describeClass(instance: object, prototype: object): ClassInfo {
  for (const [Class, refusal] of refusedClasses) if (instance instanceof Class) return { refusal };
  const builtIn = refusedBuiltIn(instance);
  if (builtIn !== undefined) return { refusal: builtIn };
  const ctor = (prototype as { constructor?: unknown }).constructor;
  if (typeof ctor !== "function" || ctor.prototype !== prototype) {
    return refused("an object whose prototype is not a class's (made with Object.create?)", "its prototype cannot be sent");
  }
  const located = locate(ctor);
  if (located.why !== undefined) {
    return refused(`an instance of ${ctor.name || "an anonymous class"}, ${located.why}`, "send a plain object instead (for example { ...value })");
  }
  const ref: ClassRef = Object.freeze([lookup.toWire(located.url), ctor.name, sourceHash(ctor)] as const);
  classesByKey.set(keyOf(ref), ctor);
  return { ref };
}

const NO_NAMES: ReadonlySet<string> = new Set();
const NATIVE = /\{\s*\[native code\]\s*\}$/;
const PRIVATE_MEMBERS = /\.#[\p{ID_Start}$_]|#[\p{ID_Start}$_][\p{ID_Continue}$]*\s+in\s|__classPrivateField(?:Get|Set|In)\(/u;

/** The module of `ctor`, or why the receiver could not rebuild its instances with their class. */
function locate(ctor: Function): { url: string; why?: undefined } | { why: string } {
  const source = Function.prototype.toString.call(ctor);
  if (NATIVE.test(source)) return { why: "a built-in class whose state is not in its own properties" };
  const info = inspectFunction(ctor, NO_NAMES);
  if (info === undefined) return { why: "which Lux cannot locate: this Node.js has no inspector" };
  if (info.url.startsWith("node:")) return { why: "a class of Node.js, whose state is not in its own properties" };
  if (!info.url.startsWith("file:")) return { why: "which was made by eval or new Function, so no module declares it" };
  if (lookup.isEntryWithoutMain(info.url)) {
    return {
      why:
        `which is defined in the entry script (${fileOf(info.url)}), and workers cannot import it because it does not ` +
        "call lux.main. Wrap the script's main code in lux.main(async () => { ... }), or move the class to a module the script imports",
    };
  }
  if (!ctor.name || moduleBinding(ctor, ctor.name, undefined) !== ctor) {
    // V8 lets Lux see a top-level class only if it is exported or some function of the module uses it.
    return {
      why:
        `which Lux cannot find at the top level of ${fileOf(info.url)}: only instances of classes declared at the top ` +
        "level of an ES module (not inside a function or block), and exported or used by a function of that module, " +
        "keep their class across the wire. Declare the class at the top level of its module and export it",
    };
  }
  if (PRIVATE_MEMBERS.test(source)) return { why: "which has private members (#name): they cannot be copied to another process" };
  for (let base = Object.getPrototypeOf(ctor) as unknown; typeof base === "function" && base !== Function.prototype; base = Object.getPrototypeOf(base)) {
    const why = baseProblem(base);
    if (why !== undefined) return { why: `which extends ${base.name || "an anonymous class"}, ${why}` };
  }
  return { url: info.url };
}

function baseProblem(base: Function): string | undefined {
  const source = Function.prototype.toString.call(base);
  if (NATIVE.test(source)) return "a built-in class whose state is not in its own properties";
  if (inspectFunction(base, NO_NAMES)?.url.startsWith("node:") === true) return "a class of Node.js whose state is not in its own properties";
  if (PRIVATE_MEMBERS.test(source)) return "which has private members (#name): they cannot be copied to another process";
  return undefined;
}

const WEAK: readonly Function[] = [WeakMap, WeakSet, WeakRef, FinalizationRegistry];
const BOXED: readonly Function[] = [Number, String, Boolean, BigInt, Symbol];

/** Why a built-in object cannot travel at all (weak collections, generators, iterators, boxed primitives), if so. */
export function refusedBuiltIn(instance: object): Refusal | undefined {
  for (const Class of WEAK) {
    if (instance instanceof Class) {
      return { is: `a ${Class.name}`, advice: `a ${Class.name} cannot cross the wire: its entries cannot be listed (use a Map or Set, or send the values themselves)` };
    }
  }
  const tag = Object.prototype.toString.call(instance).slice(8, -1);
  if (tag === "Generator" || tag === "AsyncGenerator") {
    return { is: tag === "Generator" ? "a generator" : "an async generator", advice: "a generator cannot cross the wire: collect its values into an array first" };
  }
  if (tag.endsWith("Iterator") || tag === "Iterator Helper") {
    return { is: `an iterator (${tag})`, advice: "an iterator cannot cross the wire: spread it into an array first ([...iterator])" };
  }
  for (const Class of BOXED) {
    if (instance instanceof Class) return { is: `a boxed ${Class.name.toLowerCase()} (a ${Class.name} object)`, advice: "send the primitive instead (value.valueOf())" };
  }
  return undefined;
}

function refused(is: string, advice: string): ClassInfo {
  return { refusal: { is, advice } };
}

const hashes = new WeakMap<Function, string>();

function sourceHash(ctor: Function): string {
  let hash = hashes.get(ctor);
  if (hash === undefined) {
    hash = createHash("sha1").update(Function.prototype.toString.call(ctor)).digest("hex").slice(0, 16);
    hashes.set(ctor, hash);
  }
  return hash;
}

function fileOf(url: string): string {
  return url.slice(url.lastIndexOf("/") + 1);
}

import { createHash } from "node:crypto";
import { pathToFileURL } from "node:url";
import type { FunctionDescriptor } from "@lux/protocol";
import { LuxError, createLogger } from "@lux/common";
import { decodeMessage, encodeMessage } from "@lux/protocol";
import { knownEvaluator, libraryExport, moduleEvaluator, sharedModuleUrl } from "./module-scopes.js";
import { inspectFunction, type Scope } from "./v8-inspector.js";

const log = createLogger("core");

 
export type Definable = Function;

/** A function or class given to `lux.remote`, with where it was defined. */
export interface Definition {
  readonly target: Definable;
  readonly kind: "function" | "class";
  readonly name: string;
  /** The module whose evaluation made the definition; undefined for one made at run time. */
  readonly moduleUrl: string | undefined;
  /** Where in that evaluation: call site (line:column, or URL:line:column if in another module) and occurrence. */
  readonly position: string | undefined;
  /** The module whose code called `lux.remote` (a file URL), if known. */
  readonly siteUrl: string | undefined;
  descriptor?: FunctionDescriptor;
  /** What its owner learned of its calls' pace (shared by every call of the definition). */
  readonly pace: TaskPace;
}

/**
 * Whether a function's calls let a worker hand back the tasks pipelined behind them: the
 * last call returned (or reached its first await) within `pipelineRequeueAfterMs`. Unknown
 * until a call of it has replied, and false then: a task waits behind a call of it only
 * once one has been seen to hold the worker's thread briefly.
 */
export interface TaskPace {
  handsBack: boolean;
}

/** How a worker rebuilt a definition shipped by value: what its code can see (for the advice when it fails). */
export interface ByValue {
  /** The module whose scope the source was evaluated in; undefined if none (then it sees only globals and `lux`). */
  readonly scopeUrl: string | undefined;
  /** Local variables around the definition where it was made: refused by name. */
  readonly locals: readonly string[];
  /** It belongs to the driver's entry script, which workers cannot import: it does not call lux.main. */
  readonly entryWithoutMain: boolean;
}

/** A definition loaded by a worker; `byValue` is undefined when it was found by reference. */
export interface Loaded {
  readonly target: Definable;
  readonly byValue: ByValue | undefined;
  /** Its name where it was defined (the runtime context's taskFunctionName). */
  readonly name: string;
}

/**
 * The core package's own code: frames inside it are not the user's call site. Under a
 * loader that enables source maps (tsx), frames of dist/*.js are reported at their
 * src/*.ts sources, so both directories count as ours.
 */
const ownDirs = [new URL(".", import.meta.url).href, new URL("../src/", import.meta.url).href];

/**
 * Ships code the way cloudpickle does for Python, adapted to modules: by reference
 * (module URL + position of the `lux.remote` call + occurrence) when a worker can
 * import the module, by value (source text) otherwise. Both travel together.
 */
export class FunctionRegistry {
  private readonly byKey = new Map<string, Definable>();
  private readonly occurrences = new Map<string, number>();
  private readonly loaded = new Map<string, Promise<Loaded>>();
  private readonly ready = new Map<string, Loaded>();
  private mainCalled = false;
  /** > 0 while lux.main's body runs its first synchronous part. */
  private inMainBody = 0;
  /** The latest definition made at run time by code of each module (see `functionsOf`). */
  private readonly madeAtRunTime = new Map<string, WeakRef<Definable>>();
  /** Worker in a runtime env with a workingDir: the driver's copy's URL prefix and this node's. */
  private moduleMap: { from: string; to: string } | undefined;

  constructor(
    private readonly entryUrl: string | undefined,
    /** Injected into by-value code as the `lux` binding. */
    private readonly luxApi: () => unknown,
  ) {}

  noteMainCalled(): void {
    this.mainCalled = true;
  }

  /**
   * Starts lux.main's body. Definitions it makes are made at run time (workers never run
   * it), also those before its first `await`, while the entry script is still evaluated.
   */
  startMainBody<T>(body: () => T): T {
    this.inMainBody++;
    try {
      return body();
    } finally {
      this.inMainBody--;
    }
  }

  /** Module URLs starting with `from` (the driver's workingDir) are imported from `to` (its unpacked copy). */
  mapModules(from: string, to: string): void {
    this.moduleMap = { from, to };
  }

  /** A module URL as shipped (the driver's) to the URL this process imports. */
  mapUrl(url: string): string {
    const m = this.moduleMap;
    return m !== undefined && url.startsWith(m.from) ? m.to + url.slice(m.from.length) : url;
  }

  /** The reverse of `mapUrl`: a URL this process imports (a second instance's too), as the driver knows it. */
  unmapUrl(url: string): string {
    const shared = sharedModuleUrl(url);
    const m = this.moduleMap;
    return m !== undefined && shared.startsWith(m.to) ? m.from + shared.slice(m.to.length) : shared;
  }

  /**
   * Functions this process holds whose code is (most likely) in the module at `url`: its
   * remote definitions. Through any of them V8's inspector reaches the module's scope,
   * where the class of a received instance may be (serialization/classes.ts).
   */
  functionsOf(url: string): Definable[] {
    // A worker's evaluator for the module sees every top-level binding (it holds a direct eval).
    const evaluator = knownEvaluator(url);
    const found: Definable[] = evaluator === undefined ? [] : [evaluator];
    for (const [key, target] of this.byKey) if (key.startsWith(`${url}|`)) found.push(target);
    const recent = this.madeAtRunTime.get(url)?.deref();
    if (recent !== undefined) found.push(recent);
    for (const loaded of this.ready.values()) if (loaded.byValue?.scopeUrl === url) found.push(loaded.target);
    return found;
  }

  /** The module at `url` is this driver's entry script, which workers cannot import: it does not call lux.main. */
  isEntryWithoutMain(url: string): boolean {
    return url === this.entryUrl && !this.mainCalled;
  }

  get entryOptedIn(): boolean {
    return this.mainCalled;
  }

  /**
   * Registers a definition where `lux.remote` is called. `atRunTime`: as if made at run time
   * even while a module is evaluated (a function given to lux.util.Pool: a worker importing
   * the module would not make it again), so it ships by value, in its module's scope.
   */
  define(target: Definable, kind: "function" | "class", atRunTime = false): Definition {
    const site = callSite();
    const name = target.name || anonymousName(site);
    const moduleUrl = site === undefined || this.inMainBody > 0 || atRunTime ? undefined : evaluatingModule();
    if (site === undefined || moduleUrl === undefined) {
      // Made at run time (in a function called after the modules were evaluated, e.g. in a
      // task): importing a module would not make it again, and the same call site may have
      // made other closures in other processes. Only its source can travel.
      if (site !== undefined) this.madeAtRunTime.set(site.url, new WeakRef(target));
      return { target, kind, name, moduleUrl: undefined, position: undefined, siteUrl: site?.url, pace: { handsBack: false } };
    }
    // Keyed by the module being evaluated, not the file of the call: a factory in one
    // module called by the top-level code of several others makes each module's
    // definitions in the same order whichever modules a worker imported first.
    const call = site.url === moduleUrl ? `${site.line}:${site.column}` : `${site.url}:${site.line}:${site.column}`;
    const at = `${moduleUrl}|${call}`;
    const n = this.occurrences.get(at) ?? 0;
    this.occurrences.set(at, n + 1);
    const position = `${call}#${n}`;
    this.byKey.set(`${moduleUrl}|${position}`, target);
    return { target, kind, name, moduleUrl, position, siteUrl: site.url, pace: { handsBack: false } };
  }

  /** The descriptor sent to the control service; decided once, at first use. */
  describe(def: Definition): FunctionDescriptor {
    if (def.descriptor !== undefined) return def.descriptor;
    const source = Function.prototype.toString.call(def.target);
    const byValue = def.moduleUrl === undefined || this.isEntryWithoutMain(def.moduleUrl);
    const scope = byValue ? this.scopeOf(def) : {};
    const functionId = createHash("sha1")
      .update(`${def.kind}\0${def.moduleUrl ?? ""}\0${def.position ?? ""}\0${byValue}\0`)
      .update(`${scope.scopeUrl ?? ""}\0${scope.locals?.join(",") ?? ""}\0${source}`)
      .digest("hex")
      .slice(0, 32);
    def.descriptor = {
      functionId,
      kind: def.kind,
      name: def.name,
      moduleUrl: byValue ? undefined : def.moduleUrl,
      position: byValue ? undefined : def.position,
      source,
      byValue,
      ...scope,
    };
    return def.descriptor;
  }

  /**
   * Where a worker evaluates a by-value definition: in the scope of the module its code is
   * in when workers can import that module (its imports and top-level declarations are
   * then visible), minus the local variables around the definition.
   */
  private scopeOf(def: Definition): Pick<FunctionDescriptor, "scopeUrl" | "locals" | "entryWithoutMain"> {
    if (def.siteUrl === undefined) return {};
    // The module of the function's own code (a factory in another module may have called
    // lux.remote); without an inspector, the module of the call.
    const info = inspectFunction(def.target, LOCAL_SCOPES);
    const url = info === undefined ? def.siteUrl : info.url;
    if (!url.startsWith("file:")) return {}; // made by eval or new Function
    if (this.isEntryWithoutMain(url)) return { entryWithoutMain: true };
    return { scopeUrl: url, locals: info === undefined ? [] : localNames(info.scopes) };
  }

  static encode(d: FunctionDescriptor): Uint8Array {
    return encodeMessage(d);
  }

  /** Worker side: the function for an id, importing its module or evaluating its source. */
  load(functionId: string, fetch: () => Promise<Uint8Array | undefined>): Promise<Loaded> {
    let p = this.loaded.get(functionId);
    if (p === undefined) {
      p = this.resolve(functionId, fetch);
      this.loaded.set(functionId, p);
      p.then(
        (d) => this.ready.set(functionId, d),
        () => this.loaded.delete(functionId),
      );
    }
    return p;
  }

  /** Worker side: the function for an id if `load` has already finished with it (no promise hop per task). */
  loadedNow(functionId: string): Loaded | undefined {
    return this.ready.get(functionId);
  }

  private async resolve(functionId: string, fetch: () => Promise<Uint8Array | undefined>): Promise<Loaded> {
    const bytes = await fetch();
    if (bytes === undefined) {
      throw new LuxError(
        `function ${functionId} is not registered with the control service (did it restart without --storage and lose its state?)`,
      );
    }
    const d = decodeMessage(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)) as FunctionDescriptor;
    if (!d.byValue && d.moduleUrl !== undefined && d.position !== undefined) {
      // In a runtime env with a workingDir, modules under it are imported from the node's copy;
      // a call site in another module (`URL:line:column#n`) names that module's copy too.
      const moduleUrl = this.mapUrl(d.moduleUrl);
      const position = this.mapUrl(d.position);
      try {
        await import(moduleUrl);
        const target = this.byKey.get(`${moduleUrl}|${position}`);
        if (target !== undefined) return { target, byValue: undefined, name: d.name };
        log.debug(`${d.name} is not defined at ${moduleUrl}:${position} on import; using its source`);
      } catch (e) {
        log.warn(`could not import ${moduleUrl} for ${d.name}: ${(e as Error).message}; using its source`);
      }
    }
    return this.evaluate(d);
  }

  /**
   * Rebuilds a definition from its source: in its module's scope when it has one, else alone.
   * A library's module has no scope here: its definition is the module's own export of it.
   */
  private async evaluate(d: FunctionDescriptor): Promise<Loaded> {
    const byValue: ByValue = { scopeUrl: undefined, locals: d.locals ?? [], entryWithoutMain: d.entryWithoutMain === true };
    if (d.byValue && d.scopeUrl !== undefined) {
      const url = this.mapUrl(d.scopeUrl);
      try {
        const exported = await libraryExport(url, d.name, d.source);
        if (exported !== undefined) return { target: exported, byValue: undefined, name: d.name };
        const evaluate = await moduleEvaluator(url);
        if (evaluate !== undefined) {
          return { target: evaluate(inScope(d.source, byValue.locals)) as Definable, byValue: { ...byValue, scopeUrl: url }, name: d.name };
        }
        log.debug(`${url} has no module scope here (not an ES module?); evaluating ${d.name} without it`);
      } catch (e) {
        log.warn(`could not import ${url} for ${d.name}: ${(e as Error).message}; evaluating its source without its module's scope`);
      }
    }
    return { target: this.evaluateAlone(d), byValue, name: d.name };
  }

  private evaluateAlone(d: FunctionDescriptor): Definable {
    // `__name` is the helper esbuild (tsx) inserts to keep function names.
    const keepName = (fn: object, name: string): object =>
      Object.defineProperty(fn, "name", { value: name, configurable: true });
    const factory = new Function("lux", "__name", `"use strict";\nreturn (${d.source}\n);`) as (
      lux: unknown,
      name: typeof keepName,
    ) => Definable;
    return factory(this.luxApi(), keepName);
  }
}

const LOCAL_SCOPES: ReadonlySet<string> = new Set(["closure", "block", "catch"]);
const IDENTIFIER = /^[\p{ID_Start}$_][\p{ID_Continue}$\u200c\u200d]*$/u;
/** Names V8 may list in a scope that a `let` cannot declare. */
const NOT_DECLARABLE: ReadonlySet<string> = new Set(["this", "arguments", "eval", "let", "static", "yield", "await", "enum", "implements", "interface", "package", "private", "protected", "public"]);

/** The variables of the function scopes (and blocks) between a definition and its module. */
function localNames(scopes: readonly Scope[]): string[] {
  const names = new Set<string>();
  for (const scope of scopes) {
    if (!LOCAL_SCOPES.has(scope.kind)) break;
    for (const name of scope.names) if (IDENTIFIER.test(name) && !NOT_DECLARABLE.has(name)) names.add(name);
  }
  return [...names];
}

/**
 * The source as an expression evaluated in its module's scope, where `locals` are declared
 * but never initialized: the function sees the module's bindings, except where a local of
 * the same name shadowed them where it was defined, and reading such a local throws a
 * ReferenceError naming it ("Cannot access 'k' before initialization").
 */
function inScope(source: string, locals: readonly string[]): string {
  const shadows = locals.length > 0 ? `let ${locals.join(", ")};` : "";
  return `(() => {\nreturn (${source}\n);\n${shadows}\n})()`;
}

/**
 * What to call a function without a name (`lux.remote((x) => x * x)`, the common case) in
 * errors and logs: where it was made remote, e.g. "<anonymous at app.ts:7>".
 */
function anonymousName(site: CallSite | undefined): string {
  if (site === undefined) return "<anonymous>";
  const file = site.url.slice(site.url.lastIndexOf("/") + 1);
  return `<anonymous at ${file}:${site.line}>`;
}

interface CallSite {
  url: string;
  line: number;
  column: number;
}

const FRAME = /^\s*at (?:(?:async )?(.*?) \()?(.+?):(\d+):(\d+)\)?$/;

const isOwnOrNode = (url: string): boolean =>
  url.startsWith("node:") ||
  ownDirs.some((dir) => url.startsWith(dir)) ||
  url.includes("/node_modules/lux/") ||
  url.includes("/packages/lux/dist/");

/**
 * The module whose top-level code is running now, directly or awaiting (top-level await
 * included), if any: then a definition is made while that module is evaluated, and a
 * worker importing the module makes it again. The top-level code of a module (ESM or
 * CommonJS) is the one unnamed frame whose enclosing "function" starts at line 1, column 1.
 */
function evaluatingModule(): string | undefined {
  const limit = Error.stackTraceLimit;
  const prepare = Error.prepareStackTrace;
  let frames: NodeJS.CallSite[] = [];
  try {
    Error.stackTraceLimit = 200;
    Error.prepareStackTrace = (_error, callSites) => callSites;
    frames = new Error().stack as unknown as NodeJS.CallSite[];
  } finally {
    Error.prepareStackTrace = prepare;
    Error.stackTraceLimit = limit;
  }
  for (const f of frames) {
    if (f.getFunctionName() || f.getEnclosingLineNumber() !== 1 || f.getEnclosingColumnNumber() !== 1) continue;
    const file = f.getFileName();
    if (file === undefined || file === null) continue;
    const url = file.startsWith("/") ? pathToFileURL(file).href : file;
    if (!url.startsWith("file://") || isOwnOrNode(url)) continue;
    return url;
  }
  return undefined;
}

/** The first stack frame outside Lux: where the user called `lux.remote`. */
function callSite(): CallSite | undefined {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 30;
  const stack = new Error().stack ?? "";
  Error.stackTraceLimit = limit;
  for (const line of stack.split("\n").slice(1)) {
    const m = FRAME.exec(line);
    if (m === null) continue;
    const file = m[2] as string;
    if (file.startsWith("node:") || file === "<anonymous>" || file.startsWith("evalmachine")) continue;
    const url = file.startsWith("file://") ? file : file.startsWith("/") ? pathToFileURL(file).href : file;
    if (isOwnOrNode(url)) continue;
    if (!url.startsWith("file://")) return undefined;
    return { url, line: Number(m[3]), column: Number(m[4]) };
  }
  return undefined;
}

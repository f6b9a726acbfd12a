import { createHash } from "node:crypto";
import { pathToFileURL } from "node:url";
import type { FunctionDescriptor } from "@lux/protocol";
import { LuxError, createLogger } from "@lux/common";
import { decodeMessage, encodeMessage } from "@lux/protocol";

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
  descriptor?: FunctionDescriptor;
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
  private readonly loaded = new Map<string, Promise<{ target: Definable; byValue: boolean }>>();
  private readonly ready = new Map<string, { target: Definable; byValue: boolean }>();
  private mainCalled = false;
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

  /** Module URLs starting with `from` (the driver's workingDir) are imported from `to` (its unpacked copy). */
  mapModules(from: string, to: string): void {
    this.moduleMap = { from, to };
  }

  private mapUrl(url: string): string {
    const m = this.moduleMap;
    return m !== undefined && url.startsWith(m.from) ? m.to + url.slice(m.from.length) : url;
  }

  get entryOptedIn(): boolean {
    return this.mainCalled;
  }

  define(target: Definable, kind: "function" | "class"): Definition {
    const site = callSite();
    const name = target.name || anonymousName(site);
    const moduleUrl = site === undefined ? undefined : evaluatingModule();
    if (site === undefined || moduleUrl === undefined) {
      // Made at run time (in a function called after the modules were evaluated, e.g. in a
      // task): importing a module would not make it again, and the same call site may have
      // made other closures in other processes. Only its source can travel.
      return { target, kind, name, moduleUrl: undefined, position: undefined };
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
    return { target, kind, name, moduleUrl, position };
  }

  /** The descriptor sent to the control service; decided once, at first use. */
  describe(def: Definition): FunctionDescriptor {
    if (def.descriptor !== undefined) return def.descriptor;
    const source = Function.prototype.toString.call(def.target);
    const isEntry = def.moduleUrl !== undefined && def.moduleUrl === this.entryUrl;
    const byValue = def.moduleUrl === undefined || (isEntry && !this.mainCalled);
    const functionId = createHash("sha1")
      .update(`${def.kind}\0${def.moduleUrl ?? ""}\0${def.position ?? ""}\0${byValue}\0${source}`)
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
    };
    return def.descriptor;
  }

  static encode(d: FunctionDescriptor): Uint8Array {
    return encodeMessage(d);
  }

  /** Worker side: the function for an id, importing its module or evaluating its source. */
  load(functionId: string, fetch: () => Promise<Uint8Array | undefined>): Promise<{ target: Definable; byValue: boolean }> {
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
  loadedNow(functionId: string): { target: Definable; byValue: boolean } | undefined {
    return this.ready.get(functionId);
  }

  private async resolve(
    functionId: string,
    fetch: () => Promise<Uint8Array | undefined>,
  ): Promise<{ target: Definable; byValue: boolean }> {
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
        if (target !== undefined) return { target, byValue: false };
        log.debug(`${d.name} is not defined at ${moduleUrl}:${position} on import; using its source`);
      } catch (e) {
        log.warn(`could not import ${moduleUrl} for ${d.name}: ${(e as Error).message}; using its source`);
      }
    }
    return { target: this.evaluate(d), byValue: true };
  }

  private evaluate(d: FunctionDescriptor): Definable {
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

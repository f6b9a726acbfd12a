import { createHash } from "node:crypto";
import { pathToFileURL } from "node:url";
import type { FunctionDescriptor } from "@lux/protocol";
import { createLogger } from "@lux/common";
import { decodeMessage, encodeMessage } from "@lux/protocol";

const log = createLogger("core");

 
export type Definable = Function;

/** A function or class given to `lux.remote`, with where it was defined. */
export interface Definition {
  readonly target: Definable;
  readonly kind: "function" | "class";
  readonly name: string;
  readonly moduleUrl: string | undefined;
  readonly position: string | undefined;
  descriptor?: FunctionDescriptor;
  exported?: Promise<void> | undefined;
}

/** The core package's own directory: frames inside it are not the user's call site. */
const ownDir = new URL(".", import.meta.url).href;
/**
 * Its sources: with source maps on (tsx, --enable-source-maps), frames of dist/*.js read
 * as src/*.ts, and a worker importing one of those would load a second copy of Lux.
 */
const ownSourceDir = new URL("../src/", import.meta.url).href;

/**
 * Ships code the way cloudpickle does for Python, adapted to modules: by reference
 * (module URL + position of the `lux.remote` call + occurrence) when a worker can
 * import the module, by value (source text) otherwise. Both travel together.
 */
export class FunctionRegistry {
  private readonly byKey = new Map<string, Definable>();
  private readonly occurrences = new Map<string, number>();
  private readonly loaded = new Map<string, Promise<{ target: Definable; byValue: boolean }>>();
  private mainCalled = false;

  constructor(
    private readonly entryUrl: string | undefined,
    /** Injected into by-value code as the `lux` binding. */
    private readonly luxApi: () => unknown,
  ) {}

  noteMainCalled(): void {
    this.mainCalled = true;
  }

  get entryOptedIn(): boolean {
    return this.mainCalled;
  }

  define(target: Definable, kind: "function" | "class"): Definition {
    const site = callSite();
    let position: string | undefined;
    if (site !== undefined) {
      const at = `${site.url}|${site.line}:${site.column}`;
      const n = this.occurrences.get(at) ?? 0;
      this.occurrences.set(at, n + 1);
      position = `${site.line}:${site.column}#${n}`;
      this.byKey.set(`${site.url}|${position}`, target);
    }
    return { target, kind, name: target.name || "anonymous", moduleUrl: site?.url, position };
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
      p.catch(() => this.loaded.delete(functionId));
    }
    return p;
  }

  private async resolve(
    functionId: string,
    fetch: () => Promise<Uint8Array | undefined>,
  ): Promise<{ target: Definable; byValue: boolean }> {
    const bytes = await fetch();
    if (bytes === undefined) throw new Error(`function ${functionId} is not registered with the control service`);
    const d = decodeMessage(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)) as FunctionDescriptor;
    if (!d.byValue && d.moduleUrl !== undefined && d.position !== undefined) {
      try {
        await import(d.moduleUrl);
        const target = this.byKey.get(`${d.moduleUrl}|${d.position}`);
        if (target !== undefined) return { target, byValue: false };
        log.debug(`${d.name} is not defined at ${d.moduleUrl}:${d.position} on import; using its source`);
      } catch (e) {
        log.warn(`could not import ${d.moduleUrl} for ${d.name}: ${(e as Error).message}; using its source`);
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

interface CallSite {
  url: string;
  line: number;
  column: number;
}

const FRAME = /^\s*at (?:(?:async )?(.*?) \()?(.+?):(\d+):(\d+)\)?$/;

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
    if (
      url.startsWith(ownDir) ||
      url.startsWith(ownSourceDir) ||
      url.includes("/node_modules/lux/") ||
      url.includes("/packages/lux/dist/") ||
      url.includes("/packages/lux/src/")
    ) {
      continue;
    }
    if (!url.startsWith("file://")) return undefined;
    return { url, line: Number(m[3]), column: Number(m[4]) };
  }
  return undefined;
}

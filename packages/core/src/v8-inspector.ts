import type { Session } from "node:inspector";
import { LuxError } from "@lux/common";

/**
 * What V8 knows of a function and JavaScript does not expose: the script it was defined
 * in and the scopes it closes over. Read through an in-process inspector session
 * (synchronous, no debugger attached, no domain left enabled), off the hot path: once per
 * definition shipped by value and once per class whose instances travel.
 */

/** A scope a function closes over, as V8 names its kind: "closure", "block", "catch", "module", "script", "global", … */
export interface Scope {
  readonly kind: string;
  /** Its variables; listed only for the kinds asked for. */
  readonly names: readonly string[];
}

export interface FunctionInfo {
  /** The URL of the script the function's code is in ("" for code made by eval or `new Function`). */
  readonly url: string;
  /** From the innermost scope around the function out to the global one. */
  readonly scopes: readonly Scope[];
}

interface RemoteObject {
  readonly type: string;
  readonly description?: string;
  readonly objectId?: string;
  readonly value?: unknown;
}
interface Property {
  readonly name: string;
  readonly value?: RemoteObject;
}
type Post = <T>(method: string, params?: object) => T;

const HOLD = Symbol.for("lux.inspect");
const HOLD_EXPRESSION = 'globalThis[Symbol.for("lux.inspect")]';
const GROUP = "lux";
/** Script URLs by id, as `Debugger.scriptParsed` reported them (ids are never reused). */
const scriptUrls = new Map<string, string>();

/**
 * The script and scopes of `fn`, with the variable names of scopes of the kinds in
 * `listNames`; undefined when this Node.js has no inspector or it fails.
 */
export function inspectFunction(fn: object, listNames: ReadonlySet<string>): FunctionInfo | undefined {
  return withFunction(fn, (post, internal) => {
    const location = internal.find((p) => p.name === "[[FunctionLocation]]")?.value?.value as { scriptId?: string } | undefined;
    const url = location?.scriptId === undefined ? "" : scriptUrl(post, location.scriptId);
    const scopes = scopesOf(post, internal).map(({ kind, objectId }) => ({
      kind,
      names: listNames.has(kind) && objectId !== undefined ? properties(post, objectId).map((p) => p.name) : [],
    }));
    return { url, scopes };
  });
}

/**
 * The value of the top-level binding `name` of the module `fn` was defined in (exported or
 * not; only bindings some function of the module uses are kept by V8); `missing` if none.
 */
export function moduleBinding<M>(fn: object, name: string, missing: M): unknown {
  const found = withFunction(fn, (post, internal) => {
    const scope = scopesOf(post, internal).find((s) => s.kind === "module");
    if (scope?.objectId === undefined) return missing;
    const variable = properties(post, scope.objectId).find((p) => p.name === name)?.value;
    if (variable === undefined) return missing;
    if (variable.objectId === undefined) return variable.value;
    post("Runtime.callFunctionOn", {
      objectId: variable.objectId,
      functionDeclaration: `function () { ${HOLD_EXPRESSION} = this; }`,
    });
    return (globalThis as Record<symbol, unknown>)[HOLD];
  });
  return found === undefined ? missing : found;
}

function withFunction<T>(fn: object, use: (post: Post, internal: readonly Property[]) => T): T | undefined {
  if (!process.features.inspector) return undefined;
  const { Session: InspectorSession } = process.getBuiltinModule("node:inspector");
  const session = new InspectorSession();
  const holder = globalThis as Record<symbol, unknown>;
  try {
    session.connect();
    session.on("Debugger.scriptParsed", (m: { params: { scriptId: string; url: string } }) => {
      scriptUrls.set(m.params.scriptId, m.params.url);
    });
    const post = poster(session);
    holder[HOLD] = fn;
    const { result } = post<{ result: RemoteObject }>("Runtime.evaluate", { expression: HOLD_EXPRESSION, objectGroup: GROUP, silent: true });
    if (result.objectId === undefined) return undefined;
    const { internalProperties } = post<{ internalProperties?: Property[] }>("Runtime.getProperties", {
      objectId: result.objectId,
      ownProperties: true,
    });
    return use(post, internalProperties ?? []);
  } catch {
    return undefined;
  } finally {
    delete holder[HOLD];
    try {
      session.post("Runtime.releaseObjectGroup", { objectGroup: GROUP });
      session.disconnect();
    } catch {
      // not connected
    }
  }
}

function poster(session: Session): Post {
  return <T>(method: string, params?: object): T => {
    const reply: { answered: boolean; error: Error | null; result: unknown } = { answered: false, error: null, result: undefined };
    session.post(method, params ?? {}, (error: Error | null, result?: unknown) => {
      reply.answered = true;
      reply.error = error;
      reply.result = result;
    });
    if (!reply.answered) throw new LuxError(`the inspector did not answer ${method} synchronously`);
    if (reply.error !== null) throw reply.error;
    return reply.result as T;
  };
}

function scopesOf(post: Post, internal: readonly Property[]): { kind: string; objectId: string | undefined }[] {
  const list = internal.find((p) => p.name === "[[Scopes]]")?.value?.objectId;
  if (list === undefined) return [];
  return properties(post, list)
    .filter((p) => /^\d+$/.test(p.name))
    .map((p) => ({ kind: (p.value?.description ?? "").split(" ")[0]?.toLowerCase() ?? "", objectId: p.value?.objectId }));
}

function properties(post: Post, objectId: string): Property[] {
  return post<{ result: Property[] }>("Runtime.getProperties", { objectId, ownProperties: true }).result;
}

/** Enabling the debugger reports every script parsed so far, with its URL; it is disabled again at once. */
function scriptUrl(post: Post, scriptId: string): string {
  const known = scriptUrls.get(scriptId);
  if (known !== undefined) return known;
  post("Debugger.enable", { maxScriptsCacheSize: 0 });
  post("Debugger.disable");
  return scriptUrls.get(scriptId) ?? "";
}

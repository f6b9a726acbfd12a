/**
 * Module loader hooks, registered in worker processes only (module-scopes.ts). Each user ES
 * module loaded after registration gets one statement appended: it hands the worker a
 * function that evaluates source text inside that module's scope (a direct `eval` sees the
 * module's imports and top-level declarations). Workers evaluate a by-value remote function
 * through it, so a function made inside `lux.main`'s body (or any function) can use its
 * module's bindings, as cloudpickle does with a function's globals.
 *
 * The statement goes after the module's last line, so the positions of its code (the keys
 * of by-reference definitions, stack traces, source maps) are unchanged. These hooks are
 * the last registered, so they see what the job's loader (e.g. tsx) made of the source:
 * JavaScript. Left alone: CommonJS and other formats, modules under node_modules, and
 * Lux's own packages.
 */
import type { LoadHook } from "node:module";

/** Lux's packages: `packages/` in this repository, `node_modules/@lux/` once installed. */
const luxPackages = new URL("../../", import.meta.url).href;

const SCOPE_STATEMENT =
  '\n;globalThis[Symbol.for("lux.moduleScope")]?.(import.meta.url, function () { return eval(arguments[0]); });\n';

function wantsScope(url: string): boolean {
  return url.startsWith("file:") && !url.includes("/node_modules/") && !url.startsWith(luxPackages);
}

export const load: LoadHook = async (url, context, nextLoad) => {
  const loaded = await nextLoad(url, context);
  if (loaded.format !== "module" || loaded.source === undefined || loaded.source === null || !wantsScope(url)) return loaded;
  const source = typeof loaded.source === "string" ? loaded.source : new TextDecoder().decode(loaded.source as Uint8Array);
  return { ...loaded, source: source + SCOPE_STATEMENT };
};

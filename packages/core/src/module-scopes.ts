import { register } from "node:module";

/** Evaluates JavaScript source inside one module's scope (a direct eval appended to the module). */
export type ScopedEvaluator = (source: string) => unknown;

const RECEIVER = Symbol.for("lux.moduleScope");
const evaluators = new Map<string, ScopedEvaluator>();
let installed = false;

/**
 * Worker side of module scopes (see module-scope-hooks.ts): registers the loader hooks that
 * give each user ES module loaded from now on a scoped evaluator, and receives them.
 *
 * Registering hooks starts Node's module-hooks thread, about 50 ms when the process has
 * none yet. A worker whose job runs under a loader (tsx: the thread is already there)
 * installs them at start (`installModuleScopesIfLoader`); any other worker installs them
 * when a function first needs its module's scope.
 */
export function installModuleScopes(): void {
  if (installed) return;
  installed = true;
  Object.defineProperty(globalThis, RECEIVER, {
    value: (url: string, evaluate: ScopedEvaluator) => {
      if (!evaluators.has(url)) evaluators.set(url, evaluate);
    },
    configurable: true,
  });
  register(new URL("./module-scope-hooks.js", import.meta.url));
}

/** At worker start: installs module scopes now when the process was started with a module loader. */
export function installModuleScopesIfLoader(execArgv: readonly string[]): void {
  if (execArgv.some((a) => /^--(?:import|loader|experimental-loader)(?:=|$)/.test(a))) installModuleScopes();
}

/** The query that makes a second instance of a module (see `moduleEvaluator`). */
const SECOND_INSTANCE = "lux-scope";

/**
 * The URL of a module as other processes know it: without the query of a second instance
 * this worker made. Its code is the module's; other processes import the module itself.
 */
export function sharedModuleUrl(url: string): string {
  return url.endsWith(SECOND_INSTANCE) ? url.slice(0, -SECOND_INSTANCE.length - 1) : url;
}

/** The evaluator of the module at `url` if this process already has it (never imports). */
export function knownEvaluator(url: string): ScopedEvaluator | undefined {
  return evaluators.get(url);
}

/**
 * The evaluator of the module at `url`, importing it if needed; undefined when it has none
 * (not an ES module, or a module the hooks leave alone).
 *
 * A module this worker imported before the hooks were installed has no evaluator; it is
 * imported once more under another URL (`?lux-scope`) to get one. That second instance is
 * evaluated again (its top-level code runs twice in this worker) and has its own state.
 */
export async function moduleEvaluator(url: string): Promise<ScopedEvaluator | undefined> {
  const known = evaluators.get(url);
  if (known !== undefined) return known;
  installModuleScopes();
  await import(url);
  const evaluate = evaluators.get(url);
  if (evaluate !== undefined) return evaluate;
  const again = `${url}${url.includes("?") ? "&" : "?"}${SECOND_INSTANCE}`;
  await import(again);
  return evaluators.get(again);
}

/** Lux's packages: `packages/` in this repository, `node_modules/@lux/` once installed (as in module-scope-hooks.ts). */
const luxPackages = new URL("../../", import.meta.url).href;

/**
 * A function or class of a library's module (under node_modules, or one of Lux's packages: the
 * modules the scope hooks leave alone, which never get an evaluator), shipped by value: the
 * module's own export of that name when its source is the one shipped (as @lux/tune ships
 * @lux/rl's algorithm classes). Undefined otherwise.
 */
export async function libraryExport(url: string, name: string, source: string): Promise<Function | undefined> {
  if (!url.startsWith("file:") || !(url.includes("/node_modules/") || url.startsWith(luxPackages))) return undefined;
  const value = ((await import(url)) as Record<string, unknown>)[name];
  return typeof value === "function" && Function.prototype.toString.call(value) === source ? value : undefined;
}

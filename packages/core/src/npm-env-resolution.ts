/**
 * Worker side of `runtimeEnv.npm`: the raylet installed the env's packages and names its
 * node_modules in LUX_RUNTIME_ENV_NPM_DIR. Before any code of the job loads, bare imports
 * (ES modules: resolve hooks, npm-env-hooks.ts) and requires (CommonJS: Module._resolveFilename)
 * are pointed at it, in the order npm-env-rules.ts gives.
 */
import { Module, register } from "node:module";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import type { NpmEnvHookData } from "./npm-env-hooks.js";
import { isInEnv, resolutionOrder } from "./npm-env-rules.js";

/** Lux's packages: `packages/` in this repository, `node_modules/@lux/` once installed. */
const luxPackagesUrl = new URL("../../", import.meta.url).href;

type ResolveFilename = (request: string, parent: { filename?: string | null } | undefined, isMain: boolean, options?: { paths?: string[] }) => string;

/** Installs the hooks when this worker's env has npm packages; returns the env's node_modules (undefined: none). */
export function installNpmEnvResolution(env: NodeJS.ProcessEnv): string | undefined {
  const nodeModules = env["LUX_RUNTIME_ENV_NPM_DIR"];
  if (nodeModules === undefined || nodeModules === "") return undefined;
  const nodeModulesUrl = pathToFileURL(nodeModules).href.replace(/\/?$/, "/");
  const data: NpmEnvHookData = { nodeModulesUrl, luxPackagesUrl };
  register(new URL("./npm-env-hooks.js", import.meta.url), { data });
  patchRequire(nodeModules, nodeModulesUrl);
  return nodeModules;
}

/** CommonJS: the same orders for `require`, through the resolver every require goes through. */
function patchRequire(nodeModules: string, nodeModulesUrl: string): void {
  const internals = Module as unknown as { _resolveFilename: ResolveFilename };
  const usual = internals._resolveFilename;
  const envPaths = [path.dirname(nodeModules)];
  const fromEnv = (request: string, parent: Parameters<ResolveFilename>[1], isMain: boolean): string | undefined => {
    try {
      const found = usual.call(Module, request, parent, isMain, { paths: envPaths });
      return isInEnv(pathToFileURL(found).href, nodeModulesUrl) ? found : undefined;
    } catch {
      return undefined;
    }
  };
  internals._resolveFilename = function resolveFilename(request, parent, isMain, options) {
    const parentFile = parent?.filename;
    // A caller's own `paths` (require.resolve(x, { paths })) says where to look: left alone.
    const order = options?.paths !== undefined || typeof parentFile !== "string" ? "usual" : resolutionOrder(request, pathToFileURL(parentFile).href, luxPackagesUrl);
    if (order === "env-first") return fromEnv(request, parent, isMain) ?? usual.call(Module, request, parent, isMain, options);
    if (order === "usual") return usual.call(Module, request, parent, isMain, options);
    try {
      return usual.call(Module, request, parent, isMain, options);
    } catch (e) {
      const found = (e as { code?: unknown }).code === "MODULE_NOT_FOUND" ? fromEnv(request, parent, isMain) : undefined;
      if (found === undefined) throw e;
      return found;
    }
  };
}

/**
 * Module resolve hooks of a worker whose runtime env has npm packages (registered by
 * npm-env-resolution.ts): NODE_PATH does not apply to ES modules, so bare `import`s are
 * resolved here, from the env's node_modules first for the job's own modules (see
 * npm-env-rules.ts for who gets which order).
 */
import type { InitializeHook, ResolveFnOutput, ResolveHook, ResolveHookContext } from "node:module";
import { envParentUrl, isInEnv, resolutionOrder } from "./npm-env-rules.js";

/** What the worker passes to `register`. */
export interface NpmEnvHookData {
  /** file URL of the env's node_modules folder. */
  nodeModulesUrl: string;
  /** file URL of the folder of Lux's packages. */
  luxPackagesUrl: string;
}

let data: NpmEnvHookData | undefined;

export const initialize: InitializeHook<NpmEnvHookData> = (d) => {
  data = d;
};

type Next = Parameters<ResolveHook>[2];

export const resolve: ResolveHook = async (specifier, context, nextResolve) => {
  const d = data;
  if (d === undefined) return nextResolve(specifier, context);
  const order = resolutionOrder(specifier, context.parentURL, d.luxPackagesUrl);
  if (order === "usual") return nextResolve(specifier, context);
  if (order === "env-first") return (await fromEnv(specifier, context, nextResolve, d)) ?? nextResolve(specifier, context);
  try {
    return await nextResolve(specifier, context);
  } catch (e) {
    if ((e as { code?: unknown }).code !== "ERR_MODULE_NOT_FOUND") throw e;
    const found = await fromEnv(specifier, context, nextResolve, d);
    if (found === undefined) throw e;
    return found;
  }
};

/** The package as the env's node_modules has it, or undefined if it does not. */
async function fromEnv(specifier: string, context: ResolveHookContext, nextResolve: Next, d: NpmEnvHookData): Promise<ResolveFnOutput | undefined> {
  try {
    const found = await nextResolve(specifier, { ...context, parentURL: envParentUrl(d.nodeModulesUrl) });
    return isInEnv(found.url, d.nodeModulesUrl) ? found : undefined;
  } catch {
    return undefined;
  }
}

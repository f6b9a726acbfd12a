/**
 * Which imports a worker of a `runtimeEnv.npm` env resolves from the env's node_modules, and
 * in what order (used by the ESM hooks in their thread and by the CommonJS hook in the
 * worker). Only node: builtins here: the hooks thread loads this module and nothing else of Lux.
 */
import { isBuiltin } from "node:module";

/**
 * "env-first": the env's node_modules, then the usual resolution (the job's own code).
 * "env-last": the usual resolution, then the env's for what it cannot find (code of installed
 * packages, which keep their own dependencies, and of Lux, whose `new Function` runs functions
 * shipped by source). "usual": the env plays no part (relative paths, URLs, builtins, Lux itself).
 */
export type ResolutionOrder = "env-first" | "env-last" | "usual";

/** `specifier` names a package (not a path, URL, `#import` or builtin), and not Lux (one Lux per process). */
export function isEnvCandidate(specifier: string): boolean {
  if (specifier === "" || specifier.startsWith(".") || specifier.startsWith("/") || specifier.startsWith("#")) return false;
  if (/^[a-zA-Z][a-zA-Z\d+.-]*:/.test(specifier)) return false; // node:, file:, data:, https:
  if (isBuiltin(specifier)) return false;
  return !(specifier === "lux" || specifier.startsWith("lux/") || specifier.startsWith("@lux/"));
}

/**
 * The order for `specifier` imported by the module at `parentUrl` (a URL; undefined for an
 * entry point). `luxPackagesUrl`: the folder of Lux's packages (`.../packages/` in this
 * repository, `.../node_modules/@lux/` once installed).
 */
export function resolutionOrder(specifier: string, parentUrl: string | undefined, luxPackagesUrl: string): ResolutionOrder {
  if (parentUrl === undefined || !isEnvCandidate(specifier)) return "usual";
  if (!parentUrl.startsWith("file:") || parentUrl.includes("/node_modules/") || parentUrl.startsWith(luxPackagesUrl)) return "env-last";
  return "env-first";
}

/** The file URL a resolution from inside the env starts at (its node_modules is searched first). */
export function envParentUrl(nodeModulesUrl: string): string {
  return new URL("./lux-npm-env.js", nodeModulesUrl.replace(/\/?$/, "/").replace(/node_modules\/$/, "")).href;
}

/** Whether a resolved URL is a file of the env (not one found above it while walking up). */
export function isInEnv(resolvedUrl: string, nodeModulesUrl: string): boolean {
  return resolvedUrl.startsWith(nodeModulesUrl.replace(/\/?$/, "/"));
}

/**
 * Applications named by import path (`./app.ts:app`): the module is imported in this process
 * and its export is the application, or a builder function given the config's `args` that
 * returns one. With a config file, its deployments' options go over the code's.
 */
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { InvalidOptionError, InvalidServeConfigError } from "lux";
import { appSpec } from "./app-graph.js";
import type { AppConfig } from "./config-file.js";
import { Application } from "./deployment.js";
import type { AppSpec } from "./specs.js";

/** The Application the module exports under `exportName` (calling a builder with `args`). */
export async function importApplication(module: string, exportName: string, args: Record<string, unknown> | undefined, where: { file?: string; path: string }): Promise<Application<unknown>> {
  const fail = (problem: string): never => {
    throw new InvalidServeConfigError({ ...(where.file !== undefined ? { file: where.file } : {}), path: where.path, problem });
  };
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(module).href)) as Record<string, unknown>;
  } catch (e) {
    return fail(`cannot import ${module}: ${(e as Error).message.split("\n")[0] ?? ""}`);
  }
  const value = mod[exportName];
  if (value instanceof Application) {
    if (args !== undefined) fail(`"${exportName}" is a bound application, which takes no args; export a function (args) => Application to use them`);
    return value;
  }
  if (typeof value === "function" && !/^class\b/.test(Function.prototype.toString.call(value))) {
    const built: unknown = await (value as (a: Record<string, unknown>) => unknown)(args ?? {});
    if (built instanceof Application) return built;
    return fail(`"${exportName}" is a function, but it returned ${describe(built)}, not a bound application (Deployment.bind(...))`);
  }
  const exported = Object.keys(mod).filter((k) => mod[k] instanceof Application);
  return fail(
    `${path.basename(module)} exports no bound application named "${exportName}" (it is ${describe(value)}). ` +
      `Export one: export const ${exportName} = MyDeployment.bind(...)${exported.length > 0 ? `; bound applications it exports: ${exported.join(", ")}` : ""}`,
  );
}

function describe(v: unknown): string {
  if (v === undefined) return "undefined";
  if (v === null) return "null";
  if (typeof v === "function") return /^class\b/.test(Function.prototype.toString.call(v)) ? `the class ${v.name} (bind a deployment of it)` : "a function";
  if (typeof v === "object") return `an object (${(v as object).constructor?.name ?? "Object"})`;
  return `a ${typeof v}`;
}

/** The spec of one application of a config file. */
export async function configAppSpec(app: AppConfig, index: number, file: string): Promise<AppSpec> {
  const where = `applications[${index}]`;
  const root = await importApplication(app.module, app.exportName, app.args, { file, path: `${where}.importPath` });
  const deployments = Object.fromEntries(app.deployments.map((d) => [d.name, d]));
  try {
    return appSpec(root, app.name, app.routePrefix, { deployments, runtimeEnv: app.runtimeEnv });
  } catch (e) {
    if (e instanceof InvalidOptionError && e.option.startsWith("deployments.")) {
      const name = e.option.slice("deployments.".length);
      const i = app.deployments.findIndex((d) => d.name === name);
      throw new InvalidServeConfigError({ file, path: `${where}.deployments[${i}].name`, problem: `no deployment "${name}" in ${app.importPath}: ${e.expected}` });
    }
    throw e;
  }
}

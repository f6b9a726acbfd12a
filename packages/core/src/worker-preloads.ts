/**
 * The job's `--import`/`--require` preloads, which the raylet passes to a worker in
 * LUX_WORKER_PRELOADS instead of as Node flags (see splitPreloads in the raylet): run here,
 * in order, after Lux's own modules and before any code of the job, resolved as Node
 * resolves those flags (from the working directory).
 */
import { createRequire } from "node:module";
import * as path from "node:path";
import { pathToFileURL } from "node:url";

type Preload = [kind: "import" | "require", specifier: string];

export async function runPreloads(env: NodeJS.ProcessEnv): Promise<Preload[]> {
  const text = env["LUX_WORKER_PRELOADS"];
  if (text === undefined || text === "") return [];
  const preloads = JSON.parse(text) as Preload[];
  const cwd = process.cwd();
  const require = createRequire(path.join(cwd, "[lux-worker-preload]"));
  for (const [kind, spec] of preloads) {
    if (kind === "require") require(spec);
    else await import(importUrl(spec, cwd, require));
  }
  return preloads;
}

function importUrl(spec: string, cwd: string, require: NodeJS.Require): string {
  if (/^(file|node|data):/.test(spec)) return spec;
  if (spec.startsWith("./") || spec.startsWith("../") || path.isAbsolute(spec)) return pathToFileURL(path.resolve(cwd, spec)).href;
  return pathToFileURL(require.resolve(spec)).href; // a package, found from the working directory
}

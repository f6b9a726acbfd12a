/**
 * The job's `--import`/`--require` preloads, which the raylet passes to a worker in
 * LUX_WORKER_PRELOADS instead of as Node flags (see splitPreloads in the raylet): run here,
 * in order, after Lux's own modules and before any code of the job, resolved as Node
 * resolves those flags (from the working directory).
 */
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

type Preload = [kind: "import" | "require", specifier: string];

export async function runPreloads(env: NodeJS.ProcessEnv): Promise<Preload[]> {
  const text = env["LUX_WORKER_PRELOADS"];
  if (text === undefined || text === "") return [];
  const preloads = JSON.parse(text) as Preload[];
  const cwd = process.cwd();
  const require = createRequire(path.join(cwd, "[lux-worker-preload]"));
  await importLuxFirst(require);
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

/** This package's entry, as a real path (what `lux` must import for its modules to be the ones loaded). */
const ownCore = (): string => fs.realpathSync(fileURLToPath(new URL("./index.js", import.meta.url)));

/**
 * Before a loader: the `lux` package the job's code imports (found from the working directory,
 * as that code finds it), when it is built on this very @lux/core (another copy would be a
 * second instance, not a warm one; then nothing is loaded). Once a loader such as tsx is
 * registered, every module Node loads goes through its hooks on their thread: `lux`'s own
 * modules (its launcher and lux.util) took ~5x the CPU loaded that way, in each worker.
 * Marked "lux.worker.lux-first" when done.
 */
async function importLuxFirst(require: NodeJS.Require): Promise<void> {
  let entry: string;
  try {
    entry = fs.realpathSync(require.resolve("lux"));
    if (fs.realpathSync(createRequire(entry).resolve("@lux/core")) !== ownCore()) return;
  } catch {
    return; // the job does not have `lux` (it may use @lux/core itself)
  }
  try {
    await import(pathToFileURL(entry).href);
  } catch {
    return; // the job's code meets the same error where it imports `lux`, as without this warm-up
  }
  performance.mark("lux.worker.lux-first");
}

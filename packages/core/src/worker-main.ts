/** Process entry of a worker: started by a raylet with the job's Node flags. */
import { createLogger, exitWithParent } from "@lux/common";
import { setLuxApi, startWorker } from "./api.js";
import * as lux from "./index.js";
import { installModuleScopesIfLoader } from "./module-scopes.js";
import { installNpmEnvResolution } from "./npm-env-resolution.js";
import { attributeOutput } from "./output-attribution.js";
import { runPreloads } from "./worker-preloads.js";

// Each step of the start is marked (performance.mark, read by the process's own code: bench/scale.ts
// reports them per actor); here, Lux's modules are loaded.
performance.mark("lux.worker.modules");
const log = createLogger("worker");
setLuxApi(lux);
// First: every line the worker writes from now on is marked with the task or actor it is for.
let hosted: () => { actorId: string; className: string } | undefined = () => undefined;
attributeOutput(() => hosted());
// The job's preloads (its loader, e.g. tsx), now that Lux's own modules are loaded.
const preloads = await runPreloads(process.env);
performance.mark("lux.worker.preloads");
// A runtime env with npm packages: bare imports of the job's code resolve from them first.
installNpmEnvResolution(process.env);
// Before any user module is imported, so that each gets its scope (see module-scopes.ts).
installModuleScopesIfLoader([...process.execArgv, ...preloads.map(([kind]) => `--${kind}`)]);
process.on("unhandledRejection", (reason) => {
  log.error(`unhandled promise rejection in user code: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`);
});
// A worker started with its raylet, before the raylet was up, learns where it is on stdin.
if (process.env["LUX_ADDRESSES_ON_STDIN"] === "1") Object.assign(process.env, await addressesFromStdin());
const core = await startWorker(process.env);
performance.mark("lux.worker.registered");
hosted = () => core.executor.hosted;
// A worker lives as long as its raylet: it exits when the raylet (its parent) goes away.
core.raylet.onClose(() => process.exit(0));
exitWithParent(() => process.exit(0));

/**
 * The first line on stdin: the raylet's addresses as JSON. The raylet keeps stdin open after
 * it (its end means the raylet is gone, see exitWithParent); an end before it, the same.
 */
function addressesFromStdin(): Promise<Record<string, string>> {
  return new Promise((resolve) => {
    let text = "";
    const onEnd = (): never => process.exit(0);
    const onData = (chunk: Buffer): void => {
      text += chunk.toString("utf8");
      const newline = text.indexOf("\n");
      if (newline < 0) return;
      process.stdin.off("data", onData).off("end", onEnd).pause();
      resolve(JSON.parse(text.slice(0, newline)) as Record<string, string>);
    };
    process.stdin.on("data", onData).on("end", onEnd);
  });
}

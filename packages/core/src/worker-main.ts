/** Process entry of a worker: started by a raylet with the job's Node flags. */
import { createLogger, exitWithParent } from "@lux/common";
import { setLuxApi, startWorker } from "./api.js";
import * as lux from "./index.js";

const log = createLogger("worker");
setLuxApi(lux);
process.on("unhandledRejection", (reason) => {
  log.error(`unhandled promise rejection in user code: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`);
});
const core = await startWorker(process.env);
// A worker lives as long as its raylet: it exits when the raylet (its parent) goes away.
core.raylet.onClose(() => process.exit(0));
exitWithParent(() => process.exit(0));

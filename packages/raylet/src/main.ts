/** Process entry of a raylet: `node main.js --gcs-address H:P --worker-main PATH --resources JSON`. */
import * as os from "node:os";
import { createLogger, exitWithParent, parseFlags, printReady, useLogFile } from "@lux/common";
import { MemoryObjectStore } from "@lux/object-store";
import { Raylet } from "./raylet-server.js";

const log = createLogger("raylet");
const flags = parseFlags(process.argv.slice(2));
const logFile = flags.get("log-file");
if (logFile !== undefined) useLogFile(logFile);
const token = process.env["LUX_TOKEN"];
const gcsAddress = flags.get("gcs-address");
const workerMain = flags.get("worker-main");
if (!token || !gcsAddress || !workerMain) {
  log.error("usage: raylet --gcs-address HOST:PORT --worker-main PATH [--resources JSON] (LUX_TOKEN must be set)");
  process.exit(2);
}
const resources = JSON.parse(flags.get("resources") ?? "{}") as Record<string, number>;
resources["CPU"] ??= os.availableParallelism();
const storeBytes = Number(flags.get("object-store-memory") ?? Math.floor(os.totalmem() * 0.3));
// The `memory` resource is what tasks may reserve for their heaps: like Ray, 70% of RAM
// minus what the object store takes, unless --resources sets it.
resources["memory"] ??= Math.max(0, Math.floor(os.totalmem() * 0.7) - storeBytes);

const raylet = new Raylet({
  address: flags.get("address") ?? "127.0.0.1:0",
  gcsAddress,
  token,
  resources,
  store: new MemoryObjectStore(storeBytes),
  workerMain,
  maxIdleWorkersPerJob: Math.max(1, Math.ceil(resources["CPU"] ?? 1)),
});
const stop = async (): Promise<void> => {
  await raylet.close();
  process.exit(0);
};
raylet.onGcsLost(() => {
  log.warn("lost the control service; exiting");
  void stop();
});
if (flags.has("exit-with-parent")) exitWithParent(stop);
process.on("SIGTERM", () => void stop());
await raylet.start();
printReady({ address: raylet.address, nodeId: raylet.nodeId, pid: process.pid });

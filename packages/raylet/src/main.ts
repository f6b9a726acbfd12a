/** Process entry of a raylet: `node main.js --gcs-address H:P --worker-main PATH --resources JSON [--labels JSON]`. */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  ACCELERATOR_TYPE_LABEL,
  INSTANCE_ID_LABEL,
  NODE_TYPE_LABEL,
  checkNodeLabels,
  configSnapshot,
  createLogger,
  durationMs,
  daemonStop,
  exitWithParent,
  guardDaemonProcess,
  onFatalExit,
  parseFlags,
  printReady,
  readPublishedAddress,
  useLogFile,
} from "@lux/common";
import { detectGpus } from "./gpu-detection.js";
import { defaultMemoryResource } from "./memory-usage.js";
import { logDir, socketDir } from "./session-dirs.js";
import { cleanUpSessions } from "./session-housekeeping.js";
import { startEarlyWorker, type PrestartJob } from "./worker-pool.js";
import { WorkerOutputs } from "./worker-output.js";

const log = createLogger("raylet");
// Every tunable, read once (explicit entries reach this process as LUX_* variables).
const config = configSnapshot();
const flags = parseFlags(process.argv.slice(2));
const logFile = flags.get("log-file");
if (logFile !== undefined) useLogFile(logFile, { maxBytes: config.logRotationBytes, backups: config.logRotationBackups });
guardDaemonProcess(log);
const token = process.env["LUX_TOKEN"];
const gcsAddressFlag = flags.get("gcs-address");
const gcsAddressFile = flags.get("gcs-address-file");
const workerMain = flags.get("worker-main");
if (!token || (!gcsAddressFlag && !gcsAddressFile) || !workerMain) {
  log.error("usage: raylet (--gcs-address HOST:PORT | --gcs-address-file PATH) --worker-main PATH [--resources JSON] [--labels JSON] (LUX_TOKEN must be set)");
  process.exit(2);
}
const resources = JSON.parse(flags.get("resources") ?? "{}") as Record<string, number>;
resources["CPU"] ??= os.availableParallelism();
// --labels JSON: the node's own labels (lux.io/ ones are Lux's).
const labels = nodeLabels(flags.get("labels"));
// A node the autoscaler started says which of its instances it is (--instance-id, --node-type).
for (const [flag, label] of [["instance-id", INSTANCE_ID_LABEL], ["node-type", NODE_TYPE_LABEL]] as const) {
  const value = flags.get(flag);
  if (value !== undefined && value !== "") labels[label] = value;
}
const MAX_DEFAULT_STORE = 200 * 1024 ** 3;
const storeBytes = Number(flags.get("object-store-memory") ?? Math.min(Math.floor(os.totalmem() * 0.3), MAX_DEFAULT_STORE));
if (!Number.isSafeInteger(storeBytes) || storeBytes <= 0) {
  log.error(`--object-store-memory must be a positive number of bytes, got ${flags.get("object-store-memory")}`);
  process.exit(2);
}
// --memory-capacity BYTES: the memory monitor counts this node's own processes against it (for tests).
const capacityFlag = flags.get("memory-capacity");
const memoryCapacity = capacityFlag === undefined ? undefined : Number(capacityFlag);
if (memoryCapacity !== undefined && (!Number.isSafeInteger(memoryCapacity) || memoryCapacity <= 0)) {
  log.error(`--memory-capacity must be a positive number of bytes, got ${capacityFlag}`);
  process.exit(2);
}
const sessionDir = flags.get("session-dir") ?? fs.mkdtempSync(path.join(os.tmpdir(), "lux-raylet-"));
// --prestart-job JSON: the private cluster's driver says which job's workers to start now.
// The first one starts here, while this raylet opens its store and connects.
const prestartFlag = flags.get("prestart-job");
const prestart = prestartFlag === undefined ? undefined : (JSON.parse(prestartFlag) as PrestartJob);
// Every worker's output: its log file in the session's logs folder, and its job's driver.
const outputs = new WorkerOutputs({ logDir: logDir(sessionDir), rotation: { maxBytes: config.logRotationBytes, backups: config.logRotationBackups } });
const early = prestart === undefined ? undefined : startEarlyWorker({ workerMain, token, socketDir: socketDir(sessionDir), outputs }, prestart);
// Without a GPU count the node's GPUs are what nvidia-smi finds, asked while the raylet starts
// (after that worker: starting a process holds this thread a moment).
const gpuDetection = resources["GPU"] === undefined ? detectGpus(process.env, config.gpuDetectionTimeoutMs) : undefined;
// Loaded once that worker is on its way: most of its start, like this raylet's, is loading modules.
const { ArenaStore, arenaPath, loadShmAddon, removeOrphanArenas, storeKind } = await import("@lux/object-store");
const { Raylet } = await import("./raylet-server.js");
const shmDir = fs.existsSync("/dev/shm") ? "/dev/shm" : sessionDir;
const kind = storeKind();
const addon = loadShmAddon();
if ("error" in addon) log.warn(`object store: the shared-memory addon is not available (${addon.error.message}); using the file-backed store, which copies on every read`);
// Arenas of raylets that were killed hold RAM until deleted: whoever starts next cleans up.
const orphans = removeOrphanArenas(shmDir);
if (orphans > 0) log.info(`removed ${orphans} object store file(s) in ${shmDir} left by raylets that no longer run`);
// --spill-dir DIR: where this raylet makes its spill folder (default: the session folder).
const spillRoot = flags.get("spill-dir");
const store = await ArenaStore.open({
  path: arenaPath(shmDir, process.pid),
  capacity: storeBytes,
  spillDir: path.join(spillRoot ?? sessionDir, `spill-${process.pid}`),
  fullTimeoutMs: config.objectStoreFullTimeoutMs,
  spillWaitMs: config.objectStoreSpillWaitMs,
  spillChunkBytes: config.spillChunkBytes,
  pressureIntervalMs: config.objectStorePressureIntervalMs,
  onPressure: () => raylet.collectGarbage(),
});
// A fatal error must not leave the arena holding RAM in /dev/shm, nor the spill folder.
onFatalExit(() => store.removeFilesSync());
log.info(`object store: ${kind}, ${storeBytes} bytes at ${store.path}`);
// The `memory` resource is what tasks may reserve for their heaps: the node's RAM minus what
// the object store takes (or --memory-capacity), unless --resources sets it.
resources["memory"] ??= defaultMemoryResource(memoryCapacity, storeBytes);

const gcsAddress = gcsAddressFlag ?? (await readPublishedAddress(gcsAddressFile as string, config.gcsAddressWaitMs));
if (gcsAddress === undefined) {
  // Started alongside the control service (a private cluster), which failed or never came.
  log.error(`the control service this raylet was started with failed to start (no address in ${gcsAddressFile})`);
  process.exit(2);
}
const gpus = await gpuDetection;
if (gpus !== undefined) {
  if (gpus.warning !== undefined) log.warn(gpus.warning);
  else log.info(`GPU detection: ${gpus.gpuIds.length} GPU(s) found${gpus.acceleratorType === undefined ? "" : ` (${gpus.acceleratorType})`}, ids ${JSON.stringify(gpus.gpuIds)}`);
  resources["GPU"] = gpus.gpuIds.length;
  if (gpus.acceleratorType !== undefined) labels[ACCELERATOR_TYPE_LABEL] = gpus.acceleratorType;
}
if (resources["GPU"] === 0) delete resources["GPU"];
const raylet = new Raylet({
  // --node-ip-address: the node's address on the cluster network; the raylet binds there.
  address: flags.get("address") ?? `${flags.get("node-ip-address") ?? "127.0.0.1"}:0`,
  gcsAddress,
  token,
  resources,
  ...(gpus !== undefined ? { gpuIds: gpus.gpuIds } : {}),
  labels,
  store,
  storeKind: kind,
  workerMain,
  maxIdleWorkersPerJob: config.maxIdleWorkers > 0 ? config.maxIdleWorkers : Math.max(1, Math.ceil(resources["CPU"] ?? 1)),
  sessionDir,
  config,
  memoryCapacity,
  outputs,
  logFile: logFile === undefined ? undefined : path.basename(logFile),
});
// Every way out (SIGTERM, the parent gone, the control service gone) closes once: the
// workers, then the store's files (the fatal cleanup removes them if closing fails).
const stop = daemonStop(log, () => raylet.close());
raylet.onGcsLost(() => {
  log.warn(`the control service did not come back within ${config.gcsReconnectWindowMs} ms (gcsReconnectWindowMs); exiting`);
  stop().catch(() => undefined); // it exits instead of rejecting
});
if (flags.has("exit-with-parent")) exitWithParent(stop);
await raylet.start();
if (prestart !== undefined) raylet.prestartWorkers(prestart, early);
printReady({ address: raylet.address, nodeId: raylet.nodeId, pid: process.pid });
// Once serving (it must not delay the start): what killed sessions left behind.
cleanUpSessions({
  sessionRoot: config.sessionDirRoot,
  spillRoots: spillRoot === undefined ? [] : [spillRoot],
  retentionMs: durationMs(config.sessionRetention),
  now: Date.now(),
}).then(
  ({ spillDirs, sessions }) => {
    if (spillDirs + sessions > 0) log.info(`housekeeping: removed ${spillDirs} spill folder(s) of raylets that no longer run and ${sessions} session folder(s) older than ${config.sessionRetention}`);
  },
  (e: unknown) => log.warn(`housekeeping of old sessions failed: ${(e as Error).message}`),
);

function nodeLabels(flag: string | undefined): Record<string, string> {
  try {
    return checkNodeLabels(JSON.parse(flag ?? "{}"), "--labels");
  } catch (e) {
    log.error(`--labels must be a JSON object of node labels: ${(e as Error).message}`);
    process.exit(2);
  }
}

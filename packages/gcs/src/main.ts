/**
 * Process entry of the control service: `node main.js --address 127.0.0.1:0`.
 * `--write-token-file` publishes the cluster token for drivers on this machine (see
 * token-file.ts in @lux/common) for as long as this process lives.
 */
import {
  configSnapshot,
  createLogger,
  daemonStop,
  exitWithParent,
  guardDaemonProcess,
  parseFlags,
  printReady,
  removeTokenFile,
  useLogFile,
  writeTokenFile,
} from "@lux/common";
import { GcsServer } from "./gcs-server.js";
import { RedisStorage, clusterIdOf } from "./redis-storage.js";
import { MemoryStorage, type GcsStorage } from "./storage.js";

const log = createLogger("gcs");
// Every tunable, read once (explicit entries reach this process as LUX_* variables).
const config = configSnapshot();
const flags = parseFlags(process.argv.slice(2));
const logFile = flags.get("log-file");
if (logFile !== undefined) useLogFile(logFile, { maxBytes: config.logRotationBytes, backups: config.logRotationBackups });
guardDaemonProcess(log);
const token = process.env["LUX_TOKEN"];
if (token === undefined || token === "") {
  log.error("LUX_TOKEN is not set: the control service needs the cluster token");
  process.exit(2);
}

// --storage memory (default: lost on restart) | redis://HOST:PORT (survives restarts).
const storageFlag = flags.get("storage") ?? "memory";
let storage: GcsStorage;
if (storageFlag === "memory") {
  storage = new MemoryStorage();
} else if (storageFlag.startsWith("redis://")) {
  try {
    storage = await RedisStorage.connect(storageFlag, {
      clusterId: clusterIdOf(token),
      ttlMs: config.redisRecordTtlMs,
      connectTimeoutMs: config.redisConnectTimeoutMs,
    });
  } catch (e) {
    log.error(`--storage ${storageFlag}: ${(e as Error).message}`);
    process.exit(2);
  }
} else {
  log.error(`--storage ${storageFlag}: say "memory" or redis://HOST:PORT`);
  process.exit(2);
}

const server = new GcsServer({
  address: flags.get("address") ?? "127.0.0.1:0",
  token,
  storage,
  config,
});
await server.start();
if (flags.has("write-token-file")) {
  const address = server.address;
  writeTokenFile(address, token);
  // Every way out (SIGTERM, the parent dying, an error) passes through "exit".
  process.on("exit", () => removeTokenFile(address));
}
const stop = daemonStop(log, () => server.close());
if (flags.has("exit-with-parent")) exitWithParent(stop);
printReady({ address: server.address, pid: process.pid });

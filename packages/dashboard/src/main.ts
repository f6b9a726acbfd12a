/**
 * Process entry of the head's HTTP server (the dashboard, state routes, jobs API):
 * `node main.js --gcs-address HOST:PORT --address HOST:PORT [--log-file F] [--exit-with-parent]`,
 * with the cluster token in LUX_TOKEN. Started by `lux start --head` and by LocalCluster
 * with a dashboard. It reads the cluster only through `lux`'s public API: `lux.state`, and for
 * the jobs API `lux.init` (a driver of its own namespace), actors and `lux.util.kv`.
 */
import { config, createLogger, daemonStop, exitWithParent, guardDaemonProcess, loadTlsMaterial, parseFlags, printReady, tlsFilesFromConfig, useLogFile, warnIfExposed } from "@lux/common";
import { shutdown } from "lux";
import { createHeadServer } from "./head-server.js";

const log = createLogger("dashboard");
const flags = parseFlags(process.argv.slice(2));
const logFile = flags.get("log-file");
if (logFile !== undefined) useLogFile(logFile, { maxBytes: config("logRotationBytes"), backups: config("logRotationBackups") });
guardDaemonProcess(log);
const token = process.env["LUX_TOKEN"];
const gcsAddress = flags.get("gcs-address");
if (token === undefined || token === "" || gcsAddress === undefined) {
  log.error("the dashboard needs LUX_TOKEN and --gcs-address HOST:PORT");
  process.exit(2);
}
const [host, port] = splitAddress(flags.get("address") ?? "127.0.0.1:8265");

// With the cluster's TLS files (config tlsCert, tlsKey, tlsCa), HTTPS with client certificates.
const tlsFiles = tlsFilesFromConfig();
const tls =
  tlsFiles === undefined
    ? undefined
    : {
        material: loadTlsMaterial(tlsFiles),
        handshakeTimeoutMs: config("rpcHandshakeTimeoutMs"),
        onRefused: (peer: string, reason: string) => log.warn(`refused a TLS connection with ${peer}: ${reason}`),
      };
const { app, close } = await createHeadServer({ token, gcsAddress, bindHost: host, log, tls });
try {
  await app.listen({ host, port });
} catch (e) {
  log.error(`cannot listen on ${host}:${port}: ${(e as Error).message}`);
  process.exit(2);
}
const bound = app.server.address();
const address = typeof bound === "object" && bound !== null ? `${host}:${bound.port}` : `${host}:${port}`;
const stop = daemonStop(log, async () => {
  await close();
  await shutdown();
});
if (flags.has("exit-with-parent")) exitWithParent(stop);
warnIfExposed(log, "the dashboard and jobs API", address, tls !== undefined);
log.info(`serving on ${tls === undefined ? "http" : "https"}://${address}`);
printReady({ address, pid: process.pid });

function splitAddress(text: string): [string, number] {
  const colon = text.lastIndexOf(":");
  const port = Number(text.slice(colon + 1));
  if (colon <= 0 || !Number.isInteger(port) || port < 0 || port > 65535) {
    log.error(`--address ${text}: say HOST:PORT (PORT 0 for a free one)`);
    process.exit(2);
  }
  return [text.slice(0, colon), port];
}

/**
 * `lux up cluster.yaml` and `lux down cluster.yaml`: a cluster from its YAML. `up` starts the
 * head (as `lux start --head` does, with the head node type's resources) and its autoscaler,
 * or, for a cluster already up, restarts the autoscaler with the YAML if it changed: running
 * it again changes nothing. `down` stops the autoscaler, ends every node the provider has
 * tagged with the cluster, then the head.
 */
import { createInterface } from "node:readline/promises";
import { readTokenFile } from "@lux/common";
import { liveDaemons, type DaemonRecord } from "@lux/launcher";
import { readClusterConfig, startHeadAutoscaler, withHeadType } from "./autoscaler-head.js";
import { hashConfig, readClusterRecord, removeClusterRecord } from "./cluster-record.js";
import { CliError } from "./errors.js";
import { start, type StartOptions } from "./start.js";
import { stopAll } from "./stop.js";

export interface UpOptions {
  yes?: boolean;
  port: number;
  dashboardPort: number;
  dashboardHost: string;
  nodeIpAddress: string;
  objectStoreMemory?: number;
}

/** The daemons of the cluster whose control service is at `gcsAddress`, by kind. */
function daemonsOf(gcsAddress: string | undefined): DaemonRecord[] {
  return gcsAddress === undefined ? [] : liveDaemons().filter((d) => d.gcsAddress === gcsAddress);
}

async function confirm(question: string, yes: boolean | undefined): Promise<void> {
  if (yes === true || !process.stdin.isTTY) return;
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    const answer = await rl.question(`${question} [y/N] `);
    if (!/^y(es)?$/i.test(answer.trim())) throw new CliError("cancelled", 1);
  } finally {
    rl.close();
  }
}

export async function up(file: string, opts: UpOptions): Promise<void> {
  const { config, text } = await readClusterConfig(file);
  const record = readClusterRecord(config.clusterName);
  const daemons = daemonsOf(record?.gcsAddress);
  if (record !== undefined && daemons.some((d) => d.kind === "gcs")) {
    const autoscalers = daemons.filter((d) => d.kind === "autoscaler");
    if (record.configHash === hashConfig(text) && autoscalers.length > 0) {
      process.stdout.write(`Lux cluster ${config.clusterName} is up, unchanged. Control service: ${record.gcsAddress}\n${connectLines(record.gcsAddress).join("\n")}\n`);
      return;
    }
    await confirm(`Restart the autoscaler of cluster ${config.clusterName} with ${file}?`, opts.yes);
    const token = process.env["LUX_TOKEN"] || readTokenFile(record.gcsAddress);
    if (token === undefined) throw new CliError(`no token for the cluster at ${record.gcsAddress}: set LUX_TOKEN`);
    await stopAll(autoscalers);
    const a = await startHeadAutoscaler({ configFile: file, token, gcsAddress: record.gcsAddress, sessionDir: record.sessionDir, mode: { detached: true } });
    process.stdout.write(`Lux cluster ${config.clusterName} is up, its autoscaler restarted with ${file} (log ${a.logFile}). Control service: ${record.gcsAddress}\n${connectLines(record.gcsAddress).join("\n")}\n`);
    return;
  }
  await confirm(`Start cluster ${config.clusterName} (${config.provider.type} provider) on this machine?`, opts.yes);
  const startOptions: StartOptions = {
    head: true,
    port: opts.port,
    dashboardPort: opts.dashboardPort,
    dashboardHost: opts.dashboardHost,
    nodeIpAddress: opts.nodeIpAddress,
    storage: "memory",
    autoscalingConfig: file,
    ...(opts.objectStoreMemory !== undefined ? { objectStoreMemory: opts.objectStoreMemory } : {}),
  };
  await start(withHeadType(startOptions, config));
}

function connectLines(gcsAddress: string): string[] {
  return [`  lux.init({ address: "${gcsAddress}" })   or   LUX_ADDRESS=${gcsAddress}`, "Inspect with `lux status`; end with `lux down <cluster.yaml>`."];
}

export async function down(file: string): Promise<void> {
  const { config } = await readClusterConfig(file);
  const { TAG_CLUSTER, createProvider } = await import("@lux/autoscaler");
  const record = readClusterRecord(config.clusterName);
  const daemons = daemonsOf(record?.gcsAddress);
  // The autoscaler first: it would start nodes again.
  await stopAll(daemons.filter((d) => d.kind === "autoscaler"));
  const gcsAddress = record?.gcsAddress ?? "";
  const token = process.env["LUX_TOKEN"] || (record !== undefined ? readTokenFile(record.gcsAddress) : undefined) || "";
  const provider = await createProvider(config, gcsAddress, token, { toEndNodes: true });
  let workers: string[];
  try {
    workers = await provider.nonTerminatedNodes({ [TAG_CLUSTER]: config.clusterName });
    await provider.terminateNodes(workers);
  } finally {
    await provider.close();
  }
  // What is left is the head: its dashboard, its raylet, its control service.
  const rest = daemonsOf(record?.gcsAddress);
  await stopAll(rest.filter((d) => d.kind === "dashboard"));
  await stopAll(rest.filter((d) => d.kind === "raylet"));
  await stopAll(rest.filter((d) => d.kind === "gcs"));
  removeClusterRecord(config.clusterName);
  const head = rest.length > 0 ? `and the head (${rest.length} process(es))` : "(no head was running on this machine)";
  process.stdout.write(`Cluster ${config.clusterName}: ended ${workers.length} worker node(s) ${head}.\n`);
}

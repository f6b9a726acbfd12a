/** The head's autoscaler (`lux start --head --autoscaling-config`, `lux up`): started, recorded, and the head's resources from its node type. */
import * as fs from "node:fs";
import * as path from "node:path";
import type { ClusterConfig } from "@lux/autoscaler";
import type { SystemConfig } from "@lux/common";
import { recordDaemon, startAutoscaler, type DaemonHandle } from "@lux/launcher";
import { hashConfig, keepConfig, writeClusterRecord } from "./cluster-record.js";
import type { StartOptions } from "./start.js";

export interface HeadAutoscaler {
  clusterName: string;
  provider: string;
  logFile: string;
  handle: DaemonHandle;
}

/**
 * Reads and checks a cluster YAML (InvalidClusterConfigError names each problem's path and
 * line). @lux/autoscaler is loaded here, not at the command's start: `lux start` (each node)
 * does without it.
 */
export async function readClusterConfig(file: string): Promise<{ config: ClusterConfig; text: string }> {
  const { parseClusterConfig } = await import("@lux/autoscaler");
  const text = fs.readFileSync(file, "utf8");
  return { config: parseClusterConfig(text, file), text };
}

/** The head node's resources and labels from its node type, where the flags do not set them. */
export function withHeadType(opts: StartOptions, config: ClusterConfig): StartOptions {
  const head = config.availableNodeTypes[config.headNodeType];
  if (head === undefined) return opts;
  const { CPU, GPU, memory, ...custom } = head.resources;
  return {
    ...opts,
    ...(opts.numCpus === undefined && CPU !== undefined ? { numCpus: CPU } : {}),
    ...(opts.numGpus === undefined ? { numGpus: GPU ?? 0 } : {}),
    ...(opts.memory === undefined && memory !== undefined ? { memory } : {}),
    ...(opts.resources === undefined && Object.keys(custom).length > 0 ? { resources: custom } : {}),
    ...(opts.labels === undefined && Object.keys(head.labels).length > 0 ? { labels: { ...head.labels } } : {}),
  };
}

export async function startHeadAutoscaler(o: {
  configFile: string;
  token: string;
  gcsAddress: string;
  sessionDir: string;
  mode: { detached: true } | { exitWithParent: true };
  /** Config entries for the autoscaler (and the nodes it starts here): the head's, TLS files included. */
  config?: SystemConfig | undefined;
}): Promise<HeadAutoscaler> {
  const { config, text } = await readClusterConfig(o.configFile);
  const kept = keepConfig(config.clusterName, text);
  const logFile = path.join(o.sessionDir, "logs", "autoscaler.log");
  const handle = await startAutoscaler({ token: o.token, gcsAddress: o.gcsAddress, configFile: kept, logFile, sessionDir: o.sessionDir, ...o.mode, ...(o.config !== undefined ? { config: o.config } : {}) });
  recordDaemon({ kind: "autoscaler", pid: handle.pid, address: handle.address, gcsAddress: o.gcsAddress, nodeId: undefined, main: handle.main, sessionDir: o.sessionDir, logFile });
  writeClusterRecord({ clusterName: config.clusterName, gcsAddress: o.gcsAddress, configHash: hashConfig(text), sessionDir: o.sessionDir, startedAtMs: Date.now() });
  return { clusterName: config.clusterName, provider: config.provider.type, logFile, handle };
}

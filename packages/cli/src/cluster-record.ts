/**
 * Clusters started from a cluster YAML on this machine (`lux up`, `lux start --head
 * --autoscaling-config`): `<sessionDirRoot>/clusters/<clusterName>/` holds the YAML the
 * autoscaler runs with (`cluster.yaml`) and where the head is (`head.json`), for `lux up` to
 * find the cluster again and `lux down` to end it.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { config } from "@lux/common";

export interface ClusterRecord {
  clusterName: string;
  gcsAddress: string;
  /** sha256 of the YAML the autoscaler runs with. */
  configHash: string;
  sessionDir: string;
  startedAtMs: number;
}

export function clusterDir(clusterName: string): string {
  return path.join(config("sessionDirRoot"), "clusters", clusterName);
}

export function hashConfig(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

export function readClusterRecord(clusterName: string): ClusterRecord | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(clusterDir(clusterName), "head.json"), "utf8")) as ClusterRecord;
  } catch {
    return undefined;
  }
}

export function writeClusterRecord(record: ClusterRecord): void {
  fs.mkdirSync(clusterDir(record.clusterName), { recursive: true, mode: 0o700 });
  fs.writeFileSync(path.join(clusterDir(record.clusterName), "head.json"), `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
}

export function removeClusterRecord(clusterName: string): void {
  fs.rmSync(path.join(clusterDir(clusterName), "head.json"), { force: true });
}

/** Copies the YAML where the autoscaler reads it (the user's file may change meanwhile); returns its path. */
export function keepConfig(clusterName: string, text: string): string {
  fs.mkdirSync(clusterDir(clusterName), { recursive: true, mode: 0o700 });
  const file = path.join(clusterDir(clusterName), "cluster.yaml");
  fs.writeFileSync(file, text, { mode: 0o600 });
  return file;
}

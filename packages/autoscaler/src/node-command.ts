/**
 * The `lux start` command line of a worker node: it joins the control service, offers exactly
 * its type's resources and labels, and stays in the foreground (`--block`) so that the process
 * (or the pod's container) lives as long as the node.
 */
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { LuxError } from "@lux/common";
import type { NodeTypeConfig } from "./cluster-config.js";

/** The arguments after `lux`: `start --address … --block` with the type's resources and labels. */
export function workerStartArgs(type: Pick<NodeTypeConfig, "resources" | "labels">, gcsAddress: string, extra: readonly string[] = []): string[] {
  const { CPU, GPU, memory, ...custom } = type.resources;
  const args = ["start", "--address", gcsAddress, "--block", "--num-cpus", String(CPU ?? 0), "--num-gpus", String(GPU ?? 0)];
  if (memory !== undefined) args.push("--memory", String(Math.floor(memory)));
  if (Object.keys(custom).length > 0) args.push("--resources", JSON.stringify(custom));
  if (Object.keys(type.labels).length > 0) args.push("--labels", JSON.stringify(type.labels));
  return [...args, ...extra];
}

/**
 * `node <the lux bin>`: the `lux` package's command, found at run time (it sits above this
 * package, which cannot declare it).
 */
export function luxCommand(): string[] {
  let entry: string;
  try {
    entry = fileURLToPath(import.meta.resolve("lux"));
  } catch (e) {
    throw new LuxError(`the autoscaler's local provider runs \`lux start\`, but the lux package is not installed: ${(e as Error).message}`);
  }
  // lux's main is dist/index.js; its bin is bin/lux.js beside dist.
  return [process.execPath, path.join(path.dirname(path.dirname(entry)), "bin", "lux.js")];
}

/**
 * Finding a node's GPUs when it is not told how many it has (`--num-gpus`): the raylet asks
 * `nvidia-smi` once at start, keeps to the devices its own CUDA_VISIBLE_DEVICES allows, and
 * names their model for the `lux.io/accelerator-type` label. Any failure (no nvidia-smi, a
 * non-zero exit, no answer in time, output it cannot read) means no GPUs, with one warning.
 */
import { execFile } from "node:child_process";
import { accessSync, constants } from "node:fs";
import * as path from "node:path";
import { systemClock, type Clock } from "@lux/protocol";

/** What `nvidia-smi --query-gpu=index,uuid,name,memory.total --format=csv,noheader` says of one device. */
export interface DetectedGpu {
  index: number;
  uuid: string;
  name: string;
  /** Undefined when nvidia-smi shows none (e.g. "[N/A]"). */
  memoryMiB: number | undefined;
}

export interface GpuDetection {
  /** Device indices (as nvidia-smi numbers them) this node may hand out: its GPU ids. */
  gpuIds: number[];
  /** The model of the first of them (see acceleratorType), if any. */
  acceleratorType: string | undefined;
  /** Why no GPUs were found when detection failed: to be logged once, as a warning. */
  warning: string | undefined;
}

export const NVIDIA_SMI = "nvidia-smi";
export const NVIDIA_SMI_ARGS: readonly string[] = ["--query-gpu=index,uuid,name,memory.total", "--format=csv,noheader"];

/** The devices nvidia-smi lists, or why its output cannot be read. */
export function parseNvidiaSmi(stdout: string): DetectedGpu[] | string {
  const gpus: DetectedGpu[] = [];
  for (const raw of stdout.split("\n")) {
    const line = raw.trim();
    if (line === "") continue;
    const fields = line.split(",").map((f) => f.trim());
    // A name with a comma in it would split: index and uuid come first, memory last.
    const [index, uuid] = fields;
    const memory = fields.length >= 4 ? (fields[fields.length - 1] as string) : undefined;
    const name = fields.slice(2, -1).join(", ");
    if (index === undefined || !/^\d+$/.test(index) || uuid === undefined || uuid === "" || memory === undefined || name === "") {
      return `unexpected line ${JSON.stringify(line.slice(0, 200))} (expected "index, uuid, name, memory")`;
    }
    const mib = /^(\d+)\s*MiB$/.exec(memory);
    gpus.push({ index: Number(index), uuid, name, memoryMiB: mib === null ? undefined : Number(mib[1]) });
  }
  return gpus;
}

/**
 * The devices a process started with CUDA_VISIBLE_DEVICES = `visible` may use, in its order.
 * Unset: all. Entries are device indices or UUIDs (`GPU-...`, a unique prefix is enough); as
 * CUDA does, the list ends at the first entry that names no device (so "" or "-1" hides all).
 */
export function visibleGpus(gpus: readonly DetectedGpu[], visible: string | undefined): DetectedGpu[] {
  if (visible === undefined) return [...gpus];
  const kept: DetectedGpu[] = [];
  for (const raw of visible.split(",")) {
    const entry = raw.trim();
    const gpu = gpus.find((g) => String(g.index) === entry || g.uuid === entry || (entry.startsWith("GPU-") && g.uuid.startsWith(entry)));
    if (gpu === undefined || kept.includes(gpu)) break;
    kept.push(gpu);
  }
  return kept;
}

/** Words of a GPU's name that say who made or sells it, not which model it is. */
const BRAND_WORDS = new Set(["nvidia", "tesla", "geforce", "quadro"]);
/** Series names that only say which model with the word after them ("RTX 4090"). */
const SERIES_WORDS = new Set(["rtx", "gtx", "gt", "titan"]);

/**
 * The accelerator type of a GPU for the `lux.io/accelerator-type` label: the name without
 * its brand words (NVIDIA, Tesla, GeForce, Quadro); of what is left, the first word up to
 * its first "-"; joined with the next word (also up to "-") when it is a series name (RTX,
 * GTX, GT, TITAN). Only label characters are kept. "NVIDIA H100 80GB HBM3" → H100,
 * "NVIDIA A100-SXM4-40GB" → A100, "Tesla V100-SXM2-16GB" → V100, "NVIDIA GeForce RTX
 * 4090" → RTX4090, "NVIDIA RTX A6000" → RTXA6000. Undefined when nothing is left.
 */
export function acceleratorType(name: string): string | undefined {
  const words = name.trim().split(/\s+/).filter((w) => w !== "" && !BRAND_WORDS.has(w.toLowerCase()));
  const first = words[0];
  if (first === undefined) return undefined;
  let model = first.split("-")[0] ?? "";
  const next = words[1];
  if (SERIES_WORDS.has(model.toLowerCase()) && next !== undefined) model += next.split("-")[0] ?? "";
  model = model
    .replace(/[^A-Za-z0-9._-]/g, "")
    .slice(0, 63)
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, "");
  return model === "" ? undefined : model;
}

/** The outcome of running nvidia-smi: its output, or why there is none. */
export type SmiResult = { stdout: string } | { failure: string };

/**
 * Whether an executable `name` is in one of the folders of `PATH`. Looked up first so that a
 * machine without GPUs (no nvidia-smi) does not pay for starting a process at every raylet
 * start.
 */
export function onPath(name: string, pathVar: string | undefined): boolean {
  for (const dir of (pathVar ?? "").split(path.delimiter)) {
    if (dir === "") continue;
    try {
      accessSync(path.join(dir, name), constants.X_OK);
      return true;
    } catch {
      // not in this folder
    }
  }
  return false;
}

/** Runs nvidia-smi with the raylet's environment (its PATH); gives up after `timeoutMs`. */
export function runNvidiaSmi(env: NodeJS.ProcessEnv, timeoutMs: number, clock: Clock = systemClock): Promise<SmiResult> {
  if (!onPath(NVIDIA_SMI, env["PATH"])) return Promise.resolve({ failure: `${NVIDIA_SMI} is not on PATH` });
  return new Promise((resolve) => {
    let settled = false;
    const settle = (r: SmiResult): void => {
      if (settled) return;
      settled = true;
      timer.cancel();
      resolve(r);
    };
    const child = execFile(NVIDIA_SMI, NVIDIA_SMI_ARGS, { env, encoding: "utf8", maxBuffer: 1 << 20, windowsHide: true }, (error, stdout, stderr) => {
      if (error === null) settle({ stdout });
      else settle({ failure: describeFailure(error, stderr) });
    });
    // Our own deadline rather than execFile's: the callback waits for the output pipes to
    // close, which a process left behind by a wrapper script may hold open.
    const timer = clock.setTimeout(() => {
      child.kill("SIGKILL");
      settle({ failure: `${NVIDIA_SMI} did not answer within ${timeoutMs} ms (config gpuDetectionTimeoutMs)` });
    }, timeoutMs);
    timer.unref();
    child.stdin?.end();
  });
}

function describeFailure(error: Error & { code?: string | number | null | undefined }, stderr: string): string {
  if (error.code === "ENOENT") return `${NVIDIA_SMI} is not on PATH`;
  const said = stderr.trim().split("\n")[0]?.slice(0, 200) ?? "";
  const how = typeof error.code === "number" ? `exited with code ${error.code}` : `failed (${error.message.split("\n")[0] ?? ""})`;
  return `${NVIDIA_SMI} ${how}${said === "" ? "" : `: ${said}`}`;
}

/** The node's GPUs from nvidia-smi's answer and the raylet's CUDA_VISIBLE_DEVICES. */
export function gpusFrom(result: SmiResult, cudaVisibleDevices: string | undefined): GpuDetection {
  const parsed = "stdout" in result ? parseNvidiaSmi(result.stdout) : result.failure;
  if (typeof parsed === "string") {
    const reason = "stdout" in result ? `could not read the output of ${NVIDIA_SMI}: ${parsed}` : parsed;
    return { gpuIds: [], acceleratorType: undefined, warning: `GPU detection: ${reason}; this node has 0 GPUs (set them with --num-gpus)` };
  }
  const gpus = visibleGpus(parsed, cudaVisibleDevices);
  const first = gpus[0];
  return { gpuIds: gpus.map((g) => g.index), acceleratorType: first === undefined ? undefined : acceleratorType(first.name), warning: undefined };
}

/** Asks nvidia-smi for the node's GPUs (see gpusFrom). Never rejects. */
export async function detectGpus(env: NodeJS.ProcessEnv, timeoutMs: number, clock: Clock = systemClock): Promise<GpuDetection> {
  return gpusFrom(await runNvidiaSmi(env, timeoutMs, clock), env["CUDA_VISIBLE_DEVICES"]);
}

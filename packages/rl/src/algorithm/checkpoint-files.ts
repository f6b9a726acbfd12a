/**
 * An algorithm checkpoint on disk: `algorithm_state.json` (the format, the algorithm, its
 * config as plain data, its counters, the learner's weights and optimizer state with every
 * array replaced by its place in `arrays.bin`) and `arrays.bin` (the float32 arrays, one
 * after the other).
 */
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { RlCheckpointError } from "lux";

export const FORMAT = "lux-rl-checkpoint/1";
const STATE_FILE = "algorithm_state.json";
const ARRAYS_FILE = "arrays.bin";

interface ArrayPlace {
  $f32: [offset: number, length: number];
}

export interface CheckpointContent {
  format: string;
  algorithm: string;
  [key: string]: unknown;
}

/** Writes `content` (its Float32Arrays to arrays.bin) into `dir`, made if missing. */
export async function writeCheckpoint(dir: string, content: CheckpointContent): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  const arrays: Float32Array[] = [];
  let offset = 0;
  const json = JSON.stringify(content, (_key, value: unknown) => {
    // JSON has no Infinity or NaN (a config's vfClipParam may be Infinity).
    if (typeof value === "number" && !Number.isFinite(value)) return { $num: String(value) };
    if (!(value instanceof Float32Array)) return value;
    const place: ArrayPlace = { $f32: [offset, value.length] };
    arrays.push(value);
    offset += value.length;
    return place;
  });
  const bin = new Float32Array(offset);
  let at = 0;
  for (const a of arrays) {
    bin.set(a, at);
    at += a.length;
  }
  await fs.writeFile(path.join(dir, ARRAYS_FILE), new Uint8Array(bin.buffer));
  // The state file last: a folder with it is complete.
  await fs.writeFile(path.join(dir, STATE_FILE), json);
}

/** Reads a checkpoint written by `writeCheckpoint`; a folder that is not one is `RlCheckpointError`. */
export async function readCheckpoint(dir: string): Promise<CheckpointContent> {
  let json: string;
  let bytes: Buffer;
  try {
    json = await fs.readFile(path.join(dir, STATE_FILE), "utf8");
    bytes = await fs.readFile(path.join(dir, ARRAYS_FILE));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new RlCheckpointError({ path: dir, problem: code === "ENOENT" ? `it has no ${STATE_FILE} and ${ARRAYS_FILE} (give the folder algo.save() wrote)` : String(e), cause: e });
  }
  const bin = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const content = JSON.parse(json, (_key, value: unknown) => {
    if (typeof value !== "object" || value === null) return value;
    if ("$num" in value) return Number((value as { $num: string }).$num);
    const place = (value as Partial<ArrayPlace>).$f32;
    if (place === undefined) return value;
    return bin.slice(place[0], place[0] + place[1]);
  }) as CheckpointContent;
  if (content.format !== FORMAT) throw new RlCheckpointError({ path: dir, problem: `its format is ${JSON.stringify(content.format)}, not ${FORMAT}` });
  return content;
}

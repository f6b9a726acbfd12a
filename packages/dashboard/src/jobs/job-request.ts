/**
 * Checks the body of `POST /api/jobs` field by field: InvalidJobRequestError names the first
 * bad field (`entrypoint`, `metadata.owner`, `entrypointResources.TPU`, …). The runtime env's
 * own fields are checked by `lux` when the supervisor actor's options are made (job-manager.ts).
 */
import { InvalidJobRequestError } from "@lux/common";
import type { JobRuntimeEnv } from "lux/job";

export interface CheckedSubmission {
  entrypoint: string;
  submissionId: string | undefined;
  runtimeEnv: JobRuntimeEnv;
  metadata: Record<string, string>;
  entrypointNumCpus: number;
  entrypointNumGpus: number;
  entrypointResources: Record<string, number>;
}

const FIELDS = ["entrypoint", "submissionId", "runtimeEnv", "metadata", "entrypointNumCpus", "entrypointNumGpus", "entrypointResources"];
export const SUBMISSION_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

function bad(field: string, reason: string): never {
  throw new InvalidJobRequestError({ field, reason });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function checkSubmission(body: unknown): CheckedSubmission {
  if (!isObject(body)) bad("body", "a JSON object { entrypoint, submissionId?, runtimeEnv?, metadata?, entrypointNumCpus?, entrypointNumGpus?, entrypointResources? }");
  for (const key of Object.keys(body)) {
    if (!FIELDS.includes(key)) bad(key, `unknown field; the fields are ${FIELDS.join(", ")}`);
  }
  return {
    entrypoint: entrypointOf(body["entrypoint"]),
    submissionId: submissionIdOf(body["submissionId"]),
    runtimeEnv: runtimeEnvOf(body["runtimeEnv"]),
    metadata: metadataOf(body["metadata"]),
    entrypointNumCpus: amount("entrypointNumCpus", body["entrypointNumCpus"]),
    entrypointNumGpus: amount("entrypointNumGpus", body["entrypointNumGpus"]),
    entrypointResources: resourcesOf(body["entrypointResources"]),
  };
}

function entrypointOf(v: unknown): string {
  if (v === undefined) bad("entrypoint", "required: the shell command to run, e.g. \"node main.mjs\"");
  if (typeof v !== "string") bad("entrypoint", `a string (a shell command line), got ${typeName(v)}`);
  if (v.trim() === "") bad("entrypoint", "must not be empty");
  return v;
}

function submissionIdOf(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") bad("submissionId", `a string, got ${typeName(v)}`);
  if (!SUBMISSION_ID.test(v)) bad("submissionId", "1 to 128 letters, digits and . _ : -, starting with a letter or digit");
  return v;
}

function runtimeEnvOf(v: unknown): JobRuntimeEnv {
  if (v === undefined || v === null) return {};
  if (!isObject(v)) bad("runtimeEnv", `an object (see docs/runtime-env.md), got ${typeName(v)}`);
  const dir = v["workingDir"];
  if (typeof dir === "string" && !dir.startsWith("/")) {
    bad("runtimeEnv.workingDir", "an absolute path of a directory on the head's machine (`lux job submit --working-dir` makes a relative one absolute)");
  }
  return v as JobRuntimeEnv;
}

function metadataOf(v: unknown): Record<string, string> {
  if (v === undefined || v === null) return {};
  if (!isObject(v)) bad("metadata", `an object of string values, got ${typeName(v)}`);
  for (const [k, value] of Object.entries(v)) {
    if (typeof value !== "string") bad(`metadata.${k}`, `a string, got ${typeName(value)}`);
  }
  return v as Record<string, string>;
}

function amount(field: string, v: unknown): number {
  if (v === undefined || v === null) return 0;
  if (typeof v !== "number" || !Number.isFinite(v)) bad(field, `a number, got ${typeName(v)}`);
  if (v < 0) bad(field, `must be >= 0, got ${v}`);
  return v;
}

function resourcesOf(v: unknown): Record<string, number> {
  if (v === undefined || v === null) return {};
  if (!isObject(v)) bad("entrypointResources", `an object of resource name to amount, got ${typeName(v)}`);
  for (const [k, value] of Object.entries(v)) {
    if (k === "CPU" || k === "GPU") bad(`entrypointResources.${k}`, `use entrypointNum${k === "CPU" ? "Cpus" : "Gpus"}`);
    amount(`entrypointResources.${k}`, value);
  }
  return v as Record<string, number>;
}

function typeName(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  return typeof v === "object" ? "an object" : `${typeof v} ${JSON.stringify(v)}`;
}

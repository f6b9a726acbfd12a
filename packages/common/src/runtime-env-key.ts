import { createHash } from "node:crypto";
import type { RuntimeEnvSpec } from "@lux/protocol";

/**
 * A stable key of a runtime env ("" for none): owners group leases by it and raylets pool
 * workers by job and this key, so workers of different runtime envs are never shared.
 */
export function runtimeEnvKey(spec: RuntimeEnvSpec | undefined): string {
  if (spec === undefined) return "";
  const env = Object.entries(spec.envVars).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return createHash("sha256")
    .update(JSON.stringify([spec.packageHash ?? "", spec.workingDirUrl ?? "", env]))
    .digest("hex")
    .slice(0, 16);
}

import { createHash } from "node:crypto";
import type { RuntimeEnvSpec } from "@lux/protocol";

/**
 * A stable key of a runtime env ("" for none): owners group leases by it and raylets pool
 * workers by job and this key, so workers of different runtime envs are never shared.
 */
export function runtimeEnvKey(spec: RuntimeEnvSpec | undefined): string {
  if (spec === undefined) return "";
  const env = Object.entries(spec.envVars).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const parts: unknown[] = [spec.packageHash ?? "", spec.workingDirUrl ?? "", env];
  // Workers of different npm envs resolve different packages; the order of the specs does not matter.
  if (spec.npm !== undefined && spec.npm.length > 0) parts.push([...spec.npm].sort(), spec.npmAllowScripts === true);
  // Not a difference between workers, but owners group lease requests by this key, and each
  // request carries the setup deadline of the first task of its group.
  if (spec.setupTimeoutMs !== undefined) parts.push(spec.setupTimeoutMs);
  return createHash("sha256")
    .update(JSON.stringify(parts))
    .digest("hex")
    .slice(0, 16);
}

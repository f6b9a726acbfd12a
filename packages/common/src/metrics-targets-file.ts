import * as path from "node:path";

/**
 * Where a session's raylets list their Prometheus scrape targets (`file_sd` JSON), for
 * Prometheus' `file_sd_configs`: `<session dir>/metrics/targets.json`.
 */
export function metricsTargetsFile(sessionDir: string): string {
  return path.join(sessionDir, "metrics", "targets.json");
}

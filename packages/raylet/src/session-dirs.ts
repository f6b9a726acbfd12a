/** Where a raylet keeps its session's files: worker sockets and logs. */
import * as fs from "node:fs";
import * as path from "node:path";

/**
 * A directory for workers' Unix sockets, if the session dir leaves room for their paths. Only
 * the cluster's user may open it (0700, even if it existed): the sockets are plaintext (TLS
 * covers TCP only), so other users of the machine must not reach them.
 */
export function socketDir(sessionDir: string): string | undefined {
  const dir = path.join(sessionDir, "sock");
  if (dir.length > 80) return undefined; // a socket path must stay under ~100 bytes
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.chmodSync(dir, 0o700);
  return dir;
}

/** The session's logs folder (created if missing). */
export function logDir(sessionDir: string): string {
  const dir = path.join(sessionDir, "logs");
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/**
 * Where objects were created (config recordRefCreationSites, LUX_RECORD_REF_CREATION_SITES=1):
 * the first frame outside Lux of the stack of `put` or `.remote()`, kept by the owner until
 * the object is freed, and shown by `lux memory` and the state API's objects (`callSite`).
 * A stack trace per object is too dear for production, so it is off by default.
 */
import * as path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * This package's code (dist/, or src/ through source maps): its frames are not call sites.
 * Installed, Lux's packages are under node_modules/@lux/.
 */
const PACKAGE_DIR = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const OWN_DIRS = [path.join(PACKAGE_DIR, "dist") + path.sep, path.join(PACKAGE_DIR, "src") + path.sep];

export class CallSites {
  private readonly sites = new Map<string, string>();

  /** Records the caller's site for each object (not again for a task run again to rebuild its results). */
  record(objectIds: readonly string[]): void {
    if (objectIds.length === 0 || this.sites.has(objectIds[0] as string)) return;
    const site = callerSite(new Error().stack ?? "");
    for (const id of objectIds) this.sites.set(id, site);
  }

  get(objectId: string): string | null {
    return this.sites.get(objectId) ?? null;
  }

  forget(objectId: string): void {
    this.sites.delete(objectId);
  }
}

/** The first frame of `stack` outside Lux and Node's internals, as "function (file:line:column)" or "file:line:column". */
export function callerSite(stack: string, ownDirs: readonly string[] = OWN_DIRS): string {
  for (const line of stack.split("\n").slice(1)) {
    const frame = line.trim().replace(/^at /, "");
    if (ownDirs.some((d) => frame.includes(d)) || frame.includes("node:") || /\(?(<anonymous>|native)\)?$/.test(frame) || frame.includes("/@lux/")) continue;
    return frame.replace(/file:\/\//g, "");
  }
  return "(unknown)";
}

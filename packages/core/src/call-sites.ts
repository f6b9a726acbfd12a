/**
 * Where objects were created (config recordRefCreationSites, LUX_RECORD_REF_CREATION_SITES=1):
 * the first frame outside Lux of the stack of `put` or `.remote()`, kept by the owner until
 * the object is freed, and shown by `lux memory` and the state API's objects (`callSite`).
 * A stack trace per object is too dear for production, so it is off by default.
 */
import * as path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * This package's folder: its frames (in dist/, or in src/ through source maps) are not call
 * sites. Installed, Lux's packages are under node_modules/@lux/.
 */
const OWN_DIR = `${path.dirname(path.dirname(fileURLToPath(import.meta.url)))}${path.sep}`;

export class CallSites {
  private readonly sites = new Map<string, string>();

  /** Records the caller's site for each object. */
  record(objectIds: readonly string[]): void {
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
export function callerSite(stack: string, ownDir: string = OWN_DIR): string {
  for (const line of stack.split("\n").slice(1)) {
    const frame = line.trim().replace(/^at /, "");
    if (frame.includes(ownDir) || frame.includes("node:") || frame.includes("/@lux/") || frame.includes("/packages/lux/dist/")) continue;
    return frame.replace(/file:\/\//g, "");
  }
  return "(unknown)";
}

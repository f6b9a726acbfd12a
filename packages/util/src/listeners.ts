/**
 * `lux.util.listeners`: network addresses a library or an application opened on the
 * cluster's nodes (e.g. @lux/serve's HTTP proxy), registered so that `lux status
 * --listeners` lists them beside Lux's own. Kept in the control service's KV; an entry is
 * listed while the process that registered it lives.
 */
import { getRuntimeContext } from "@lux/core";
import { LISTENERS_KV_NAMESPACE, type RegisteredListener } from "@lux/protocol";
import { kvDel, kvGet, kvKeys, kvPut } from "@lux/core/internal";

export type { RegisteredListener };

/** A registration: `remove()` takes it back (e.g. when the server closes). */
export interface ListenerRegistration {
  remove(): Promise<void>;
}

/**
 * Registers `address` (HOST:PORT or a URL) as listened on by this process, described by
 * `what` (e.g. "serve: HTTP proxy").
 */
export async function register(what: string, address: string): Promise<ListenerRegistration> {
  if (typeof what !== "string" || what === "") throw new TypeError(`lux.util.listeners.register() takes a non-empty description, got ${JSON.stringify(what)}`);
  if (typeof address !== "string" || address === "") throw new TypeError(`lux.util.listeners.register() takes a non-empty address, got ${JSON.stringify(address)}`);
  const { nodeId } = getRuntimeContext();
  const entry: RegisteredListener = { nodeId, what, address, pid: process.pid };
  const key = `${nodeId}/${process.pid}/${what}`;
  await kvPut(key, JSON.stringify(entry), { namespace: LISTENERS_KV_NAMESPACE });
  return {
    async remove() {
      await kvDel(key, { namespace: LISTENERS_KV_NAMESPACE });
    },
  };
}

/** Every registered listener (of processes alive or not). */
export async function list(): Promise<RegisteredListener[]> {
  const keys = await kvKeys("", { namespace: LISTENERS_KV_NAMESPACE });
  const values = await Promise.all(keys.map((k) => kvGet(k, { namespace: LISTENERS_KV_NAMESPACE })));
  const out: RegisteredListener[] = [];
  for (const v of values) {
    if (v === undefined) continue;
    try {
      out.push(JSON.parse(Buffer.from(v).toString("utf8")) as RegisteredListener);
    } catch {
      // Not written by register(): skipped.
    }
  }
  return out;
}

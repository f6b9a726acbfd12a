/**
 * The controller's state in the control service's KV store (namespace "serve"): the http
 * options, each application's spec and each deployment's target and replicas (by name). A
 * restarted controller reads it back and finds its replicas and proxies again; with Redis
 * storage it survives a restart of the control service too.
 */
import { deserialize, serialize } from "node:v8";
import * as lux from "lux";
import type { SavedReplica } from "./replica-record.js";
import { SERVE_NAMESPACE, type AppSpec, type CompiledHttpOptions } from "./specs.js";

const KEY = "serve:controller-state";

export interface SavedDeployment {
  name: string;
  target: number;
  replicas: SavedReplica[];
}

export interface SavedApp {
  spec: AppSpec;
  deleting: boolean;
  lastDeployedAt: number;
  deployments: SavedDeployment[];
}

export interface SavedState {
  http: CompiledHttpOptions;
  apps: SavedApp[];
}

export async function loadCheckpoint(): Promise<SavedState | undefined> {
  const bytes = await lux.util.kv.get(KEY, { namespace: SERVE_NAMESPACE });
  if (bytes === undefined) return undefined;
  return deserialize(bytes) as SavedState;
}

export async function saveCheckpoint(state: SavedState): Promise<void> {
  await lux.util.kv.put(KEY, serialize(state), { namespace: SERVE_NAMESPACE });
}

export async function clearCheckpoint(): Promise<void> {
  await lux.util.kv.del(KEY, { namespace: SERVE_NAMESPACE });
}

/**
 * Constructor arguments and userConfig must survive a controller restart: values Node's
 * structured clone keeps (plain data, typed arrays, Maps, Dates; not functions or class
 * instances' classes). Throws a TypeError naming the argument otherwise.
 */
export function checkStorable(value: unknown, what: string): void {
  try {
    serialize(value);
  } catch (e) {
    throw new TypeError(`${what} cannot be stored for the controller's restarts (${(e as Error).message}); give plain data (objects, arrays, numbers, strings, typed arrays)`);
  }
}

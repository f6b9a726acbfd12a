/** `lux.requestResources()`: a standing request the autoscaler keeps the cluster large enough for. */
import { AUTOSCALER_REQUEST_KEY, InvalidOptionError, type AutoscalerRequest } from "@lux/common";
import { clusterLost, requireCore } from "./api.js";

/** What `lux.requestResources()` asks the cluster to be able to hold, at once. */
export interface ResourceRequest {
  /** CPUs in all, each one a bundle `{ CPU: 1 }`. */
  numCpus?: number;
  /** Bundles that must fit at once, each on one node, e.g. `[{ GPU: 1, CPU: 4 }, { GPU: 1, CPU: 4 }]`. */
  bundles?: Record<string, number>[];
}

/**
 * Asks the autoscaler to make the cluster able to hold these resources at once (and to keep
 * it so: nodes they need are not scaled down), whatever the tasks ask for. Each call replaces
 * the previous request; `{}` clears it. Without an autoscaler (a cluster not started with
 * `lux up` or `--autoscaling-config`) the request is kept and has no effect.
 *
 * @example
 * ```ts
 * await lux.requestResources({ numCpus: 16 });            // 16 CPUs, in any nodes
 * await lux.requestResources({ bundles: [{ GPU: 1 }] });  // replaces it: one GPU
 * await lux.requestResources({});                          // no request
 * ```
 */
export async function requestResources(request: ResourceRequest): Promise<void> {
  const bundles = checkRequest(request);
  const c = requireCore("lux.requestResources");
  if (bundles.length === 0) {
    await c.gcs.call("kvDel", { key: AUTOSCALER_REQUEST_KEY }).catch(clusterLost(c));
    return;
  }
  const body: AutoscalerRequest = { bundles, requestedAtMs: Date.now() };
  await c.gcs.call("kvPut", { key: AUTOSCALER_REQUEST_KEY, value: Buffer.from(JSON.stringify(body)), overwrite: true }).catch(clusterLost(c));
}

function checkRequest(request: ResourceRequest): Record<string, number>[] {
  if (request === null || typeof request !== "object") throw new InvalidOptionError({ option: "request", expected: "an object { numCpus?, bundles? }", received: request });
  for (const key of Object.keys(request)) {
    if (key !== "numCpus" && key !== "bundles") throw new InvalidOptionError({ option: key, expected: "numCpus or bundles" });
  }
  const { numCpus = 0, bundles = [] } = request;
  if (!Number.isSafeInteger(numCpus) || numCpus < 0) throw new InvalidOptionError({ option: "numCpus", expected: "a whole number >= 0", received: numCpus });
  if (!Array.isArray(bundles)) throw new InvalidOptionError({ option: "bundles", expected: "an array of resource objects such as { CPU: 1 }", received: bundles });
  const out: Record<string, number>[] = [];
  for (const [i, b] of bundles.entries()) {
    if (b === null || typeof b !== "object" || Array.isArray(b) || Object.keys(b).length === 0) {
      throw new InvalidOptionError({ option: `bundles[${i}]`, expected: "a non-empty object of resource amounts such as { CPU: 1 }", received: b });
    }
    for (const [name, amount] of Object.entries(b)) {
      if (typeof amount !== "number" || !Number.isFinite(amount) || amount < 0) throw new InvalidOptionError({ option: `bundles[${i}].${name}`, expected: "a number >= 0", received: amount });
    }
    out.push({ ...b });
  }
  for (let i = 0; i < numCpus; i++) out.push({ CPU: 1 });
  return out;
}

/**
 * Errors of `@lux/serve` (declared here with the others, so they cross the wire from the
 * controller, proxies and replicas and come back as their class): each names the
 * deployment, application, field or lengths that were wrong.
 */
import { defineError } from "@lux/protocol";

/** A deployment's queue is full: more requests are waiting for a replica than `maxQueuedRequests` allows. */
export const BackPressureError = defineError(
  "LUX_SERVE_BACK_PRESSURE",
  "BackPressureError",
  (f: { readonly app: string; readonly deployment: string; readonly maxQueuedRequests: number }) =>
    `deployment "${f.deployment}" of application "${f.app}" has ${f.maxQueuedRequests} request${f.maxQueuedRequests === 1 ? "" : "s"} ` +
    "waiting for a replica already (maxQueuedRequests); this one was refused. Retry later, add replicas (numReplicas, " +
    "autoscalingConfig.maxReplicas), or raise maxQueuedRequests (-1: no limit).",
);
export type BackPressureError = InstanceType<typeof BackPressureError>;

/** A deployment could not start its replicas (its constructor threw, its options cannot be met, …). */
export const DeploymentFailedError = defineError(
  "LUX_SERVE_DEPLOYMENT_FAILED",
  "DeploymentFailedError",
  (f: { readonly app: string; readonly deployment: string; readonly reason: string }) =>
    `application "${f.app}" failed to deploy: deployment "${f.deployment}": ${f.reason}. Fix it and deploy again ` +
    "(serve.status() keeps the message).",
);
export type DeploymentFailedError = InstanceType<typeof DeploymentFailedError>;

/** A serve config (YAML file, or what `serve deploy` was given) is invalid: the field's path says where. */
export const InvalidServeConfigError = defineError(
  "LUX_SERVE_INVALID_CONFIG",
  "InvalidServeConfigError",
  (f: { readonly file?: string; readonly path: string; readonly line?: number; readonly problem: string }) =>
    `${f.file !== undefined ? `${f.file}: ` : ""}${f.path}${f.line !== undefined ? ` (line ${f.line})` : ""}: ${f.problem}`,
);
export type InvalidServeConfigError = InstanceType<typeof InvalidServeConfigError>;

/** A `serve.batch` function returned a different number of results than it was given inputs. */
export const BatchSizeMismatchError = defineError(
  "LUX_SERVE_BATCH_SIZE_MISMATCH",
  "BatchSizeMismatchError",
  (f: { readonly functionName: string; readonly inputs: number; readonly outputs: number }) =>
    `batch function ${f.functionName} was given ${f.inputs} input${f.inputs === 1 ? "" : "s"} and returned ${f.outputs} ` +
    "result" + (f.outputs === 1 ? "" : "s") + ": it must return one result per input, in order.",
);
export type BatchSizeMismatchError = InstanceType<typeof BatchSizeMismatchError>;

/** No running application (or deployment of it) has the name asked for. */
export const ApplicationNotFoundError = defineError(
  "LUX_SERVE_APP_NOT_FOUND",
  "ApplicationNotFoundError",
  (f: { readonly app: string; readonly deployment?: string; readonly known: readonly string[] }) =>
    (f.deployment !== undefined
      ? `application "${f.app}" has no deployment "${f.deployment}"`
      : `no application "${f.app}" is deployed`) +
    `; ${f.deployment !== undefined ? "its deployments" : "the applications"} are ${f.known.map((k) => `"${k}"`).join(", ") || "(none)"}.`,
);
export type ApplicationNotFoundError = InstanceType<typeof ApplicationNotFoundError>;

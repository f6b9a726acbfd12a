/**
 * The Kubernetes calls the provider makes (@kubernetes/client-node 1.4.0), each retried with
 * backoff while the API answers 429 or 5xx (or cannot be reached), its other errors reported
 * as NodeProviderError with the status and the API's message (403: forbidden or over quota;
 * 422: an invalid pod). A 409 on create is for the caller to take as "already created".
 */
import * as fs from "node:fs";
import * as k8s from "@kubernetes/client-node";
import { NodeProviderError, createLogger } from "@lux/common";
import { sleep, systemClock, type Clock } from "@lux/protocol";

const log = createLogger("autoscaler");

const IN_CLUSTER_NAMESPACE = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";

export interface KubeApiOptions {
  /** Default: the kubeconfig context's namespace (KUBECONFIG or ~/.kube/config), or the pod's service account's. */
  namespace?: string;
  clock?: Clock;
  /** Attempts of a call that meets 429 or 5xx (default 6). */
  attempts?: number;
  /** The first retry's delay; each next one doubles (default 200 ms, at most 5 s). */
  retryDelayMs?: number;
}

/** The status of a failed call (0: no answer). */
export function statusOf(e: unknown): number {
  return e instanceof k8s.ApiException ? e.code : 0;
}

/** The API's own message in a failed call's Status body. */
function messageOf(e: unknown): string {
  if (e instanceof k8s.ApiException) {
    try {
      const body = typeof e.body === "string" ? (JSON.parse(e.body) as { message?: string }) : (e.body as { message?: string });
      if (body?.message !== undefined) return body.message;
    } catch {
      // not JSON: the text itself
    }
    return String(e.body ?? e.message);
  }
  return (e as Error).message;
}

const retriable = (status: number): boolean => status === 0 || status === 429 || status >= 500;

export class KubeApi {
  readonly namespace: string;
  readonly config: k8s.KubeConfig;
  private readonly core: k8s.CoreV1Api;
  private readonly clock: Clock;
  private closed = false;

  constructor(private readonly options: KubeApiOptions = {}) {
    this.config = new k8s.KubeConfig();
    this.config.loadFromDefault();
    this.core = this.config.makeApiClient(k8s.CoreV1Api);
    this.clock = options.clock ?? systemClock;
    this.namespace = options.namespace ?? this.config.getContextObject(this.config.getCurrentContext())?.namespace ?? inClusterNamespace() ?? "default";
  }

  /** Runs `call`, again after 429/5xx with backoff; a failure it keeps or another status is a NodeProviderError. */
  async call<T>(operation: string, call: () => Promise<T>, accept: readonly number[] = []): Promise<T | { status: number }> {
    const attempts = this.options.attempts ?? 6;
    let delay = this.options.retryDelayMs ?? 200;
    for (let attempt = 1; ; attempt++) {
      try {
        return await call();
      } catch (e) {
        const status = statusOf(e);
        if (accept.includes(status)) return { status };
        if (!retriable(status) || attempt >= attempts || this.closed) {
          const tried = retriable(status) ? ` (after ${attempt} attempts)` : "";
          throw new NodeProviderError({ provider: "kubernetes", operation, ...(status !== 0 ? { status } : {}), reason: `${messageOf(e)}${tried}`, cause: e as Error });
        }
        log.warn(`kubernetes: ${operation} answered ${status === 0 ? messageOf(e) : status}; trying again in ${delay} ms`);
        await sleep(this.clock, delay);
        delay = Math.min(delay * 2, 5000);
      }
    }
  }

  /** Calls under way stop retrying. */
  close(): void {
    this.closed = true;
  }

  createPod(body: k8s.V1Pod): Promise<k8s.V1Pod | { status: number }> {
    return this.call(`create pod ${body.metadata?.name ?? ""}`, () => this.core.createNamespacedPod({ namespace: this.namespace, body }), [409]);
  }

  readPod(name: string): Promise<k8s.V1Pod | { status: number }> {
    return this.call(`read pod ${name}`, () => this.core.readNamespacedPod({ namespace: this.namespace, name }), [404]);
  }

  deletePod(name: string): Promise<unknown> {
    return this.call(`delete pod ${name}`, () => this.core.deleteNamespacedPod({ namespace: this.namespace, name }), [404]);
  }

  async listPods(labelSelector: string): Promise<k8s.V1PodList> {
    return (await this.call("list pods", () => this.core.listNamespacedPod({ namespace: this.namespace, labelSelector }))) as k8s.V1PodList;
  }

  readSecret(name: string): Promise<k8s.V1Secret | { status: number }> {
    return this.call(`read secret ${name}`, () => this.core.readNamespacedSecret({ namespace: this.namespace, name }), [403, 404]);
  }

  createSecret(body: k8s.V1Secret): Promise<k8s.V1Secret | { status: number }> {
    return this.call(`create secret ${body.metadata?.name ?? ""}`, () => this.core.createNamespacedSecret({ namespace: this.namespace, body }), [409]);
  }

  /** Watches the pods of a selector from `resourceVersion`; `done` runs when the watch ends (the caller lists and watches again). */
  watchPods(labelSelector: string, resourceVersion: string | undefined, onEvent: (type: string, pod: k8s.V1Pod) => void, done: (error: unknown) => void): Promise<AbortController> {
    return new k8s.Watch(this.config).watch(
      `/api/v1/namespaces/${this.namespace}/pods`,
      { labelSelector, ...(resourceVersion !== undefined ? { resourceVersion } : {}), allowWatchBookmarks: true },
      (type, obj) => onEvent(type, obj as k8s.V1Pod),
      done,
    );
  }
}

function inClusterNamespace(): string | undefined {
  try {
    return fs.readFileSync(IN_CLUSTER_NAMESPACE, "utf8").trim() || undefined;
  } catch {
    return undefined;
  }
}

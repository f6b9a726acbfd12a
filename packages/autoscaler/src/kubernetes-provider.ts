/**
 * The `kubernetes` provider: each node is a pod (pod-template.ts) in the cluster's namespace.
 * It keeps the cluster's pods in a cache fed by a list and a watch (listed again when the
 * watch ends), so nonTerminatedNodes answers from what it saw last, and a pod it created is
 * in the cache at once. A pod being deleted, or that Succeeded or Failed, is terminated; a
 * Failed pod's reason is kept (failureOf) and the pod deleted. Creating a pod that exists (409)
 * counts as created; 429 and 5xx are retried (kube-api.ts); 403 and 422 are reported.
 */
import { randomBytes } from "node:crypto";
import type { V1Pod } from "@kubernetes/client-node";
import { NodeProviderError, createLogger } from "@lux/common";
import { sleep, systemClock, type Clock } from "@lux/protocol";
import type { NodeTypeConfig } from "./cluster-config.js";
import { KubeApi, type KubeApiOptions } from "./kube-api.js";
import { TAG_CLUSTER, tagsMatch, type NodeProvider, type NodeTags } from "./node-provider.js";
import { TOKEN_SECRET_KEY, tokenSecretName, workerPod } from "./pod-template.js";

const log = createLogger("autoscaler");

export interface KubernetesProviderOptions extends KubeApiOptions {
  clusterName: string;
  /** The control service as pods reach it. */
  gcsAddress: string;
  /** The cluster token, for the Secret when it is missing. */
  token: string;
  nodeTypes: Readonly<Record<string, NodeTypeConfig>>;
  /** Make the token Secret when it is missing (default true; false to only list and end pods). */
  tokenSecret?: boolean;
}

const isGone = (pod: V1Pod): boolean => pod.metadata?.deletionTimestamp !== undefined || pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed";

export class KubernetesNodeProvider implements NodeProvider {
  private readonly pods = new Map<string, V1Pod>();
  private readonly failures = new Map<string, string>();
  private watch: AbortController | undefined;
  private closed = false;
  private readonly clock: Clock;
  private readonly selector: string;

  private constructor(
    private readonly api: KubeApi,
    private readonly options: KubernetesProviderOptions,
  ) {
    this.clock = options.clock ?? systemClock;
    this.selector = `${TAG_CLUSTER}=${options.clusterName}`;
  }

  /** Connects (kubeconfig, or the pod's service account), makes sure of the token Secret, lists and watches the cluster's pods. */
  static async create(options: KubernetesProviderOptions): Promise<KubernetesNodeProvider> {
    const provider = new KubernetesNodeProvider(new KubeApi(options), options);
    if (options.tokenSecret !== false) await provider.ensureTokenSecret();
    await provider.relist();
    return provider;
  }

  get namespace(): string {
    return this.api.namespace;
  }

  private async ensureTokenSecret(): Promise<void> {
    const name = tokenSecretName(this.options.clusterName);
    const found = await this.api.readSecret(name);
    if ("status" in found && found.status === 403) {
      // The Role of deploy/kubernetes allows pods only: its Secret is made by the manifests.
      log.info(`kubernetes: cannot read secret ${name} (forbidden); taking it that it exists, as deploy/kubernetes makes it`);
      return;
    }
    if (!("status" in found && found.status === 404)) return;
    await this.api.createSecret({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name, labels: { [TAG_CLUSTER]: this.options.clusterName } },
      type: "Opaque",
      data: { [TOKEN_SECRET_KEY]: Buffer.from(this.options.token).toString("base64") },
    });
    log.info(`kubernetes: created secret ${name} in namespace ${this.namespace}`);
  }

  /** Lists the cluster's pods, then watches from there; the watch ending (or failing) lists again. */
  private async relist(): Promise<void> {
    const list = await this.api.listPods(this.selector);
    this.pods.clear();
    for (const pod of list.items) this.seen("ADDED", pod);
    this.watch = await this.api.watchPods(this.selector, list.metadata?.resourceVersion, (type, pod) => this.seen(type, pod), (error) => this.watchEnded(error));
  }

  private watchEnded(error: unknown): void {
    if (this.closed) return;
    if (error !== null && error !== undefined) log.warn(`kubernetes: the watch of pods ended (${(error as Error).message ?? String(error)}); listing again`);
    const again = async (): Promise<void> => {
      for (let delay = 500; !this.closed; delay = Math.min(delay * 2, 10_000)) {
        try {
          await this.relist();
          return;
        } catch (e) {
          log.warn(`kubernetes: listing pods failed (${(e as Error).message}); again in ${delay} ms`);
          await sleep(this.clock, delay);
        }
      }
    };
    again().catch(() => undefined); // it logs its own failures and retries until closed
  }

  private seen(type: string, pod: V1Pod): void {
    const name = pod.metadata?.name;
    if (name === undefined || type === "BOOKMARK" || type === "ERROR") return;
    if (type === "DELETED") {
      this.pods.delete(name);
      return;
    }
    this.pods.set(name, pod);
    if (pod.status?.phase === "Failed" && pod.metadata?.deletionTimestamp === undefined && !this.failures.has(name)) {
      const reason = pod.status.message ?? pod.status.reason ?? "the pod failed";
      this.failures.set(name, `pod ${name} failed: ${reason}`);
      // A node that failed does not come back (restartPolicy Never): its pod goes.
      this.api.deletePod(name).catch((e: unknown) => log.warn(`kubernetes: deleting failed pod ${name}: ${(e as Error).message}`));
    }
  }

  async createNodes(nodeType: string, count: number, tags: NodeTags): Promise<string[]> {
    const type = this.options.nodeTypes[nodeType];
    if (type === undefined) throw new NodeProviderError({ provider: "kubernetes", operation: `create ${nodeType} pods`, reason: "no such node type" });
    const names: string[] = [];
    for (let i = 0; i < count; i++) {
      const name = `${this.options.clusterName}-${nodeType}-${randomBytes(3).toString("hex")}`;
      const body = workerPod({ clusterName: this.options.clusterName, name, type, gcsAddress: this.options.gcsAddress, tags });
      const created = await this.api.createPod(body);
      if ("status" in created && typeof created.status === "number") {
        // 409: a first attempt made it (its reply was lost): it is ours all the same.
        const pod = await this.api.readPod(name);
        if (!("status" in pod && typeof pod.status === "number")) this.pods.set(name, pod as V1Pod);
        else this.pods.set(name, body);
      } else this.pods.set(name, created as V1Pod);
      names.push(name);
    }
    return names;
  }

  async terminateNodes(ids: readonly string[]): Promise<void> {
    await Promise.all(ids.map((id) => this.api.deletePod(id)));
    for (const id of ids) {
      const pod = this.pods.get(id);
      if (pod?.metadata !== undefined) pod.metadata.deletionTimestamp = new Date();
    }
  }

  nonTerminatedNodes(tagFilter: NodeTags): Promise<string[]> {
    const out: string[] = [];
    for (const [name, pod] of this.pods) if (!isGone(pod) && tagsMatch(pod.metadata?.labels ?? {}, tagFilter)) out.push(name);
    return Promise.resolve(out);
  }

  nodeTags(id: string): Promise<NodeTags> {
    return Promise.resolve({ ...this.pods.get(id)?.metadata?.labels });
  }

  internalIp(id: string): Promise<string | undefined> {
    return Promise.resolve(this.pods.get(id)?.status?.podIP);
  }

  failureOf(id: string): string | undefined {
    return this.failures.get(id);
  }

  close(): Promise<void> {
    this.closed = true;
    this.watch?.abort();
    this.api.close();
    return Promise.resolve();
  }
}

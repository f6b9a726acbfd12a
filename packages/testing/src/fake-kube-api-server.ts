/**
 * A fake Kubernetes API server on loopback, for tests of what talks to Kubernetes (the
 * autoscaler's kubernetes provider, through @kubernetes/client-node). It serves the pod and
 * secret endpoints: create, get, list (by labelSelector), watch, delete and a pod's status, with
 * errors a test injects; its kubelet (fake-kubelet.ts) runs each pod's command as a local
 * process and sets the pod Running or Failed, so a created pod really becomes a Lux node.
 *
 * @example
 * ```ts
 * await using k = await FakeKubeApiServer.start();
 * k.injectError({ verb: "create", resource: "pods", status: 409, times: 1 });
 * // KUBECONFIG=k.kubeconfigPath … ; k.requests lists what it served
 * ```
 */
import { randomBytes, randomUUID } from "node:crypto";
import * as fs from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { FakeKubelet, podKey, type FakePod } from "./fake-kubelet.js";
import { selectorMatches, statusBody, type Watcher } from "./kube-api-helpers.js";

export type KubeVerb = "create" | "get" | "list" | "watch" | "delete";
export type KubeResource = "pods" | "secrets";

/** One request the server answered. */
export interface KubeRequest {
  verb: KubeVerb;
  resource: KubeResource;
  namespace: string;
  name?: string;
  /** `status` for a pod's status endpoint. */
  subresource?: string;
  labelSelector?: string;
  status: number;
}

export interface InjectedError {
  verb: KubeVerb;
  resource: KubeResource;
  /** The HTTP status answered. An injected 409 on create still creates the object, as a first attempt whose reply was lost would have. */
  status: number;
  /** How many matching requests get it (default 1). */
  times?: number;
}

export interface FakeKubeApiServerOptions {
  /** The kubeconfig context's namespace (default "default"). */
  namespace?: string;
  /** Local commands for container executables (default: `lux` is the lux package's command). */
  executables?: Record<string, string[]>;
  /** How long a deleted pod's process has after SIGTERM (default 10 s). */
  terminationGraceMs?: number;
}

interface Secret {
  metadata: { name: string; namespace: string; resourceVersion?: string; [k: string]: unknown };
  data?: Record<string, string>;
  [k: string]: unknown;
}

export class FakeKubeApiServer {
  /** Every request answered, in order. */
  readonly requests: KubeRequest[] = [];
  private readonly pods = new Map<string, FakePod>();
  private readonly secrets = new Map<string, Secret>();
  private readonly injected: (InjectedError & { left: number })[] = [];
  private readonly watchers = new Set<Watcher>();
  private readonly kubelet: FakeKubelet;
  private version = 1;

  private constructor(
    private readonly server: Server,
    private readonly dir: string,
    private readonly token: string,
    readonly namespace: string,
    options: FakeKubeApiServerOptions,
  ) {
    this.kubelet = new FakeKubelet(
      {
        secret: (ns, name) => this.secrets.get(`${ns}/${name}`)?.data,
        updated: (pod) => this.changed("MODIFIED", pod),
        removed: (pod) => {
          this.pods.delete(podKey(pod));
          this.changed("DELETED", pod);
        },
      },
      dir,
      options.executables,
      options.terminationGraceMs ?? 10_000,
    );
  }

  static async start(options: FakeKubeApiServerOptions = {}): Promise<FakeKubeApiServer> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lux-fake-kube-"));
    const token = randomBytes(16).toString("hex");
    let self: FakeKubeApiServer | undefined;
    const server = createServer((req, res) => {
      (self as FakeKubeApiServer).handle(req, res).catch((e: unknown) => {
        if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify(statusBody(500, (e as Error).message)));
      });
    });
    await new Promise<void>((resolve, reject) => server.once("error", reject).listen(0, "127.0.0.1", resolve));
    self = new FakeKubeApiServer(server, dir, token, options.namespace ?? "default", options);
    self.writeKubeconfig();
    return self;
  }

  /** `http://127.0.0.1:PORT`. */
  get url(): string {
    const a = this.server.address();
    return `http://127.0.0.1:${typeof a === "object" && a !== null ? a.port : 0}`;
  }

  /** A kubeconfig file whose current context is this server (token auth, the namespace given). */
  get kubeconfigPath(): string {
    return path.join(this.dir, "kubeconfig");
  }

  /** The next `times` requests of this verb on this resource are answered with `status`. */
  injectError(e: InjectedError): void {
    this.injected.push({ ...e, left: e.times ?? 1 });
  }

  /** The pods there are now (a copy). */
  listPods(): FakePod[] {
    return [...this.pods.values()].map((p) => structuredClone(p));
  }

  /** What a pod's process wrote. */
  podLog(name: string, namespace = this.namespace): string {
    try {
      return fs.readFileSync(path.join(this.dir, `${namespace}_${name}.log`), "utf8");
    } catch {
      return "";
    }
  }

  /** Pids of the pods' processes that run. */
  podPids(): number[] {
    return this.kubelet.pids();
  }

  /** Ends the pods' processes and the server, and removes its files. */
  async close(): Promise<void> {
    for (const w of this.watchers) w.end();
    this.watchers.clear();
    await this.kubelet.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private writeKubeconfig(): void {
    const config = {
      apiVersion: "v1",
      kind: "Config",
      // Plain HTTP on loopback: @kubernetes/client-node takes it only with TLS verification off.
      clusters: [{ name: "fake", cluster: { server: this.url, "insecure-skip-tls-verify": true } }],
      users: [{ name: "fake", user: { token: this.token } }],
      contexts: [{ name: "fake", context: { cluster: "fake", user: "fake", namespace: this.namespace } }],
      "current-context": "fake",
    };
    fs.writeFileSync(this.kubeconfigPath, JSON.stringify(config, null, 2), { mode: 0o600 });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", this.url);
    const m = /^\/api\/v1\/namespaces\/([^/]+)\/(pods|secrets)(?:\/([^/]+))?(?:\/(status))?$/.exec(url.pathname);
    const reply = (status: number, body: unknown): void => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (req.headers.authorization !== `Bearer ${this.token}`) return reply(401, statusBody(401, "Unauthorized"));
    if (m === null) return reply(404, statusBody(404, `the fake serves pods and secrets only, not ${url.pathname}`));
    const [, namespace, resource, name, subresource] = m as unknown as [string, string, KubeResource, string | undefined, string | undefined];
    const verb = verbOf(req.method ?? "GET", name, url.searchParams.get("watch"));
    if (verb === undefined) return reply(405, statusBody(405, `${req.method} is not served`));
    const labelSelector = url.searchParams.get("labelSelector") ?? undefined;
    const log = (status: number): void => {
      this.requests.push({ verb, resource, namespace, ...(name !== undefined ? { name } : {}), ...(subresource !== undefined ? { subresource } : {}), ...(labelSelector !== undefined ? { labelSelector } : {}), status });
    };
    const body = verb === "create" ? await readJson(req) : undefined;
    const injected = this.injected.find((e) => e.verb === verb && e.resource === resource && e.left > 0);
    if (injected !== undefined) {
      injected.left--;
      if (injected.status === 409 && verb === "create") this.create(resource, namespace, body);
      log(injected.status);
      return reply(injected.status, statusBody(injected.status, `injected by the test (${verb} ${resource})`));
    }
    if (verb === "watch") {
      log(200);
      return this.watch(namespace, labelSelector, url.searchParams.get("resourceVersion"), res);
    }
    const [status, out] = this.serve(verb, resource, namespace, name, labelSelector, body);
    log(status);
    reply(status, out);
  }

  private serve(verb: KubeVerb, resource: KubeResource, namespace: string, name: string | undefined, labelSelector: string | undefined, body: unknown): [number, unknown] {
    const table = resource === "pods" ? this.pods : this.secrets;
    switch (verb) {
      case "create":
        return this.create(resource, namespace, body);
      case "get": {
        const item = table.get(`${namespace}/${name ?? ""}`);
        return item === undefined ? [404, statusBody(404, `${resource} "${name}" not found`)] : [200, item];
      }
      case "list": {
        const items = [...table.values()].filter((i) => i.metadata.namespace === namespace && selectorMatches(labelSelector, (i.metadata as { labels?: Record<string, string> }).labels));
        return [200, { apiVersion: "v1", kind: resource === "pods" ? "PodList" : "SecretList", metadata: { resourceVersion: String(this.version) }, items }];
      }
      case "delete":
        return this.delete(resource, namespace, name ?? "");
      default:
        return [405, statusBody(405, "not served")];
    }
  }

  private create(resource: KubeResource, namespace: string, body: unknown): [number, unknown] {
    const obj = body as { metadata?: { name?: string; generateName?: string; namespace?: string } } | undefined;
    if (obj?.metadata === undefined) return [422, statusBody(422, "metadata is required")];
    const name = obj.metadata.name ?? (obj.metadata.generateName !== undefined ? `${obj.metadata.generateName}${randomBytes(3).toString("hex").slice(0, 5)}` : undefined);
    if (name === undefined) return [422, statusBody(422, "metadata.name or metadata.generateName is required")];
    const key = `${namespace}/${name}`;
    const table = resource === "pods" ? this.pods : this.secrets;
    if (table.has(key)) return [409, statusBody(409, `${resource} "${name}" already exists`)];
    const metadata = { ...obj.metadata, name, namespace, uid: randomUUID(), creationTimestamp: new Date().toISOString(), resourceVersion: String(++this.version) };
    if (resource === "secrets") {
      const secret = { ...(body as Secret), metadata };
      this.secrets.set(key, secret);
      return [201, secret];
    }
    const pod = { ...(body as FakePod), metadata, status: { phase: "Pending" } } as FakePod;
    if (!Array.isArray(pod.spec?.containers) || pod.spec.containers.length === 0) return [422, statusBody(422, "spec.containers: Required value")];
    this.pods.set(key, pod);
    this.changed("ADDED", pod, false);
    setImmediate(() => {
      if (this.pods.get(key) === pod) this.kubelet.run(pod);
    });
    return [201, pod];
  }

  private delete(resource: KubeResource, namespace: string, name: string): [number, unknown] {
    const key = `${namespace}/${name}`;
    if (resource === "secrets") {
      const s = this.secrets.get(key);
      this.secrets.delete(key);
      return s === undefined ? [404, statusBody(404, `secrets "${name}" not found`)] : [200, s];
    }
    const pod = this.pods.get(key);
    if (pod === undefined) return [404, statusBody(404, `pods "${name}" not found`)];
    if (pod.metadata.deletionTimestamp === undefined) {
      pod.metadata.deletionTimestamp = new Date().toISOString();
      this.changed("MODIFIED", pod);
      this.kubelet.stop(pod);
    }
    return [200, pod];
  }

  /** A pod changed: a new resourceVersion, and an event to the watchers whose selector matches. */
  private changed(type: "ADDED" | "MODIFIED" | "DELETED", pod: FakePod, bump = true): void {
    if (bump) pod.metadata.resourceVersion = String(++this.version);
    for (const w of this.watchers) w.send(type, pod);
  }

  private watch(namespace: string, labelSelector: string | undefined, since: string | null, res: ServerResponse): void {
    res.writeHead(200, { "content-type": "application/json", "transfer-encoding": "chunked" });
    // The client waits for the headers before it hears events: send them now, not with the first event.
    res.flushHeaders();
    const watcher: Watcher = {
      send: (type, pod) => {
        if (pod.metadata.namespace !== namespace || !selectorMatches(labelSelector, pod.metadata.labels)) return;
        res.write(`${JSON.stringify({ type, object: pod })}\n`);
      },
      end: () => res.end(),
    };
    // Without a resourceVersion (or an old one): every pod there is, as ADDED first.
    const from = since === null || since === "" ? 0 : Number(since);
    for (const pod of this.pods.values()) if (Number(pod.metadata.resourceVersion ?? 0) > from) watcher.send("ADDED", pod);
    this.watchers.add(watcher);
    res.on("close", () => this.watchers.delete(watcher));
  }
}

function verbOf(method: string, name: string | undefined, watch: string | null): KubeVerb | undefined {
  if (method === "POST" && name === undefined) return "create";
  if (method === "DELETE" && name !== undefined) return "delete";
  if (method !== "GET") return undefined;
  if (name !== undefined) return "get";
  return watch === "true" || watch === "1" ? "watch" : "list";
}

function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let text = "";
    req.on("data", (c: Buffer) => (text += c.toString("utf8")));
    req.on("end", () => {
      try {
        resolve(text === "" ? undefined : (JSON.parse(text) as unknown));
      } catch (e) {
        reject(e as Error);
      }
    });
    req.on("error", reject);
  });
}

/**
 * deploy/kubernetes renders offline with `kubectl kustomize` (Debian's kubernetes-client), and
 * every object it renders is valid against the Kubernetes schemas (kubernetes-models): the
 * namespace, the service account, a Role limited to pods (create/get/list/watch/delete) in its
 * own namespace, the head Deployment and its ClusterIP Service, the ConfigMap with a cluster
 * YAML the autoscaler accepts, the token Secret; the redis overlay adds Redis and points the
 * control service at it.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { Role } from "kubernetes-models/rbac.authorization.k8s.io/v1/Role";
import { RoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { Namespace } from "kubernetes-models/v1/Namespace";
import { Secret } from "kubernetes-models/v1/Secret";
import { Service } from "kubernetes-models/v1/Service";
import { ServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import { parseClusterConfig } from "@lux/autoscaler";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string }; [k: string]: unknown };

const MODELS: Record<string, new (o: never) => { validate(): void }> = {
  "v1/Namespace": Namespace,
  "v1/ServiceAccount": ServiceAccount,
  "v1/Secret": Secret,
  "v1/ConfigMap": ConfigMap,
  "v1/Service": Service,
  "apps/v1/Deployment": Deployment,
  "rbac.authorization.k8s.io/v1/Role": Role,
  "rbac.authorization.k8s.io/v1/RoleBinding": RoleBinding,
};

function render(dir: string): K8sObject[] {
  const r = spawnSync("kubectl", ["kustomize", path.join(root, dir)], { encoding: "utf8" });
  assert.equal(r.status, 0, `kubectl kustomize ${dir} failed: ${r.stderr || r.error?.message}`);
  return parseAllDocuments(r.stdout).map((d) => d.toJS() as K8sObject);
}

function find(objects: K8sObject[], kind: string, name: string): K8sObject {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
  assert.ok(o !== undefined, `no ${kind} ${name}`);
  return o;
}

describe("deploy/kubernetes", () => {
  test("renders offline, and every object is valid against the Kubernetes schemas", () => {
    const objects = render("deploy/kubernetes");
    assert.deepEqual(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort(), [
      "ConfigMap/lux-cluster-config",
      "Deployment/lux-head",
      "Namespace/lux",
      "Role/lux-autoscaler",
      "RoleBinding/lux-autoscaler",
      "Secret/demo-lux-token",
      "Service/lux-head",
      "ServiceAccount/lux-autoscaler",
    ]);
    for (const o of objects) {
      const Model = MODELS[`${o.apiVersion}/${o.kind}`];
      assert.ok(Model !== undefined, `no model for ${o.apiVersion} ${o.kind}`);
      new Model(o as never).validate();
      if (o.kind !== "Namespace") assert.equal(o.metadata.namespace, "lux", `${o.kind} ${o.metadata.name} in the lux namespace`);
    }
    // The schemas do refuse a bad object (the check above can fail).
    assert.throws(() => new Deployment({ metadata: { name: "x" }, spec: { selector: {}, template: { spec: { containers: [{ name: 1 }] } } } } as never).validate());
  });

  test("the Role allows pods only, in its namespace; the head runs as its account", () => {
    const objects = render("deploy/kubernetes");
    const role = find(objects, "Role", "lux-autoscaler") as unknown as { rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[] };
    assert.deepEqual(role.rules, [{ apiGroups: [""], resources: ["pods"], verbs: ["create", "get", "list", "watch", "delete"] }]);
    const binding = find(objects, "RoleBinding", "lux-autoscaler") as unknown as { subjects: { kind: string; name: string; namespace: string }[] };
    assert.deepEqual(binding.subjects, [{ kind: "ServiceAccount", name: "lux-autoscaler", namespace: "lux" }]);
    const head = find(objects, "Deployment", "lux-head") as unknown as { spec: { template: { spec: { serviceAccountName: string; containers: { args: string[]; env: { name: string; valueFrom?: unknown; value?: string }[] }[] } } } };
    const pod = head.spec.template.spec;
    assert.equal(pod.serviceAccountName, "lux-autoscaler");
    const container = pod.containers[0];
    assert.ok(container?.args.includes("--autoscaling-config") && container.args.includes("--block"));
    const token = container?.env.find((e) => e.name === "LUX_TOKEN");
    assert.deepEqual(token?.valueFrom, { secretKeyRef: { name: "demo-lux-token", key: "token" } }, "the token by secretKeyRef, not a literal");
    assert.equal((find(objects, "Service", "lux-head") as unknown as { spec: { type: string } }).spec.type, "ClusterIP");
  });

  test("the ConfigMap's cluster YAML is one the autoscaler accepts, with its token Secret in the manifests", () => {
    const objects = render("deploy/kubernetes");
    const data = (find(objects, "ConfigMap", "lux-cluster-config") as unknown as { data: Record<string, string> }).data;
    const config = parseClusterConfig(data["cluster.yaml"] ?? "", "cluster.yaml");
    assert.equal(config.provider.type, "kubernetes");
    find(objects, "Secret", `${config.clusterName}-lux-token`);
    assert.deepEqual(config.availableNodeTypes["cpu"]?.resources, { CPU: 4, memory: 8 * 1024 ** 3 });
  });

  test("the redis overlay adds Redis and gives the control service its address", () => {
    const objects = render("deploy/kubernetes/redis");
    for (const o of objects) {
      const Model = MODELS[`${o.apiVersion}/${o.kind}`];
      assert.ok(Model !== undefined, `no model for ${o.apiVersion} ${o.kind}`);
      new Model(o as never).validate();
    }
    find(objects, "Deployment", "lux-redis");
    find(objects, "Service", "lux-redis");
    const head = find(objects, "Deployment", "lux-head") as unknown as { spec: { template: { spec: { containers: { args: string[] }[] } } } };
    const args = head.spec.template.spec.containers[0]?.args ?? [];
    assert.equal(args[args.indexOf("--storage") + 1], "redis://lux-redis:6379");
  });
});

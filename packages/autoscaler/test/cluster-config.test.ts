import assert from "node:assert/strict";
import * as fs from "node:fs";
import { describe, test } from "node:test";
import { InvalidClusterConfigError } from "@lux/common";
import { CLUSTER_DEFAULTS, clusterSchemaPath, parseClusterConfig } from "@lux/autoscaler";

const GOOD = `# a cluster of CPU nodes and GPU nodes
clusterName: demo
maxWorkers: 6
idleTimeoutS: 30
provider:
  type: local
headNodeType: head
availableNodeTypes:
  head:
    resources: { CPU: 0 }
  cpu:
    resources: { CPU: 4 }
    labels: { zone: a }
    maxWorkers: 4
  gpu:
    resources: { CPU: 8, GPU: 1 }
    minWorkers: 0
    maxWorkers: 2
`;

function problemsOf(text: string): string {
  try {
    parseClusterConfig(text, "cluster.yaml");
  } catch (e) {
    assert.ok(e instanceof InvalidClusterConfigError, String(e));
    assert.equal(e.code, "LUX_INVALID_CLUSTER_CONFIG");
    return e.message;
  }
  assert.fail("the config was accepted");
}

describe("cluster YAML", () => {
  test("a valid file, with its defaults filled in", () => {
    const c = parseClusterConfig(GOOD);
    assert.equal(c.clusterName, "demo");
    assert.equal(c.maxWorkers, 6);
    assert.equal(c.idleTimeoutS, 30);
    assert.equal(c.upscalingSpeed, CLUSTER_DEFAULTS.upscalingSpeed);
    assert.equal(c.reconcileIntervalMs, 5000);
    assert.deepEqual(c.provider, { type: "local" });
    assert.deepEqual(c.availableNodeTypes["cpu"], { name: "cpu", resources: { CPU: 4 }, labels: { zone: "a" }, minWorkers: 0, maxWorkers: 4, nodeConfig: {} });
    assert.equal(c.availableNodeTypes["head"]?.maxWorkers, 6, "a type without maxWorkers takes the cluster's");
  });

  test("maxWorkers below minWorkers names the path and the line", () => {
    const text = GOOD.replace("    minWorkers: 0\n    maxWorkers: 2", "    minWorkers: 3\n    maxWorkers: 2");
    const msg = problemsOf(text);
    assert.ok(msg.includes("availableNodeTypes.gpu.maxWorkers must be ≥ minWorkers (line 18)"), msg);
    assert.ok(msg.startsWith("invalid cluster config cluster.yaml: "), msg);
  });

  test("unknown keys are refused, at their own line", () => {
    const msg = problemsOf(GOOD.replace("    maxWorkers: 4\n", "    maxWorker: 4\n").replace("idleTimeoutS: 30", "idleTimeoutS: 30\nidleTimeout: 30"));
    assert.ok(msg.includes("idleTimeout is not a known key (line 5)"), msg);
    assert.ok(msg.includes("availableNodeTypes.cpu.maxWorker is not a known key (line 15)"), msg);
  });

  test("wrong types and values out of range", () => {
    const msg = problemsOf(GOOD.replace("maxWorkers: 6", "maxWorkers: six").replace("type: local", "type: docker").replace("{ CPU: 4 }", "{ CPU: -1 }"));
    assert.ok(msg.includes("maxWorkers must be integer (line 3)"), msg);
    assert.ok(msg.includes('provider.type must be one of "local", "kubernetes" (line 6)'), msg);
    assert.ok(msg.includes("availableNodeTypes.cpu.resources.CPU must be ≥ 0 (line 12)"), msg);
  });

  test("missing keys, a head type that is not a type, bad labels and names", () => {
    assert.match(problemsOf("clusterName: x\n"), /provider is required \(line 1\)/);
    assert.ok(problemsOf(GOOD.replace("headNodeType: head", "headNodeType: boss")).includes("headNodeType must name one of availableNodeTypes (head, cpu, gpu) (line 7)"));
    assert.match(problemsOf(GOOD.replace("{ zone: a }", '{ "lux.io/zone": a }')), /availableNodeTypes\.cpu\.labels\.lux\.io\/zone is not a valid node label: expected a key outside lux\.io\/.*\(line 13\)/);
    assert.match(problemsOf(GOOD.replace("clusterName: demo", "clusterName: Demo_1")), /clusterName must be a DNS label.*\(line 2\)/);
    assert.match(problemsOf(GOOD.replace("{ CPU: 4 }", "{ cpu: 4 }")), /availableNodeTypes\.cpu\.resources\.cpu is not a resource Lux knows: did you mean CPU\? \(line 12\)/);
    assert.match(problemsOf(GOOD.replace("maxWorkers: 6", "maxWorkers: 1").replace("minWorkers: 0", "minWorkers: 2")), /maxWorkers must be ≥ the node types' minWorkers together \(2\) \(line 3\)/);
  });

  test("YAML syntax errors and duplicate keys have their line", () => {
    assert.match(problemsOf("clusterName: a\nclusterName: b\n"), /is not valid YAML: .*\(line 2\)/);
    assert.match(problemsOf("clusterName: [a\n"), /is not valid YAML/);
  });

  test("provider keys: namespace only for kubernetes; kubernetes takes resources from the pod", () => {
    assert.ok(problemsOf(GOOD.replace("type: local", "type: local\n  namespace: x")).includes("provider.namespace is for the kubernetes provider only (line 7)"));
    const k8s = parseClusterConfig(`clusterName: k
provider: { type: kubernetes, namespace: lux }
headNodeType: cpu
availableNodeTypes:
  cpu:
    nodeConfig:
      spec:
        containers:
          - name: lux
            image: lux:dev
            resources: { limits: { cpu: "2500m", memory: 4Gi, nvidia.com/gpu: 1 } }
`);
    assert.deepEqual(k8s.availableNodeTypes["cpu"]?.resources, { CPU: 2, memory: 4 * 1024 ** 3, GPU: 1 });
    assert.match(problemsOf("clusterName: k\nprovider: { type: kubernetes }\nheadNodeType: cpu\navailableNodeTypes:\n  cpu:\n    resources: { CPU: 1 }\n"), /availableNodeTypes\.cpu\.nodeConfig must be a pod template/);
  });

  test("the schema ships with the package and refuses unknown keys itself", () => {
    const schema = JSON.parse(fs.readFileSync(clusterSchemaPath, "utf8")) as { additionalProperties: boolean; definitions: { nodeType: { additionalProperties: boolean } } };
    assert.equal(schema.additionalProperties, false);
    assert.equal(schema.definitions.nodeType.additionalProperties, false);
  });
});

/**
 * `lux serve deploy` and `lux serve status` (issue 21, point 7), run as a user would: deploy is
 * declarative (applications not in the file are deleted, unchanged ones keep their replicas,
 * a builder export gets the file's args, a deployment's options override the code's); status
 * prints YAML.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as serve from "@lux/serve";
import { parse } from "yaml";
import { waitFor } from "./helpers.js";
import { serveCliSetup } from "./fixtures/serve-cli-setup.js";

const { luxServe, writeConfig, importPath } = serveCliSetup();

async function pidsOf(app: string): Promise<number[]> {
  const a = (await serve.status()).applications[app];
  return Object.values(a?.deployments ?? {}).flatMap((d) => d.replicas.map((r) => r.pid as number)).sort();
}

describe("lux serve deploy", () => {
  test("deploy is declarative; status prints YAML", async () => {
    const first = writeConfig(
      "serve.yaml",
      `http: { host: 127.0.0.1, port: 0 }
applications:
  - name: one
    routePrefix: /one
    importPath: ${importPath()}:app
  - name: two
    routePrefix: /two
    importPath: ${importPath()}:builder
    args: { greeting: howdy }
    deployments:
      - { name: Greeter, numReplicas: 2, userConfig: null }
`,
    );
    const r1 = await luxServe("deploy", first);
    assert.equal(r1.code, 0, r1.stderr);
    assert.match(r1.stdout, /application "one" is RUNNING/);
    const s = await serve.status();
    assert.equal(s.applications["two"]?.deployments["Greeter"]?.replicaStates["RUNNING"], 2);
    const url = Object.values(s.proxies)[0]?.url as string;
    assert.equal(((await (await fetch(`${url}/two`)).json()) as { greeting: string }).greeting, "howdy");
    const onePids = await pidsOf("one");

    const second = writeConfig(
      "serve2.yaml",
      `applications:
  - name: one
    routePrefix: /one
    importPath: ${importPath()}:app
  - name: three
    routePrefix: /three
    importPath: ${importPath()}:builder
`,
    );
    const r2 = await luxServe("deploy", second);
    assert.equal(r2.code, 0, r2.stderr);
    await waitFor(async () => (await serve.status()).applications["two"] === undefined, "application two deleted");
    assert.deepEqual(await pidsOf("one"), onePids, "an unchanged application keeps its replicas");
    assert.equal(((await (await fetch(`${url}/three`)).json()) as { greeting: string }).greeting, "hi");

    const st = await luxServe("status");
    assert.equal(st.code, 0, st.stderr);
    const printed = parse(st.stdout) as { applications: Record<string, { status: string; deployments: Record<string, { replicaStates: Record<string, number> }> }> };
    assert.deepEqual(Object.keys(printed.applications).sort(), ["one", "three"]);
    assert.equal(printed.applications["one"]?.status, "RUNNING");
    assert.equal(printed.applications["one"]?.deployments["Greeter"]?.replicaStates["RUNNING"], 1);
  });
});

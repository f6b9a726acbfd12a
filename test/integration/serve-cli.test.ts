/**
 * The `lux serve` commands (issue 21, point 7), run as a user would: `lux` hands them to
 * @lux/serve's own command. `run` stays in the foreground and shuts serve down on SIGINT;
 * `deploy` is declarative (applications not in the file are deleted, unchanged ones keep
 * their replicas); `status` prints YAML; `build` writes a config from code; `shutdown`. Bad
 * files are refused with the field's path, its line and the nearest valid key.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, test } from "node:test";
import * as lux from "lux";
import * as serve from "@lux/serve";
import { LocalCluster } from "lux/testing";
import { parse } from "yaml";
import { fixtures, root, runScript, startScript, waitFor } from "./helpers.js";

const luxBin = path.join(root, "packages/lux/bin/lux.js");
const appModule = path.join(fixtures, "serve-cli-app.ts");
let cluster: LocalCluster | undefined;
let dir = "";

function luxServe(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runScript(luxBin, { args: ["serve", ...args], loader: false, timeoutMs: 120_000, env: { LUX_ADDRESS: cluster?.address ?? "" } });
}

function writeConfig(name: string, text: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

const importPath = (): string => `${path.relative(dir, appModule)}`;

before(async () => {
  cluster = await LocalCluster.start({ head: { numCpus: 4 } });
  await lux.init({ address: cluster.address });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "lux-serve-cli-"));
});

after(async () => {
  await serve.shutdown().catch(() => undefined);
  await lux.shutdown();
  await cluster?.shutdown();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function pidsOf(app: string): Promise<number[]> {
  const a = (await serve.status()).applications[app];
  return Object.values(a?.deployments ?? {}).flatMap((d) => d.replicas.map((r) => r.pid as number)).sort();
}

describe("lux serve", () => {
  test("lux lists serve and hands `lux serve …` to @lux/serve's command", async () => {
    const help = await runScript(luxBin, { args: ["--help"], loader: false });
    assert.match(help.stdout + help.stderr, /serve\s+Run, deploy and inspect online serving\s+applications/);
    const serveHelp = await luxServe("--help");
    assert.equal(serveHelp.code, 0, serveHelp.stderr);
    for (const command of ["run", "deploy", "status", "build", "shutdown"]) assert.match(serveHelp.stdout, new RegExp(`^\\s+${command}\\b`, "m"));
  });

  test("run module:export stays in the foreground; SIGINT shuts serve down", async () => {
    const p = startScript(luxBin, { loader: false, args: ["serve", "run", `${appModule}:app`, "--address", cluster?.address ?? "", "--port", "0", "--route-prefix", "/greet"] });
    try {
      const [, url] = await p.line(/application "default" is RUNNING at (http:\/\/\S+)/, 90_000);
      const res = await fetch(url as string);
      assert.deepEqual(((await res.json()) as { greeting: string }).greeting, "hello");
      p.kill("SIGINT");
      const { code } = await p.exited();
      assert.equal(code, 0, p.stderr());
      assert.match(p.stdout(), /shutting serve down/);
      assert.equal((await serve.status()).controller, undefined);
    } finally {
      p.kill();
    }
  });

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

  test("bad files name the field: an unknown key (path, line, nearest key), an importPath with no bound app", async () => {
    const typo = writeConfig(
      "typo.yaml",
      `applications:
  - name: one
    importPath: ${importPath()}:app
    deployments:
      - name: Greeter
        numReplica: 2
`,
    );
    const r1 = await luxServe("deploy", typo);
    assert.equal(r1.code, 1);
    assert.match(r1.stderr, /applications\[0\]\.deployments\[0\]\.numReplica \(line 6\): unknown key "numReplica"; did you mean "numReplicas"\?/);
    const noApp = writeConfig("noapp.yaml", `applications:\n  - name: one\n    importPath: ${importPath()}:notAnApp\n`);
    const r2 = await luxServe("deploy", noApp);
    assert.equal(r2.code, 1);
    assert.match(r2.stderr, /applications\[0\]\.importPath: serve-cli-app\.ts exports no bound application named "notAnApp"/);
    const r3 = await luxServe("run", `${appModule}:missing`, "--port", "0");
    assert.equal(r3.code, 1);
    assert.match(r3.stderr, /exports no bound application named "missing".*bound applications it exports: app/);
  });

  test("build writes a config for the code's application; shutdown ends serve", async () => {
    const out = path.join(dir, "built.yaml");
    const b = await luxServe("build", `${appModule}:app`, "-o", out);
    assert.equal(b.code, 0, b.stderr);
    const built = parse(fs.readFileSync(out, "utf8")) as { applications: { importPath: string; deployments: { name: string; numReplicas: number }[] }[] };
    const rel = path.relative(dir, appModule);
    assert.equal(built.applications[0]?.importPath, `${rel.startsWith(".") ? rel : `./${rel}`}:app`);
    assert.deepEqual(built.applications[0]?.deployments, [{ numReplicas: 1, name: "Greeter" }]);
    const d = await luxServe("deploy", out);
    assert.equal(d.code, 0, d.stderr);
    const sd = await luxServe("shutdown");
    assert.equal(sd.code, 0, sd.stderr);
    assert.equal((await serve.status()).controller, undefined);
  });
});

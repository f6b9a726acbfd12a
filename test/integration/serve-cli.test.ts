/**
 * The `lux serve` commands (issue 21, point 7), run as a user would: `lux` hands them to
 * @lux/serve's own command. `run` stays in the foreground and shuts serve down on SIGINT; bad
 * files are refused with the field's path, its line and the nearest valid key, an import path
 * that exports no bound application with what it does export.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as serve from "@lux/serve";
import { runScript, startScript } from "./helpers.js";
import { appModule, luxBin, serveCliSetup } from "./fixtures/serve-cli-setup.js";

const { address, luxServe, writeConfig, importPath } = serveCliSetup();

describe("lux serve", () => {
  test("lux lists serve and hands `lux serve …` to @lux/serve's command", async () => {
    const help = await runScript(luxBin, { args: ["--help"], loader: false });
    assert.match(help.stdout + help.stderr, /serve\s+Run, deploy and inspect online serving\s+applications/);
    const serveHelp = await luxServe("--help");
    assert.equal(serveHelp.code, 0, serveHelp.stderr);
    for (const command of ["run", "deploy", "status", "build", "shutdown"]) assert.match(serveHelp.stdout, new RegExp(`^\\s+${command}\\b`, "m"));
  });

  test("run module:export stays in the foreground; SIGINT shuts serve down", async () => {
    const p = startScript(luxBin, { loader: false, args: ["serve", "run", `${appModule}:app`, "--address", address(), "--port", "0", "--route-prefix", "/greet"] });
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
});

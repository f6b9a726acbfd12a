/**
 * `lux serve build` and `lux serve shutdown` (issue 21, point 7), run as a user would: build
 * writes a config for the application in code, which `lux serve deploy` deploys; shutdown ends
 * serve.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, test } from "node:test";
import * as serve from "@lux/serve";
import { parse } from "yaml";
import { appModule, serveCliSetup } from "./fixtures/serve-cli-setup.js";

const { dir, luxServe } = serveCliSetup();

describe("lux serve build", () => {
  test("build writes a config for the code's application; shutdown ends serve", async () => {
    const out = path.join(dir(), "built.yaml");
    const b = await luxServe("build", `${appModule}:app`, "-o", out);
    assert.equal(b.code, 0, b.stderr);
    const built = parse(fs.readFileSync(out, "utf8")) as { applications: { importPath: string; deployments: { name: string; numReplicas: number }[] }[] };
    const rel = path.relative(dir(), appModule);
    assert.equal(built.applications[0]?.importPath, `${rel.startsWith(".") ? rel : `./${rel}`}:app`);
    assert.deepEqual(built.applications[0]?.deployments, [{ numReplicas: 1, name: "Greeter" }]);
    const d = await luxServe("deploy", out);
    assert.equal(d.code, 0, d.stderr);
    const sd = await luxServe("shutdown");
    assert.equal(sd.code, 0, sd.stderr);
    assert.equal((await serve.status()).controller, undefined);
  });
});

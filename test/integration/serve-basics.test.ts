/** @lux/serve smoke: run an app, call it by handle and HTTP. */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import * as lux from "lux";
import * as serve from "@lux/serve";
import { HelloDeployment, IngressDeployment, ModelDeployment } from "./fixtures/serve-apps.js";

let base = "";

before(async () => {
  await lux.init({ numCpus: 4 });
  const s = await serve.start({ http: { port: 0 } });
  base = Object.values(s.proxies)[0]?.url ?? "";
});

after(async () => {
  await serve.shutdown();
  await lux.shutdown();
});

test("composition by handle and over HTTP", async () => {
  const h = await serve.run(IngressDeployment.bind(ModelDeployment.bind(3)));
  assert.equal(await h.double.remote(5), 15);
  const res = await fetch(`${base}/?x=4`);
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { y: 12 });
  const fn = await serve.run(HelloDeployment.bind(), { name: "hello", routePrefix: "/hello" });
  assert.equal(await (await fetch(`${base}/hello/there`)).text(), "hello /hello/there");
  void fn;
  assert.equal((await fetch(`${base}/-/healthz`)).status, 200);
  assert.equal(await (await fetch(`${base}/nope`)).status, 200);
});

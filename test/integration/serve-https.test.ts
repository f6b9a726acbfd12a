/**
 * @lux/serve over HTTPS: `http.sslCertfile` and `http.sslKeyfile` make every proxy serve TLS
 * (a client that trusts the certificate's CA gets answers; plaintext HTTP and clients without
 * that CA get none), and bad certificate options are refused before anything starts.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, test } from "node:test";
import { createCa, issueCert } from "@lux/cli";
import * as lux from "lux";
import { InvalidOptionError } from "lux";
import * as serve from "@lux/serve";
import { HelloDeployment } from "./fixtures/serve-apps.js";

const work = fs.mkdtempSync(path.join(os.tmpdir(), "lux-serve-https-"));
const ca = createCa(path.join(work, "ca"));
const proxyCert = issueCert({ ca: path.join(work, "ca"), name: "proxy", ip: ["127.0.0.1"], dns: ["localhost"], out: path.join(work, "certs"), days: 30 });
let base = "";

/** GET over https (trusting `caFile` when given): status and body. */
function httpsGet(url: string, caFile: string | undefined): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.get(url, caFile === undefined ? {} : { ca: fs.readFileSync(caFile) }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      res.on("error", reject);
    });
    req.on("error", reject);
  });
}

before(async () => {
  await lux.init({ numCpus: 2 });
  const s = await serve.start({ http: { port: 0, sslCertfile: proxyCert.cert, sslKeyfile: proxyCert.key } });
  base = Object.values(s.proxies)[0]?.url ?? "";
  assert.match(base, /^https:\/\/127\.0\.0\.1:\d+$/);
  await serve.run(HelloDeployment.bind(), { name: "hello", routePrefix: "/hello" });
});

after(async () => {
  await serve.shutdown();
  await lux.shutdown();
  fs.rmSync(work, { recursive: true, force: true });
});

test("a client trusting the CA gets answers over TLS", async () => {
  assert.deepEqual(await httpsGet(`${base}/hello`, ca.cert), { status: 200, body: "hello /hello" });
  assert.deepEqual(await httpsGet(`${base}/-/healthz`, ca.cert), { status: 200, body: "success" });
});

test("plaintext HTTP and a client without the CA get no answer", async () => {
  await assert.rejects(httpsGet(`${base}/hello`, undefined), (e: NodeJS.ErrnoException) => /CERT|SELF_SIGNED|VERIFY/.test(e.code ?? ""));
  const plain = base.replace(/^https:/, "http:");
  const answer = await new Promise<string>((resolve) => {
    const req = http.get(`${plain}/hello`, (res) => {
      res.resume();
      resolve(`status ${res.statusCode}`);
    });
    req.on("error", (e: NodeJS.ErrnoException) => resolve(`error ${e.code ?? e.message}`));
  });
  assert.match(answer, /^error /, `plaintext HTTP was answered: ${answer}`);
});

test("bad certificate options: an InvalidOptionError naming the option, before anything starts", async () => {
  const refused = async (opts: serve.HttpOptions, option: string, detail: RegExp): Promise<void> => {
    await assert.rejects(serve.start({ http: opts }), (e: unknown) => e instanceof InvalidOptionError && e.message.includes(option) && detail.test(e.message));
  };
  await refused({ sslCertfile: proxyCert.cert }, "http.sslKeyfile", /given with http\.sslCertfile/);
  await refused({ sslKeyfile: proxyCert.key }, "http.sslCertfile", /given with http\.sslKeyfile/);
  const missing = path.join(work, "nowhere.crt");
  await refused({ sslCertfile: missing, sslKeyfile: proxyCert.key }, "http.sslCertfile", new RegExp(`${missing.replace(/[.]/g, "\\.")} \\(ENOENT\\)`));
  // The running proxy is untouched.
  assert.equal((await httpsGet(`${base}/hello`, ca.cert)).status, 200);
});

/**
 * @lux/serve (issue 21, point 11): `npx tsx bench/serve.ts` (after a build), one run, on a
 * private cluster of the machine's CPUs. HTTP load comes from autocannon 9.0.0 in its own
 * process (32 connections, --seconds 10 each):
 *
 * Each figure follows a 2-second warm-up run of the same load.
 *
 * (a) a no-op deployment with 1 and 2 replicas behind serve's proxy: req/s, p50, p99; beside
 *     bare fastify in this process with the same handler (targets: ≥ 4,000 req/s and ≥ 25% of
 *     bare fastify);
 * (b) p50 latency at one connection (a client process sending one request at a time), serve
 *     less bare fastify: the latency serve adds (target ≤ 1 ms);
 * (c) handle calls/s of the no-op method, --inflight at a time, beside core actor calls/s of
 *     a no-op async method the same way;
 * (d) the ONNX example's MLP (examples/serve-onnx) req/s, batched (serve.batch) and unbatched,
 *     when onnxruntime-node is installed (else null).
 *
 * --quick: 1-second runs, for CI's smoke run (checks it runs, never a speed). --json: one line.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { fastify } from "fastify";
import * as lux from "lux";
import * as serve from "@lux/serve";
import { NOOP_BODY, NoopActorClass, NoopDeployment, type Noop } from "./serve-defs.js";
import { flag } from "./flags.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "..");
const quick = process.argv.includes("--quick");
const json = process.argv.includes("--json");
const seconds = quick ? 1 : flag("seconds", 10);
const connections = 32;
const calls = quick ? 2_000 : flag("calls", 50_000);
const inflight = flag("inflight", 1_000);

interface Load {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

/** autocannon in its own process against `url`; its JSON summary. */
function autocannon(url: string, conns: number, extra: string[] = [], duration = seconds): Promise<Load> {
  const bin = path.join(root, "node_modules/autocannon/autocannon.js");
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, "-j", "-c", String(conns), "-d", String(duration), ...extra, url], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.once("exit", (code) => {
      if (code !== 0) return reject(new Error(`autocannon exited ${code}: ${err}`));
      const r = JSON.parse(out) as { requests: { average: number }; latency: { p50: number; p99: number }; errors: number; non2xx: number; timeouts: number };
      resolve({ rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.non2xx + r.timeouts });
    });
  });
}

/** autocannon, after a 2-second warm-up run against the same URL (JIT, connections, workers); none in --quick. */
async function measured(url: string, conns: number, extra: string[] = []): Promise<Load> {
  if (!quick) await autocannon(url, conns, extra, 2);
  return autocannon(url, conns, extra);
}

/** One request at a time from a client process: p50 latency in ms. */
function latencyAtOneConnection(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(here, "serve-latency-client.mjs"), url, String(quick ? 300 : 5_000)], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.once("exit", (code) => (code === 0 ? resolve((JSON.parse(out) as { p50_ms: number }).p50_ms) : reject(new Error(`latency client exited ${code}`))));
  });
}

/** `count` calls, `inflight` at a time; calls per second. */
async function callRate(count: number, call: () => PromiseLike<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(inflight, count) }, async () => {
      while (next++ < count) await call();
    }),
  );
  return count / (Number(process.hrtime.bigint() - start) / 1e9);
}

async function bareFastify(): Promise<{ url: string; close(): Promise<void> }> {
  const app = fastify({ logger: false });
  app.get("/", async () => NOOP_BODY);
  const url = await app.listen({ host: "127.0.0.1", port: 0 });
  return { url, close: () => app.close() };
}

/** (d) The ONNX MLP over HTTP, batched and not; null without onnxruntime-node. */
async function onnx(base: string): Promise<{ batched: number; unbatched: number } | null> {
  try {
    await import("onnxruntime-node");
  } catch {
    return null;
  }
  const { MlpDeployment, UnbatchedDeployment } = await import("../examples/serve-onnx/app.js");
  const { onnxModel } = await import("../examples/serve-onnx/mlp.js");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lux-bench-onnx-"));
  try {
    const model = path.join(dir, "mlp.onnx");
    fs.writeFileSync(model, onnxModel());
    await serve.run(MlpDeployment.bind(model), { name: "mlp", routePrefix: "/mlp" });
    await serve.run(UnbatchedDeployment.bind(model), { name: "mlp1", routePrefix: "/mlp1" });
    const post = ["-m", "POST", "-H", "content-type=application/json", "-b", JSON.stringify({ x: [0.1, 0.2, 0.3, 0.4] })];
    const batched = await measured(`${base}/mlp`, connections, post);
    const unbatched = await measured(`${base}/mlp1`, connections, post);
    return { batched: batched.rps, unbatched: unbatched.rps };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function report(r: Record<string, number | null>): void {
  if (json) {
    console.log(JSON.stringify(r));
    return;
  }
  const f = (v: number | null | undefined, d = 0): string => (v === null || v === undefined ? "-" : v.toFixed(d));
  console.log(`@lux/serve, ${os.cpus().length} CPUs, autocannon ${connections} connections × ${seconds} s`);
  console.log(`| what | req/s | p50 ms | p99 ms |`);
  console.log(`| --- | --- | --- | --- |`);
  console.log(`| bare fastify | ${f(r["fastify_rps"])} | ${f(r["fastify_p50_ms"], 1)} | ${f(r["fastify_p99_ms"], 1)} |`);
  console.log(`| serve, 1 replica | ${f(r["serve1_rps"])} | ${f(r["serve1_p50_ms"], 1)} | ${f(r["serve1_p99_ms"], 1)} |`);
  console.log(`| serve, 2 replicas | ${f(r["serve2_rps"])} | ${f(r["serve2_p50_ms"], 1)} | ${f(r["serve2_p99_ms"], 1)} |`);
  console.log(`serve (2 replicas) / bare fastify: ${f((r["serve_share_of_fastify"] ?? 0) * 100, 1)}% (target ≥ 25%; ≥ 4,000 req/s)`);
  console.log(`p50 at 1 connection: fastify ${f(r["fastify_p50_1conn_ms"], 3)} ms, serve ${f(r["serve_p50_1conn_ms"], 3)} ms, added ${f(r["added_p50_1conn_ms"], 3)} ms (target ≤ 1 ms)`);
  console.log(`handle calls/s ${f(r["handle_calls_per_second"])} beside core actor calls/s ${f(r["actor_calls_per_second"])}`);
  console.log(`ONNX MLP req/s: batched ${f(r["onnx_batched_rps"])}, unbatched ${f(r["onnx_unbatched_rps"])}`);
}

lux.main(async () => {
  await lux.init();
  const bare = await bareFastify();
  try {
    const status = await serve.start({ http: { port: 0 } });
    const base = Object.values(status.proxies)[0]?.url as string;
    const fastifyLoad = await measured(bare.url, connections);
    const h = await serve.run<Noop>(NoopDeployment.options({ numReplicas: 1 }).bind(), { name: "noop", routePrefix: "/" });
    const serve1 = await measured(base, connections);
    const fastifyOne = await latencyAtOneConnection(bare.url);
    const serveOne = await latencyAtOneConnection(base);
    await serve.run(NoopDeployment.options({ numReplicas: 2 }).bind(), { name: "noop", routePrefix: "/" });
    const serve2 = await measured(base, connections);
    await callRate(Math.min(calls, 2_000), () => h.noop.remote());
    const handleRate = await callRate(calls, () => h.noop.remote());
    const actor = NoopActorClass.remote();
    await callRate(Math.min(calls, 2_000), () => lux.get(actor.noop.remote()));
    const actorRate = await callRate(calls, () => lux.get(actor.noop.remote()));
    const onnxRates = await onnx(base);
    const errors = fastifyLoad.errors + serve1.errors + serve2.errors;
    if (errors > 0) throw new Error(`${errors} requests failed under load`);
    report({
      fastify_rps: fastifyLoad.rps,
      fastify_p50_ms: fastifyLoad.p50,
      fastify_p99_ms: fastifyLoad.p99,
      serve1_rps: serve1.rps,
      serve1_p50_ms: serve1.p50,
      serve1_p99_ms: serve1.p99,
      serve2_rps: serve2.rps,
      serve2_p50_ms: serve2.p50,
      serve2_p99_ms: serve2.p99,
      serve_share_of_fastify: Math.max(serve1.rps, serve2.rps) / fastifyLoad.rps,
      fastify_p50_1conn_ms: fastifyOne,
      serve_p50_1conn_ms: serveOne,
      added_p50_1conn_ms: serveOne - fastifyOne,
      handle_calls_per_second: handleRate,
      actor_calls_per_second: actorRate,
      onnx_batched_rps: onnxRates?.batched ?? null,
      onnx_unbatched_rps: onnxRates?.unbatched ?? null,
    });
    await serve.shutdown();
  } finally {
    await bare.close();
  }
});

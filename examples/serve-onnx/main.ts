/**
 * Serving an ONNX model with @lux/serve: writes the example's MLP as an ONNX file, serves it
 * (batched) over HTTP, sends concurrent requests and checks every answer against the same
 * network computed in plain JavaScript. Run with `npx tsx examples/serve-onnx/main.ts
 * [--requests N]`; CI runs it (test/integration/examples.test.ts).
 *
 * Needs onnxruntime-node, an optional dependency of this repository (installed without its
 * install script, which would download CUDA files: the package ships the CPU binaries).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as lux from "lux";
import * as serve from "@lux/serve";
import { MlpDeployment, type Mlp } from "./app.js";
import { forward, onnxModel } from "./mlp.js";

const requests = Number(process.argv[process.argv.indexOf("--requests") + 1] || 64);

lux.main(async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lux-onnx-"));
  const modelPath = path.join(dir, "mlp.onnx");
  fs.writeFileSync(modelPath, onnxModel());
  try {
    await lux.init({ numCpus: 2 });
    const status = await serve.start({ http: { port: 0 } });
    const url = Object.values(status.proxies)[0]?.url as string;
    const handle = await serve.run<Mlp>(MlpDeployment.bind(modelPath), { name: "mlp", routePrefix: "/mlp" });

    const inputs = Array.from({ length: requests }, (_, i) => [Math.sin(i), Math.cos(i), (i % 7) / 7 - 0.5, i / requests]);
    const answers = await Promise.all(
      inputs.map(async (x) => {
        const res = await fetch(`${url}/mlp`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ x }) });
        if (res.status !== 200) throw new TypeError(`HTTP ${res.status}: ${await res.text()}`);
        return ((await res.json()) as { y: number[] }).y;
      }),
    );
    let maxDiff = 0;
    answers.forEach((y, i) => forward(inputs[i] as number[]).forEach((v, k) => (maxDiff = Math.max(maxDiff, Math.abs(v - (y[k] as number))))));
    console.log(`requests: ${answers.length}`);
    console.log(`first: ${JSON.stringify(answers[0]?.map((v) => Number(v.toFixed(4))))}`);
    console.log(`largest batch: ${await handle.largestBatch.remote()}`);
    console.log(`max |onnx - js|: ${maxDiff.toExponential(2)}`);
    if (!(maxDiff <= 1e-5)) process.exitCode = 1;
    await serve.shutdown();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * The MLP served with @lux/serve: each replica loads the ONNX model with onnxruntime-node, and
 * `serve.batch` gathers concurrent requests into one inference (one `session.run` on a
 * [batch, 4] tensor). `Unbatched` runs each request alone, for comparison (bench/serve.ts).
 */
import * as serve from "@lux/serve";
import type { InferenceSession } from "onnxruntime-node";
import { INPUTS, OUTPUTS } from "./mlp.js";

async function openSession(modelPath: string): Promise<InferenceSession> {
  // Loaded here, in the replica: onnxruntime-node is an optional dependency.
  const ort = await import("onnxruntime-node");
  return ort.InferenceSession.create(modelPath, { intraOpNumThreads: 1, interOpNumThreads: 1 });
}

async function infer(session: InferenceSession, xs: number[][]): Promise<number[][]> {
  const ort = await import("onnxruntime-node");
  const input = new ort.Tensor("float32", Float32Array.from(xs.flat()), [xs.length, INPUTS]);
  const { y } = await session.run({ x: input });
  const data = (y as { data: Float32Array }).data;
  return xs.map((_, i) => Array.from(data.subarray(i * OUTPUTS, (i + 1) * OUTPUTS)));
}

/** Parses `{ "x": [4 numbers] }`, the request body. */
async function inputOf(req: Request): Promise<number[]> {
  const body = (await req.json()) as { x?: unknown };
  if (!Array.isArray(body.x) || body.x.length !== INPUTS || !body.x.every((v) => typeof v === "number")) {
    throw new TypeError(`the body must be { "x": [${INPUTS} numbers] }`);
  }
  return body.x as number[];
}

export class Mlp {
  private readonly session: Promise<InferenceSession>;
  batchSizes: number[] = [];

  constructor(modelPath: string) {
    this.session = openSession(modelPath);
  }

  predict = serve.batch(
    async (xs: number[][]) => {
      this.batchSizes.push(xs.length);
      return infer(await this.session, xs);
    },
    { maxBatchSize: 16, batchWaitTimeoutMs: 2 },
  );

  async call(req: Request): Promise<{ y: number[] }> {
    return { y: await this.predict(await inputOf(req)) };
  }

  largestBatch(): number {
    return Math.max(0, ...this.batchSizes);
  }
}

export class Unbatched {
  private readonly session: Promise<InferenceSession>;

  constructor(modelPath: string) {
    this.session = openSession(modelPath);
  }

  async call(req: Request): Promise<{ y: number[] }> {
    const [y] = await infer(await this.session, [await inputOf(req)]);
    return { y: y as number[] };
  }
}

export const MlpDeployment = serve.deployment(Mlp, { maxOngoingRequests: 32 });
export const UnbatchedDeployment = serve.deployment(Unbatched, { maxOngoingRequests: 32 });

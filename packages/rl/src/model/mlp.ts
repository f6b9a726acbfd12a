/**
 * Fully connected networks described as data (`NetSpec`), initialised from a seed and run
 * forward in plain TypeScript: env runners and `computeSingleAction` use this to act, with no
 * tfjs in their process. Learners build the same network in tfjs from the same weights
 * (learner/tf-net.ts), so both compute the same function.
 */
import type { Rng } from "../rng.js";
import type { Weights } from "./weights.js";

export type Activation = "tanh" | "relu" | "linear";

export interface NetSpec {
  /** Weight names start with it: "pi", "vf", "q". */
  readonly name: string;
  readonly inputs: number;
  readonly hiddens: readonly number[];
  readonly outputs: number;
  readonly activation: Activation;
  /** Scale of the last layer's orthogonal init (0.01 for a policy's logits: actions start near uniform). */
  readonly outputGain: number;
}

/** The [inputs, outputs] of each layer. */
export function layerSizes(spec: NetSpec): Array<[number, number]> {
  const sizes = [spec.inputs, ...spec.hiddens, spec.outputs];
  return sizes.slice(1).map((out, i) => [sizes[i] as number, out]);
}

export const kernelName = (spec: NetSpec, layer: number): string => `${spec.name}.${layer}.kernel`;
export const biasName = (spec: NetSpec, layer: number): string => `${spec.name}.${layer}.bias`;

/** Orthogonal kernels (gain √2 for hidden layers, `outputGain` for the last), zero biases. */
export function initNet(spec: NetSpec, rng: Rng, into: Weights = {}): Weights {
  const layers = layerSizes(spec);
  layers.forEach(([inputs, outputs], i) => {
    const gain = i === layers.length - 1 ? spec.outputGain : spec.activation === "relu" || spec.activation === "tanh" ? Math.SQRT2 : 1;
    into[kernelName(spec, i)] = orthogonal(inputs, outputs, gain, rng);
    into[biasName(spec, i)] = new Float32Array(outputs);
  });
  return into;
}

/** A rows × cols matrix (row-major) with orthonormal rows or columns, times `gain` (Gram-Schmidt on a normal matrix). */
export function orthogonal(rows: number, cols: number, gain: number, rng: Rng): Float32Array {
  const n = Math.max(rows, cols);
  const k = Math.min(rows, cols);
  // k orthonormal vectors of length n.
  const vs: Float64Array[] = [];
  while (vs.length < k) {
    const v = Float64Array.from({ length: n }, () => rng.normal());
    for (const u of vs) {
      let dot = 0;
      for (let i = 0; i < n; i++) dot += (u[i] as number) * (v[i] as number);
      for (let i = 0; i < n; i++) v[i] = (v[i] as number) - dot * (u[i] as number);
    }
    const norm = Math.hypot(...v);
    if (norm < 1e-8) continue;
    for (let i = 0; i < n; i++) v[i] = (v[i] as number) / norm;
    vs.push(v);
  }
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      // Rows ≥ cols: column c is vs[c]; else row r is vs[r].
      out[r * cols + c] = gain * (rows >= cols ? ((vs[c] as Float64Array)[r] as number) : ((vs[r] as Float64Array)[c] as number));
    }
  }
  return out;
}

/** The network's outputs for `batch` inputs (row-major, `spec.inputs` each): `batch × spec.outputs` values. */
export function forwardNet(spec: NetSpec, w: Weights, x: Float32Array, batch: number): Float32Array {
  let input = x;
  const layers = layerSizes(spec);
  for (let l = 0; l < layers.length; l++) {
    const [nIn, nOut] = layers[l] as [number, number];
    const kernel = w[kernelName(spec, l)] as Float32Array;
    const bias = w[biasName(spec, l)] as Float32Array;
    const out = new Float32Array(batch * nOut);
    const act = l === layers.length - 1 ? "linear" : spec.activation;
    const acc = new Float64Array(nOut);
    for (let b = 0; b < batch; b++) {
      for (let o = 0; o < nOut; o++) acc[o] = bias[o] as number;
      for (let i = 0; i < nIn; i++) {
        const xi = input[b * nIn + i] as number;
        if (xi === 0) continue;
        const row = i * nOut;
        for (let o = 0; o < nOut; o++) acc[o] = (acc[o] as number) + xi * (kernel[row + o] as number);
      }
      for (let o = 0; o < nOut; o++) out[b * nOut + o] = activate(act, acc[o] as number);
    }
    input = out;
  }
  return input;
}

function activate(a: Activation, v: number): number {
  return a === "tanh" ? Math.tanh(v) : a === "relu" ? (v > 0 ? v : 0) : v;
}

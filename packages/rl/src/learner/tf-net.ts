/** The networks of model/mlp.ts in tfjs, over variables named as the weights are. */
import { biasName, kernelName, layerSizes, type NetSpec } from "../model/mlp.js";
import type { Tf } from "./tf-backend.js";
import type * as tfTypes from "@tensorflow/tfjs";

export type Vars = ReadonlyMap<string, tfTypes.Variable>;

/** The network's outputs for the rows of `x` ([batch, spec.inputs] → [batch, spec.outputs]). */
export function tfForward(tf: Tf, spec: NetSpec, vars: Vars, x: tfTypes.Tensor2D): tfTypes.Tensor2D {
  let h = x;
  const layers = layerSizes(spec);
  for (let l = 0; l < layers.length; l++) {
    h = tf.add(tf.matMul(h, vars.get(kernelName(spec, l)) as tfTypes.Variable), vars.get(biasName(spec, l)) as tfTypes.Variable);
    if (l < layers.length - 1) h = spec.activation === "tanh" ? tf.tanh(h) : spec.activation === "relu" ? tf.relu(h) : h;
  }
  return h;
}

/** The shape of weight `name` of a module whose nets are `nets` (a kernel [in, out], a bias [out], a log-std [n]). */
export function weightShape(nets: readonly NetSpec[], name: string, size: number): number[] {
  for (const spec of nets) {
    const layers = layerSizes(spec);
    for (let l = 0; l < layers.length; l++) {
      const [nIn, nOut] = layers[l] as [number, number];
      if (name === kernelName(spec, l)) return [nIn, nOut];
      if (name === biasName(spec, l)) return [nOut];
    }
  }
  return [size];
}

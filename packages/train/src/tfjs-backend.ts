/** Setting tfjs's backend in a process: "wasm" loads @tensorflow/tfjs-backend-wasm first. */
import * as tf from "@tensorflow/tfjs";

export type TfjsBackendName = "wasm" | "cpu";

export const TFJS_BACKENDS: readonly TfjsBackendName[] = ["wasm", "cpu"];

/** Makes `name` tfjs's backend in this process (a TfjsTrainer's workers call it before the loop). */
export async function setTfjsBackend(name: TfjsBackendName): Promise<void> {
  if (name === "wasm") await import("@tensorflow/tfjs-backend-wasm");
  if (!(await tf.setBackend(name))) throw new TypeError(`tfjs could not start its "${name}" backend in this process`);
  await tf.ready();
}

/** Setting tfjs's backend in a process: "wasm" loads @tensorflow/tfjs-backend-wasm first. */
import * as tf from "@tensorflow/tfjs";

export type TfjsBackendName = "wasm" | "cpu";

export const TFJS_BACKENDS: readonly TfjsBackendName[] = ["wasm", "cpu"];

/** Makes `name` tfjs's backend in this process (a TfjsTrainer's workers call it before the loop). */
export async function setTfjsBackend(name: TfjsBackendName): Promise<void> {
  const restore = keepProcessHandlers();
  try {
    if (name === "wasm") await import("@tensorflow/tfjs-backend-wasm");
    if (!(await tf.setBackend(name))) throw new TypeError(`tfjs could not start its "${name}" backend in this process`);
    await tf.ready();
  } finally {
    restore();
  }
}

/**
 * The wasm backend's Emscripten glue adds process handlers that rethrow every uncaught
 * exception and unhandled rejection, which would end a Lux worker (it logs those of user code
 * and goes on). The function returned removes the handlers added since.
 */
function keepProcessHandlers(): () => void {
  const exceptions = new Set(process.listeners("uncaughtException"));
  const rejections = new Set(process.listeners("unhandledRejection"));
  return () => {
    for (const l of process.listeners("uncaughtException")) if (!exceptions.has(l)) process.off("uncaughtException", l);
    for (const l of process.listeners("unhandledRejection")) if (!rejections.has(l)) process.off("unhandledRejection", l);
  };
}

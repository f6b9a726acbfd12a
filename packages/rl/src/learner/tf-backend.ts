/**
 * Loads tfjs (only in the processes that learn: env runners act in plain TypeScript) and
 * picks its backend: "wasm" by default, "cpu" if asked or if the wasm backend cannot start.
 */
export type Tf = typeof import("@tensorflow/tfjs");
export type TfjsBackend = "wasm" | "cpu";

let loading: Promise<Tf> | undefined;

/** tfjs with `backend` set (the first call's backend stays for the process). */
export async function loadTf(backend: TfjsBackend): Promise<Tf> {
  loading ??= (async () => {
    const tf = await import("@tensorflow/tfjs");
    // Production mode: no per-op debug checks, and no advertisement for tfjs-node (which does
    // not install here) on the cpu backend's first use.
    tf.enableProdMode();
    if (backend === "wasm") {
      const restore = keepProcessHandlers();
      try {
        await import("@tensorflow/tfjs-backend-wasm");
        if (await tf.setBackend("wasm")) {
          await tf.ready();
          return tf;
        }
      } catch {
        // No WebAssembly here (or the .wasm file is missing): the cpu backend computes the same.
      } finally {
        restore();
      }
    }
    await tf.setBackend("cpu");
    await tf.ready();
    return tf;
  })();
  return loading;
}

/**
 * The wasm backend's Emscripten glue adds process handlers that rethrow every uncaught
 * exception and unhandled rejection; a Lux worker logs those of user code and goes on. The
 * returned function removes whatever handlers were added since.
 */
function keepProcessHandlers(): () => void {
  const exceptions = new Set(process.listeners("uncaughtException"));
  const rejections = new Set(process.listeners("unhandledRejection"));
  return () => {
    for (const l of process.listeners("uncaughtException")) if (!exceptions.has(l)) process.off("uncaughtException", l);
    for (const l of process.listeners("unhandledRejection")) if (!rejections.has(l)) process.off("unhandledRejection", l);
  };
}

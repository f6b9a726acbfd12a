import { useEffect, useState } from "preact/hooks";
import { RequestError } from "./api.js";

export interface Loaded<T> {
  data: T | undefined;
  error: RequestError | undefined;
  loading: boolean;
}

/**
 * Loads with `load` when `key` changes, and again every `refreshMs` (0: never) while the
 * page is visible; a load still running when the key changes is aborted. The data shown
 * stays until the next load ends, so a refresh does not flicker.
 */
export function useLoad<T>(key: string, load: (signal: AbortSignal) => Promise<T>, refreshMs = 0): Loaded<T> {
  const [state, setState] = useState<Loaded<T>>({ data: undefined, error: undefined, loading: true });
  useEffect(() => {
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    setState((s) => ({ ...s, loading: true }));
    const run = async (): Promise<void> => {
      try {
        const data = await load(controller.signal);
        if (!controller.signal.aborted) setState({ data, error: undefined, loading: false });
      } catch (e) {
        if (controller.signal.aborted) return;
        const error = e instanceof RequestError ? e : new RequestError(0, (e as Error).message);
        setState((s) => ({ data: error.status === 404 ? undefined : s.data, error, loading: false }));
      }
      if (refreshMs > 0 && !controller.signal.aborted) timer = setTimeout(() => void again(), refreshMs);
    };
    // A hidden page does not poll; it catches up when shown again.
    const again = async (): Promise<void> => {
      if (document.visibilityState === "hidden") {
        timer = setTimeout(() => void again(), refreshMs);
        return;
      }
      await run();
    };
    void run();
    return () => {
      controller.abort();
      if (timer !== undefined) clearTimeout(timer);
    };
    // `load` is a new function each render; `key` says when what it loads changed.
  }, [key, refreshMs]);
  return state;
}

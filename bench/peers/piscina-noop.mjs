// The task piscina runs in bench/peers/piscina.ts: a no-op, like the Lux and Dask ones.
export function noop() {
  return 0;
}

// What piscina's threads run in bench/util-pool.ts: the same tiny function as the Lux Pool's,
// per item, and over a chunk of items (as Pool.map runs it).
export function inc(x) {
  return x + 1;
}

export function incChunk(xs) {
  return xs.map(inc);
}

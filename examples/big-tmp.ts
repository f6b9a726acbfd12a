import * as lux from "lux";
const sum = lux.remote((a: Float64Array) => { let s = 0; for (let i = 0; i < a.length; i++) s += a[i]!; return s; });
const make = lux.remote((n: number) => new Float64Array(n).fill(2));
lux.main(async () => {
  await lux.init({ numCpus: 2 }); console.log(Date.now() % 100000, "init");
  const a = new Float64Array(1 << 20).fill(1);
  const r = lux.put(a);
  a[0] = 100;
  const b = await lux.get(r);
  console.log(Date.now() % 100000, "get", b.length, b[0], b[1]);
  console.log("sum", await lux.get(sum.remote(r)));
  const m = await lux.get(make.remote(1 << 20));
  console.log("task big return", m.length, m[5]);
  console.log(Date.now() % 100000, "sum of task", await lux.get(sum.remote(make.remote(1 << 18))));
});

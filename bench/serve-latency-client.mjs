// One connection, one request at a time (keep-alive): the latency of each, for bench/serve.ts.
//   node bench/serve-latency-client.mjs URL REQUESTS  →  {"p50_ms":…,"p99_ms":…}
import http from "node:http";

const [url, count] = [process.argv[2], Number(process.argv[3] ?? 1000)];
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function once() {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    http
      .get(url, { agent }, (res) => {
        res.resume();
        res.on("end", () => resolve(performance.now() - start));
      })
      .on("error", reject);
  });
}

const times = [];
for (let i = 0; i < Math.ceil(count / 10); i++) await once(); // warm-up
for (let i = 0; i < count; i++) times.push(await once());
times.sort((a, b) => a - b);
const at = (q) => times[Math.min(times.length - 1, Math.floor(q * times.length))];
agent.destroy();
console.log(JSON.stringify({ p50_ms: at(0.5), p99_ms: at(0.99) }));

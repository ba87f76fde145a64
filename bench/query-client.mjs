// A closed-loop HTTP client in its own process, so the process under test spends its CPU on
// serving alone: reads {url, token, paths, concurrency, okStatuses, warmup?} as JSON on stdin,
// runs the paths with `concurrency` requests in flight over keep-alive connections (node:http:
// several times less CPU per request than fetch), and prints {latencies, failures} as JSON on
// stdout (latencies[i] is paths[i]'s, in ms). `warmup` paths run first, the same way and over the same connections, unmeasured: a
// fresh client's first requests pay for connecting and for its own cold JIT (the first 16 of a
// cold run took 13-30 ms against a median of 2-8, the whole of bench/genomics' p99).
// `url` may be a list of hubs serving the same data: request slot i then always asks hub
// i mod n, so the in-flight requests are spread evenly over them.
// Started by bench/query-client-run.mjs (bench/genomics.mjs, bench/request-cost.mjs).
import http from 'node:http';

let input = '';
for await (const chunk of process.stdin) input += chunk;
const { url, token, paths, concurrency, okStatuses, warmup } = JSON.parse(input);
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
const bases = (Array.isArray(url) ? url : [url]).map((u) => new URL(u));
const get = (path, base) =>
  new Promise((resolve, reject) => {
    const req = http.get(
      {
        agent,
        host: base.hostname,
        port: base.port,
        path,
        headers: { 'x-access-token': token },
      },
      (res) => {
        let bytes = 0;
        res.on('data', (c) => (bytes += c.length));
        res.on('end', () => resolve({ status: res.statusCode, bytes }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
  });
const latencies = [];
const failures = [];
let bytes = 0;
/** Runs `list` with `concurrency` in flight; `measure` keeps latencies, bytes and failures. */
const runAll = async (list, measure) => {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, slot) => {
      const base = bases[slot % bases.length];
      while (next < list.length) {
        const i = next++;
        const path = list[i];
        const t = performance.now();
        const res = await get(path, base);
        const ok = okStatuses.includes(res.status);
        if (!measure) {
          if (!ok) failures.push(`warm-up ${path}: ${res.status}`);
          continue;
        }
        latencies[i] = performance.now() - t;
        bytes += res.bytes;
        if (!ok) failures.push(`${path}: ${res.status}`);
      }
    }),
  );
};
await runAll(warmup ?? [], false);
// Tells the parent (bench/query-client-run.mjs) to start its meters, and waits until it has.
process.send?.('measuring');
if (process.send) await new Promise((ok) => process.once('message', ok));
await runAll(paths, true);
agent.destroy();
process.stdout.write(JSON.stringify({ latencies, failures, bytes }));
process.disconnect?.();

// A closed-loop HTTP client in its own process, so the process under test spends its CPU on
// serving alone: reads {url, token, paths, concurrency, okStatuses} as JSON on stdin, runs the
// paths with `concurrency` requests in flight over keep-alive connections (node:http: several
// times less CPU per request than fetch), and prints {latencies, failures} as JSON on stdout.
// `url` may be a list of hubs serving the same data: request slot i then always asks hub
// i mod n, so the in-flight requests are spread evenly over them.
// Started by bench/query-client-run.mjs (bench/genomics.mjs, bench/request-cost.mjs).
import http from 'node:http';

let input = '';
for await (const chunk of process.stdin) input += chunk;
const { url, token, paths, concurrency, okStatuses } = JSON.parse(input);
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
let next = 0;
let bytes = 0;
await Promise.all(
  Array.from({ length: concurrency }, async (_, slot) => {
    const base = bases[slot % bases.length];
    while (next < paths.length) {
      const path = paths[next++];
      const t = performance.now();
      const res = await get(path, base);
      latencies.push(performance.now() - t);
      bytes += res.bytes;
      if (!okStatuses.includes(res.status)) failures.push(`${path}: ${res.status}`);
    }
  }),
);
agent.destroy();
process.stdout.write(JSON.stringify({ latencies, failures, bytes }));

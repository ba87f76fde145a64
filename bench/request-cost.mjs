// The hub's fixed CPU per request (issue 7): a real hub (from ../dist, SQLite, local storage,
// logging at SEQHUB_LOG_LEVEL, default `warn` as `seqhub serve`, to /dev/null) answers
// BENCH_REQUESTS (default 20,000) keep-alive GETs of each kind from bench/query-client.mjs in a
// child process, 16 in flight: `/healthz` (no token, no schema), `users/current` and
// `variantset/{id}` (a token, an access verdict, a small JSON answer), and one coverage region
// of test/fixtures/genomics/volvox-sorted.bam asked again and again (5.6 KiB). Prints this process's CPU
// per request (the hub's alone: the client runs elsewhere). A warm-up round of each first.
// BENCH_PROFILE=prefix writes a V8 CPU profile per kind (prefix-healthz.cpuprofile ...), for
// `node bench/profile-summary.mjs`. Run: `npm run build && node bench/request-cost.mjs`.
import { runQueryClient } from './query-client-run.mjs';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');
const { startServer } = await import(join(root, 'dist/app/server.js'));
const { loadConfig } = await import(join(root, 'dist/config/index.js'));

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 20_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONCURRENCY = 16;
const dir = mkdtempSync(join(os.tmpdir(), 'seqhub-bench-request-'));
let server;
try {
  const config = loadConfig({
    env: { SEQHUB_LOG_LEVEL: process.env.SEQHUB_LOG_LEVEL ?? 'warn' },
    flags: { host: '127.0.0.1', port: '0', dataDir: join(dir, 'hub') },
    cwd: dir,
  });
  server = await startServer(config, { logStream: createWriteStream('/dev/null') });
  const token = server.adminToken;
  const api = async (path, init = {}) => {
    const res = await fetch(`${server.url}/v1pre3/${path}`, {
      ...init,
      headers: { 'x-access-token': token, 'Content-Type': 'application/json', ...init.headers },
    });
    return (await res.json()).Response;
  };
  const project = await api('projects', { method: 'POST', body: '{"Name":"bench"}' });
  const result = await api(`projects/${project.Id}/appresults`, {
    method: 'POST',
    body: '{"Name":"r"}',
  });
  const vcf = await api(`appresults/${result.Id}/files?name=small.vcf`, {
    method: 'POST',
    body:
      '##fileformat=VCFv4.2\n##contig=<ID=chr1,length=1000>\n' +
      '#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\nchr1\t10\t.\tA\tG\t50\tPASS\t.\n',
    headers: { 'Content-Type': 'application/octet-stream' },
  });
  const bam = await api(`appresults/${result.Id}/files?name=volvox.bam`, {
    method: 'POST',
    body: readFileSync(join(root, 'test/fixtures/genomics/volvox-sorted.bam')),
    headers: { 'Content-Type': 'application/octet-stream' },
  });
  await server.hub.services.indexer.idle();

  const run = async (path) => {
    const cpu0 = process.cpuUsage();
    const { latencies } = await runQueryClient({
      url: server.url,
      token,
      paths: Array.from({ length: REQUESTS }, () => path),
      concurrency: CONCURRENCY,
      okStatuses: [200],
    });
    const cpu = process.cpuUsage(cpu0);
    latencies.sort((a, b) => a - b);
    return {
      cpuMs: (cpu.user + cpu.system) / 1000 / REQUESTS,
      p50: latencies[Math.floor(latencies.length / 2)],
      p99: latencies[Math.floor(latencies.length * 0.99)],
    };
  };
  const inspector = process.env.BENCH_PROFILE ? await import('node:inspector') : undefined;
  const kinds = {
    healthz: '/healthz',
    'users/current': '/v1pre3/users/current',
    'variantset/{id}': `/v1pre3/variantset/${vcf.Id}`,
    // 391 buckets of 128 bases, from pages already in memory: a coverage answer's steady cost.
    'coverage (warm)': `/v1pre3/coverage/${bam.Id}/ctgA?StartPos=1&EndPos=50001&zoomLevel=0`,
  };
  for (const [name, path] of Object.entries(kinds)) {
    await run(path);
    const rounds = [];
    for (let i = 0; i < ROUNDS; i++) rounds.push(await run(path));
    if (inspector) {
      const session = new inspector.Session();
      session.connect();
      const post = (m, p) =>
        new Promise((ok, fail) => session.post(m, p, (e, r) => (e ? fail(e) : ok(r))));
      await post('Profiler.enable');
      await post('Profiler.start');
      await run(path);
      const { profile } = await post('Profiler.stop');
      const file = `${process.env.BENCH_PROFILE}-${name.replace(/\W+/g, '_')}.cpuprofile`;
      writeFileSync(file, JSON.stringify(profile));
      session.disconnect();
    }
    const cpu = rounds.map((r) => r.cpuMs.toFixed(3)).join(', ');
    const lat = rounds.map((r) => `${r.p50.toFixed(1)}/${r.p99.toFixed(1)}`).join(', ');
    process.stdout.write(
      `${name.padEnd(16)} hub CPU per request ${cpu} ms; p50/p99 ${lat} ms (${CONCURRENCY} in flight)\n`,
    );
  }
} finally {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
}
